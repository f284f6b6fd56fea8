"""Erasure of a person (issue 14): personal data leaves every table, the index, the mail queue, the mail log and
the exports; contributions stay credited to "a former member of ORGANISATION"; bad input gets a clear answer."""
from __future__ import annotations

import json
import os
import zipfile

import pytest
from sqlalchemy import JSON, String, Text, select

from tests.conftest import csrf_token, sign_in
from tests.dialogue_helpers import make_post, make_thread, viewer
from tests.search_helpers import publish, search_json
from webapp import db as database
from webapp.db import Base
from webapp.models import AuditEvent, DataExport, Post, Submission, User
from webapp.services import Conflict, NotFound, erasure, people
from webapp.services.account_recovery import request_email_change

NAME, EMAIL, NEW_EMAIL, ADDRESS = "Zebedee Quaxworth", "zebedee.quaxworth@example.org", "zq.new@example.org", \
    "203.0.113.77"
NEEDLES = (NAME, "Quaxworth", EMAIL, NEW_EMAIL, ADDRESS)


def _client_from(app, user, address=ADDRESS):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    sign_in(client, user)
    return client


def _post(client, path, data=None, token_page=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, token_page or path)})


@pytest.fixture
def person(app, make_org, make_user):
    """A person with a contribution of each kind, sessions, a pending e-mail change, mail, a watch, an export."""
    org = make_org(name="Ministry of Examples")
    admin = make_user(roles=("admin",), name="Ada Admin")
    reviewer = make_user(roles=("facilitator",), clearance="restricted")
    someone = make_user(name="Other Person")
    zeb = make_user(name=NAME, email=EMAIL, org=org)
    item = publish(app, zeb, reviewer, title="Lesson on sensor fusion drills")
    thread = make_thread(app, zeb, title="Fusion drills thread", body="Our drills went well.")
    make_post(app, someone, thread, body="Replying to the thread author")  # notifies the author
    client = _client_from(app, zeb)
    assert _post(client, "/account/profile", {"name": NAME, "locale": "", "time_zone": ""},
                 "/account").status_code == 302
    with app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS}):
        request_email_change(database.session().get(User, zeb.id), current_password="orbit lantern quietly harvest",
                             new_email=NEW_EMAIL)
    assert _post(client, "/account/my-data/export", token_page="/account/my-data").status_code == 302
    return {"admin": admin, "zeb": zeb, "org": org, "item": item, "thread": thread, "client": client,
            "someone": someone}


def _text_columns():
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        if columns:
            yield table, columns


def _hits(app) -> list[str]:
    """Every (table.column, needle) where a needle still appears, over every string and JSON column."""
    found = []
    with app.app_context():
        db = database.session()
        for table, columns in _text_columns():
            for row in db.execute(select(*columns)).all():
                for column, value in zip(columns, row):
                    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
                    found += [f"{table.name}.{column.name}: {needle}" for needle in NEEDLES
                              if text and needle.lower() in text.lower()]
    return found


def test_before_erasure_the_proof_finds_the_person(app, person):
    """The scan is not vacuous: before erasure it finds the name, e-mail, new address and IP address."""
    hits = " ".join(_hits(app))
    for needle in (NAME, EMAIL, NEW_EMAIL, ADDRESS):
        assert needle in hits
    assert NAME in open(app.config["MAIL_OUTBOX_FILE"], encoding="utf-8").read() or \
        EMAIL in open(app.config["MAIL_OUTBOX_FILE"], encoding="utf-8").read()


def test_erasing_oneself_leaves_nothing_but_the_pseudonymous_reference(app, person, client_for):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = True
    client = person["client"]
    page = client.get("/account/erase")
    assert page.status_code == 200 and "cannot be undone" in page.get_data(as_text=True)
    response = _post(client, "/account/erase", {"password": "orbit lantern quietly harvest", "understood": "y"})
    assert response.status_code == 302

    # Every table, every string and JSON column: nothing.
    assert _hits(app) == []
    # The mail queue is in outgoing_mail (scanned above); the development mail log too:
    log = open(app.config["MAIL_OUTBOX_FILE"], encoding="utf-8").read().lower()
    assert not [needle for needle in NEEDLES if needle.lower() in log]
    # Exports: their ZIP is gone, and no ZIP left anywhere names them.
    folder = os.path.join(app.instance_path, "exports")
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        with zipfile.ZipFile(os.path.join(folder, name)) as archive:
            blob = " ".join(archive.read(n).decode() for n in archive.namelist()).lower()
            assert not [needle for needle in NEEDLES if needle.lower() in blob]
    # The search index, as an administrator sees it.
    admin_client = client_for(person["admin"])
    for needle in ("Quaxworth", "Zebedee"):
        status, body = search_json(admin_client, needle)
        assert status == 200 and body["results"] == []

    with app.app_context():
        db = database.session()
        zeb = db.get(User, person["zeb"].id)
        assert zeb.is_erased and zeb.erased_ref.startswith("person #")
        assert zeb.name == "a former member of Ministry of Examples"
        assert db.scalar(select(DataExport).where(DataExport.user_id == zeb.id)) is None
        erased = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.erased"))
        assert erased.details["reference"] == zeb.erased_ref and erased.ip == ""
        # Contributions stay, credited to the organisation.
        assert db.get(Submission, person["item"].id) is not None
    page = admin_client.get(f"/archive/{person['item'].id}")
    assert "Quaxworth" not in page.get_data(as_text=True)
    thread_page = admin_client.get(f"/dialogue/threads/{person['thread'].id}").get_data(as_text=True)
    assert "a former member of Ministry of Examples" in thread_page and "Quaxworth" not in thread_page
    # Signed out for good, and cannot sign in again.
    assert client.get("/account").status_code in (302, 401)
    again = app.test_client()
    answer = again.post("/sign-in", data={"email": EMAIL, "password": "orbit lantern quietly harvest",
                                          "csrf_token": csrf_token(again)})
    assert answer.status_code != 302 or "/sign-in" in answer.headers.get("Location", "")


