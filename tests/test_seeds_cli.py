"""`flask migrate`, `flask seed [--demo]`, `flask users create-admin` through the CLI runner."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import _empty_all_tables, csrf_token
from webapp import create_app
from webapp.db import session
from webapp.models import CallParagraph, Organisation, StakeholderType, Submission, SubmissionStatus, Tier, User
from webapp.models.stakeholder_type import STAKEHOLDER_CODES

def enrol_second_factor(client, app, user, password):
    """Enrol TOTP through the account pages, computing the code as the phone would."""
    import pyotp

    client.post("/account/two-factor/start", data={"csrf_token": csrf_token(client, "/account/two-factor")})
    with app.app_context():
        secret = session().get(User, user.id).totp_pending_secret
    response = client.post("/account/two-factor", data={"csrf_token": csrf_token(client, "/account/two-factor"),
                                                        "current_password": password,
                                                        "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and "Your recovery codes" in response.get_data(as_text=True)


PASSWORD_LINE = re.compile(r"password: (\S+)")


@pytest.fixture
def fresh_app(tmp_path):
    """An app on a new, empty SQLite database (nothing migrated, nothing seeded)."""
    application = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
                              "INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT_ENABLED": False,
                              "SESSION_COOKIE_SECURE": False})
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def emptied_app(app):
    """The test database (SQLite or PostgreSQL) with every table emptied, reference data included."""
    _empty_all_tables(app.extensions["db_engine"])
    return app


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _counts(app) -> dict:
    with app.app_context():
        db = session()
        return {model.__name__: db.scalar(select(func.count()).select_from(model))
                for model in (CallParagraph, StakeholderType, Organisation, User)}


def test_migrate_then_seed_on_an_empty_database(fresh_app):
    assert "Database migrated to head." in _run(fresh_app, "migrate")
    output = _run(fresh_app, "seed")
    assert "Reference data: 30 row(s) added or updated." in output
    with fresh_app.app_context():
        db = session()
        paragraphs = list(db.scalars(select(CallParagraph).order_by(CallParagraph.number)))
        assert [p.number for p in paragraphs] == list(range(1, 26))
        assert [p.number for p in paragraphs if p.featured] == [14, 16, 23, 24]
        assert all(p.title.strip() and len(p.text) > 40 for p in paragraphs)
        assert {t.code for t in db.scalars(select(StakeholderType))} == set(STAKEHOLDER_CODES)
    assert "Database migrated to head." in _run(fresh_app, "migrate")  # migrating again is harmless


def test_seed_is_idempotent_and_prints_the_first_admin_once(emptied_app, row_counts):
    first = _run(emptied_app, "seed")
    passwords = PASSWORD_LINE.findall(first)
    assert len(passwords) == 1 and len(passwords[0]) >= 20
    assert "shown only once" in first
    before = row_counts()
    second = _run(emptied_app, "seed")
    assert "Reference data: 0 row(s) added or updated." in second
    assert PASSWORD_LINE.search(second) is None and passwords[0] not in second
    assert row_counts() == before
    with emptied_app.app_context():
        admins = list(session().scalars(select(User).where(User.is_admin.is_(True))))
    assert len(admins) == 1 and admins[0].is_verified
    # the printed password really works, and it is not a fixed default
    client = emptied_app.test_client()
    response = client.post("/sign-in", data={"email": admins[0].email, "password": passwords[0],
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    # admin powers wait for a second factor (DESIGN §3.12): the banner says why and links to the set-up
    assert client.get("/admin/").status_code == 403
    assert "needs two-factor sign-in" in client.get("/").get_data(as_text=True)
    enrol_second_factor(client, emptied_app, admins[0], passwords[0])
    assert client.get("/admin/").status_code == 200


def test_first_admin_password_differs_between_installations(tmp_path):
    found = set()
    for n in range(2):
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / f'{n}.sqlite3'}",
                          "INSTANCE_PATH": str(tmp_path / f"i{n}")})
        _run(app, "migrate")
        found.update(PASSWORD_LINE.findall(_run(app, "seed")))
        app.extensions["db_engine"].dispose()
    assert len(found) == 2


def test_seed_repairs_changed_reference_data(emptied_app):
    _run(emptied_app, "seed")
    from webapp.db import unit_of_work

    with emptied_app.test_request_context(), unit_of_work() as db:
        db.get(CallParagraph, 14).title = "tampered"
    assert "Reference data: 1 row(s) added or updated." in _run(emptied_app, "seed")
    with emptied_app.app_context():
        assert session().get(CallParagraph, 14).title != "tampered"


def test_seed_demo_world(emptied_app, row_counts):
    output = _run(emptied_app, "seed", "--demo")
    demo_lines = [line for line in output.splitlines() if line.strip().startswith("demo user")]
    assert len(demo_lines) >= 10
    assert all(PASSWORD_LINE.search(line) for line in demo_lines)
    with emptied_app.app_context():
        db = session()
        assert {o.stakeholder_type_code for o in db.scalars(select(Organisation))} == set(STAKEHOLDER_CODES)
        users = list(db.scalars(select(User)))
        assert any(u.is_admin for u in users) and any(u.is_facilitator for u in users)
        assert any(not u.is_admin and not u.is_facilitator for u in users)
        assert {u.clearance for u in users} >= {Tier.COMMUNITY, Tier.RESTRICTED, Tier.CONFIDENTIAL}
        assert len({u.password_hash for u in users}) == len(users)
    # a printed demo password signs that user in
    email, password = demo_lines[0].split()[2], PASSWORD_LINE.search(demo_lines[0]).group(1)
    client = emptied_app.test_client()
    assert client.post("/sign-in", data={"email": email, "password": password,
                                         "csrf_token": csrf_token(client)}).status_code == 302
    # a cleared persona signs in with the printed TOTP secret, and reads at its clearance at once
    cleared = next(line for line in demo_lines if "totp secret:" in line and "confidential" in line)
    email, password = cleared.split()[2], PASSWORD_LINE.search(cleared).group(1)
    secret = re.search(r"totp secret: (\S+)", cleared).group(1)
    client = emptied_app.test_client()
    step = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf_token(client)})
    assert step.headers["Location"].startswith("/sign-in/second-factor")
    import pyotp

    done = client.post(step.headers["Location"], data={"code": pyotp.TOTP(secret).now(),
                                                       "csrf_token": csrf_token(client, step.headers["Location"])})
    assert done.status_code == 302 and "needs two-factor" not in client.get("/").get_data(as_text=True)

    # and a living archive, published through the workflow, each item at its tier
    assert "Demo archive: 5 item(s) published." in output
    with emptied_app.app_context():
        # (the demo's concluded dialogue round adds its outcome synthesis: counted in tests/test_ux_demo_dialogue.py)
        items = [item for item in session().scalars(select(Submission)) if item.kind.value != "outcome_synthesis"]
        assert len(items) == 5 and {item.status for item in items} == {SubmissionStatus.PUBLISHED}
        assert {item.tier for item in items} == {Tier.PUBLIC, Tier.COMMUNITY, Tier.RESTRICTED}
        assert all(item.revisions for item in items)
    listing = emptied_app.test_client().get("/archive/").get_data(as_text=True)
    assert "Independent red-teaming with operators before fielding" in listing  # public
    assert "Sensor-fusion confidence scores were read as probabilities" not in listing  # restricted

    before = row_counts()
    again = _run(emptied_app, "seed", "--demo")
    assert "Demo world already loaded; no new accounts." in again
    assert "Demo archive: 0 item(s) published." in again
    assert PASSWORD_LINE.search(again) is None
    assert row_counts() == before


def test_create_admin_command(emptied_app):
    """Works on a migrated but never seeded database too."""
    output = _run(emptied_app, "users", "create-admin", "Chief@Example.org")
    email, password = re.search(r"(\S+) password: (\S+)", output).groups()
    assert email == "chief@example.org" and len(password) >= 20
    assert "An administrator already exists." in _run(emptied_app, "users", "create-admin", "other@example.org")


def test_create_admin_with_a_taken_email_is_a_clear_error(emptied_app, make_user, row_counts):
    from webapp.services import seeding

    with emptied_app.app_context():
        seeding.load_reference_data()
    make_user(email="taken@example.org")
    before = row_counts()
    result = emptied_app.test_cli_runner().invoke(args=["users", "create-admin", "taken@example.org"])
    assert result.exit_code != 0
    assert "already has an account" in result.output
    assert row_counts() == before