def test_wrong_password_or_unticked_box_erases_nothing(app, person):
    client = person["client"]
    wrong = _post(client, "/account/erase", {"password": "not my password", "understood": "y"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.get_data(as_text=True)
    unticked = _post(client, "/account/erase", {"password": "orbit lantern quietly harvest"})
    assert unticked.status_code == 400 and "Tick the box" in unticked.get_data(as_text=True)
    with app.app_context():
        assert not database.session().get(User, person["zeb"].id).is_erased


def test_the_last_admin_is_refused_with_the_reason(app, make_user):
    only_admin = make_user(roles=("admin",))
    client = _client_from(app, only_admin)
    response = _post(client, "/account/erase", {"password": "orbit lantern quietly harvest", "understood": "y"})
    assert response.status_code == 409
    assert "last active administrator" in response.get_data(as_text=True)
    with app.app_context():
        assert not database.session().get(User, only_admin.id).is_erased


def test_erasing_twice_says_so(app, person, client_for):
    admin_client = client_for(person["admin"])
    path = f"/admin/users/{person['zeb'].id}/erase"
    form = {"reason": "Request by e-mail, 2026-11-30, ref DPO-7", "understood": "y"}
    first = _post(admin_client, path, form)
    assert first.status_code == 302
    second = admin_client.post(path, data={**form, "csrf_token": csrf_token(admin_client, "/admin/")})
    assert second.status_code == 409
    assert "already been erased" in second.get_data(as_text=True)
    with app.app_context():
        erased = database.session().scalar(select(AuditEvent).where(AuditEvent.action == "user.erased"))
        assert erased.actor_id == person["admin"].id and erased.details["by"] == "administrator"
        assert erased.details["reason"] == "Request by e-mail, 2026-11-30, ref DPO-7"


def test_admin_erasure_needs_the_request_recorded(app, person, client_for):
    admin_client = client_for(person["admin"])
    response = _post(admin_client, f"/admin/users/{person['zeb'].id}/erase", {"understood": "y"})
    assert response.status_code == 400
    with app.app_context():
        assert not database.session().get(User, person["zeb"].id).is_erased


def test_admin_may_delete_the_contributions_with_the_organisations_agreement(app, person, client_for):
    admin_client = client_for(person["admin"])
    response = _post(admin_client, f"/admin/users/{person['zeb'].id}/erase",
                     {"reason": "Request and the focal point's agreement, ref DPO-8", "delete_contributions": "y",
                      "understood": "y"})
    assert response.status_code == 302
    with app.app_context():
        db = database.session()
        assert db.get(Submission, person["item"].id) is None
        own_posts = list(db.scalars(select(Post).where(Post.author_id == person["zeb"].id)))
        assert own_posts and all(p.body_source == "" and p.deleted_at is not None for p in own_posts)


def test_only_oneself_or_an_admin_may_erase(app, person):
    with app.test_request_context():
        with pytest.raises(NotFound):
            erasure.erase_person(viewer(app, person["someone"]), person["zeb"].id)
        with pytest.raises(NotFound):
            erasure.erase_person(viewer(app, person["admin"]), 987654)
    # A non-admin has no admin erasure page either.
    client = _client_from(app, person["someone"], address="198.51.100.1")
    assert client.get(f"/admin/users/{person['zeb'].id}/erase").status_code in (403, 404)


def test_an_erased_account_cannot_be_reactivated(app, person):
    with app.test_request_context():
        erasure.erase_person(viewer(app, person["zeb"]), person["zeb"].id)
        with pytest.raises(Conflict):
            people.reactivate_user(viewer(app, person["admin"]), person["zeb"].id)


def test_scrubbing_replaces_whole_words_only():
    """Erasing "Ann" must not rewrite another text's "Annual"."""
    assert erasure._scrub("Ann wrote the Annual report; ann agreed.", ["Ann"], "person #1") == \
        "person #1 wrote the Annual report; person #1 agreed."
