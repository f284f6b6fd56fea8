"""Accounts: registration, sign-in, sign-out, password change, revocable sessions, safe next= redirects."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from flask import Blueprint
from sqlalchemy import func, select, update

from tests.conftest import DEFAULT_PASSWORD, csrf_token, sign_in
from webapp.auth import verified_required
from webapp.db import session, unit_of_work
from webapp.models import AccountStatus, AuthSession, Organisation, User, utcnow
from webapp.services import passwords

STRONG = "copper meadow violin sketch"


def _user_by_email(app, email: str) -> User | None:
    with app.app_context():
        user = session().scalar(select(User).where(User.email == email))
        if user is not None:
            session().expunge(user)
        return user


def _registration(client, **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(client, "/register"),
        "name": "Ada Example",
        "email": "ada@example.org",
        "organisation": "",
        "password": STRONG,
        "confirm": STRONG,
    }
    data.update(overrides)
    return data


def _text(response) -> str:
    return response.get_data(as_text=True)


# ------------------------------------------------------------------ registration


def test_register_into_existing_organisation_is_pending(app, client, make_org, audit_rows):
    org = make_org(name="Ministry of Examples")
    response = client.post("/register", data=_registration(client, organisation=str(org.id)))
    assert response.status_code == 302 and response.headers["Location"] == "/register/check-your-mailbox"
    user = _user_by_email(app, "ada@example.org")
    assert user.status is AccountStatus.PENDING and user.organisation_id == org.id
    assert user.password_hash.startswith("$argon2id$") and STRONG not in user.password_hash
    assert not user.email_verified
    assert [e.action for e in audit_rows("user.")] == ["user.registered"]
    assert "an administrator verifies your account" in _text(client.get("/register/check-your-mailbox"))


def test_register_proposing_new_organisation_makes_it_pending(app, client, audit_rows):
    data = _registration(
        client,
        organisation="new",
        new_organisation_name="Institute for Careful Machines",
        new_organisation_type="academia",
        new_organisation_country="ke",
    )
    response = client.post("/register", data={**data, "new_organisation_country": "KE"})
    assert response.status_code == 302
    with app.app_context():
        org = session().scalar(select(Organisation).where(Organisation.name == "Institute for Careful Machines"))
        assert org is not None and org.verified is False and org.country == "KE"
        assert org.stakeholder_type_code == "academia"
    user = _user_by_email(app, "ada@example.org")
    assert user.organisation_id == org.id and user.status is AccountStatus.PENDING
    assert {e.action for e in audit_rows()} >= {"organisation.proposed", "user.registered"}


@pytest.mark.parametrize("email", ["taken@example.org", "Taken@Example.ORG", "  TAKEN@example.org "])
def test_register_duplicate_email_creates_nothing_and_answers_as_for_a_new_one(
    client, make_org, make_user, row_counts, email
):
    org = make_org()
    make_user(email="taken@example.org", org=org)
    before = row_counts()
    response = client.post("/register", data=_registration(client, organisation=str(org.id), email=email))
    assert response.status_code == 302 and response.headers["Location"] == "/register/check-your-mailbox"
    assert "already exists" not in _text(client.get(response.headers["Location"]))
    after = row_counts()
    assert after.pop("audit_events") == before.pop("audit_events") + 1  # user.registration_for_existing_address
    assert after.pop("outgoing_mail") == before.pop("outgoing_mail") + 1  # the notice to the address's owner
    assert after == before


def _refused(client, row_counts, data, status, message):
    before = row_counts()
    response = client.post("/register", data=data)
    assert response.status_code == status, _text(response)[:2000]
    assert message in _text(response)
    assert row_counts() == before
    return response


def test_register_malformed_email(client, make_org, row_counts):
    org = make_org()
    _refused(client, row_counts, _registration(client, organisation=str(org.id), email="not-an-address"), 400,
             "Enter a valid e-mail address.")


def test_register_common_password(client, make_org, row_counts):
    org = make_org()
    data = _registration(client, organisation=str(org.id), password="password1234", confirm="password1234")
    _refused(client, row_counts, data, 400, "too common or too easy to guess")


def test_register_too_short_password(client, make_org, row_counts):
    org = make_org()
    data = _registration(client, organisation=str(org.id), password="Xq7!vR2#pL", confirm="Xq7!vR2#pL")
    _refused(client, row_counts, data, 400, "Use at least 12 characters")


def test_register_too_long_password(client, make_org, row_counts):
    org = make_org()
    long_password = "correct horse battery staple " * 9  # 261 characters
    assert len(long_password) > 256
    data = _registration(client, organisation=str(org.id), password=long_password, confirm=long_password)
    _refused(client, row_counts, data, 400, "Use at most 256 characters.")


def test_register_long_passphrase_accepted(app, client, make_org):
    org = make_org()
    phrase = "the quiet orbit of a lantern over harvest fields at dawn " * 4  # 228 characters
    response = client.post("/register", data=_registration(client, organisation=str(org.id), password=phrase,
                                                             confirm=phrase))
    assert response.status_code == 302
    assert _user_by_email(app, "ada@example.org") is not None


def test_register_password_mismatch(client, make_org, row_counts):
    org = make_org()
    data = _registration(client, organisation=str(org.id), confirm=STRONG + " x")
    _refused(client, row_counts, data, 400, "The passwords differ.")


@pytest.mark.parametrize("organisation", ["999999", "abc", "-1"])
def test_register_unknown_organisation(client, make_org, row_counts, organisation):
    make_org()
    _refused(client, row_counts, _registration(client, organisation=organisation), 400, "Unknown organisation")


def test_register_new_organisation_needs_name_type_and_country(client, row_counts):
    data = _registration(client, organisation="new", new_organisation_type="spaceships", new_organisation_country="XX")
    response = _refused(client, row_counts, data, 400, "Give the name of your organisation.")
    assert "Choose a stakeholder type." in _text(response) and "Choose a country." in _text(response)


def test_register_new_organisation_that_exists_is_a_conflict(client, make_org, row_counts):
    make_org(name="Existing Org")
    data = _registration(client, organisation="new", new_organisation_name="existing org",
                         new_organisation_type="state", new_organisation_country="NL")
    _refused(client, row_counts, data, 409, "That organisation already exists")


@pytest.mark.parametrize("missing", ["name", "email", "organisation", "password", "confirm"])
def test_register_missing_field(client, make_org, row_counts, missing):
    org = make_org()
    data = _registration(client, organisation=str(org.id))
    data.pop(missing)
    response = _refused(client, row_counts, data, 400, "This field is required.")
    assert "Please correct the fields marked below." in _text(response) or "Unknown organisation" in _text(response)


def test_register_without_csrf_token(client, make_org, row_counts):
    org = make_org()
    data = _registration(client, organisation=str(org.id))
    data.pop("csrf_token")
    _refused(client, row_counts, data, 400, "Your form expired or was sent from elsewhere")


def test_register_with_forged_csrf_token(client, make_org, row_counts):
    org = make_org()
    data = _registration(client, organisation=str(org.id), csrf_token="forged.token.value")
    _refused(client, row_counts, data, 400, "Your form expired or was sent from elsewhere")


def test_register_page_redirects_signed_in_users(make_user, client_for):
    client = client_for(make_user())
    assert client.get("/register").status_code == 302


# ------------------------------------------------------------------ sign in


def test_sign_in_ok(make_user, client, audit_rows):
    user = make_user(name="Grace Example")
    response = sign_in(client, user)
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert "Signed in as Grace Example." in _text(home)
    assert client.get("/account").status_code == 200
    assert [e.action for e in audit_rows("auth.")] == ["auth.signed_in"]


def test_sign_in_email_is_case_insensitive(make_user, client):
    make_user(email="mixed@example.org")
    response = client.post("/sign-in", data={"email": " Mixed@Example.org", "password": DEFAULT_PASSWORD,
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 302


class CountingHasher:
    """Wraps the Argon2 hasher to count verifications."""

    def __init__(self, inner):
        self.inner = inner
        self.verifications = 0

    def verify(self, stored, password):
        self.verifications += 1
        return self.inner.verify(stored, password)

    def hash(self, password):
        return self.inner.hash(password)


def _normalised(body: str, email: str) -> str:
    body = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "CSRF", body)
    return body.replace(email, "EMAIL")


def test_unknown_email_and_wrong_password_look_the_same(make_user, client, monkeypatch):
    user = make_user()
    counter = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", counter)

    wrong = client.post("/sign-in", data={"email": user.email, "password": "wrong password entirely",
                                          "csrf_token": csrf_token(client)})
    after_wrong = counter.verifications
    unknown = client.post("/sign-in", data={"email": "nobody@example.org", "password": "wrong password entirely",
                                            "csrf_token": csrf_token(client)})
    after_unknown = counter.verifications - after_wrong

    assert wrong.status_code == unknown.status_code == 401
    assert after_wrong == 1 and after_unknown == 1  # the same Argon2 work on both paths
    assert "That e-mail address and password do not match an active account." in _text(wrong)
    assert _normalised(_text(wrong), user.email) == _normalised(_text(unknown), "nobody@example.org")


def test_failed_sign_in_is_audited_and_changes_nothing_else(make_user, client, row_counts):
    user = make_user()
    before = row_counts()
    client.post("/sign-in", data={"email": user.email, "password": "nope nope nope", "csrf_token": csrf_token(client)})
    after = row_counts()
    assert after.pop("audit_events") == before.pop("audit_events") + 1
    assert after == before
    assert client.get("/account").status_code == 302


def test_deactivated_account_cannot_sign_in(make_user, client):
    user = make_user(status="deactivated")
    response = client.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "do not match an active account" in _text(response)
    assert client.get("/account").status_code == 302


def test_sign_in_missing_fields(client):
    response = client.post("/sign-in", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert "This field is required." in _text(response)


def test_sign_in_without_csrf_token(make_user, client, row_counts):
    user = make_user()
    before = row_counts()
    response = client.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "Your form expired" in _text(response)
    assert row_counts() == before
    assert client.get("/account").status_code == 302


def test_login_rate_limit(database_url, tmp_path, make_user):
    from webapp import create_app

    user = make_user()
    limited = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "limited"),
        "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute", "SESSION_COOKIE_SECURE": False,
    })
    client = limited.test_client()
    token = csrf_token(client)
    statuses = [
        client.post("/sign-in", data={"email": user.email, "password": "wrong guess number x",
                                      "csrf_token": token}).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 401]
    blocked = client.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    body = _text(blocked)
    assert "Too many attempts" in body and "Please wait a minute before trying again." in body
    assert "<html" in body
    assert client.get("/sign-in").status_code == 200  # reading the form is not limited
    limited.extensions["db_engine"].dispose()


def test_registration_rate_limit(database_url, tmp_path, make_org, row_counts):
    from webapp import create_app

    org = make_org()
    limited = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "limited"),
        "RATELIMIT_ENABLED": True, "REGISTER_RATE_LIMIT": "2 per minute", "SESSION_COOKIE_SECURE": False,
    })
    client = limited.test_client()
    for n in range(2):
        data = _registration(client, organisation=str(org.id), email=f"r{n}@example.org")
        assert client.post("/register", data=data).status_code == 302
    before = row_counts()
    blocked = client.post("/register", data=_registration(client, organisation=str(org.id), email="r9@example.org"))
    assert blocked.status_code == 429 and "Please wait a minute before trying again." in _text(blocked)
    assert row_counts() == before
    limited.extensions["db_engine"].dispose()


# ------------------------------------------------------------------ next=


UNSAFE_NEXT = [
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "http://evil.example",
    "https://evil.example/paragraphs/14",
    "%2F%2Fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/paragraphs\r\n/14",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_unsafe_next_goes_home(make_user, client, target):
    user = make_user(second_factor=False)
    response = client.post("/sign-in?" + urlencode({"next": target}),
                           data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_raw_percent_encoded_double_slash_next_goes_home(make_user, client):
    user = make_user(second_factor=False)
    response = client.post("/sign-in?next=%2F%2Fevil.example",
                           data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_same_site_next_is_honoured(make_user, client):
    user = make_user(second_factor=False)
    response = client.post("/sign-in?" + urlencode({"next": "/paragraphs/14?x=1"}),
                           data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/paragraphs/14?x=1"


def test_login_redirect_carries_a_relative_next(make_user, client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    follow = client.post(response.headers["Location"], data={"email": make_user(second_factor=False).email, "password": DEFAULT_PASSWORD,
                                                             "csrf_token": csrf_token(client)})
    assert follow.headers["Location"] == "/account"


# ------------------------------------------------------------------ sessions


def _cookie(client) -> str:
    return client.get_cookie("reaim_session").value


def _client_with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("reaim_session", value)
    return other


def test_sign_out_revokes_a_copied_cookie(app, make_user, client_for, audit_rows):
    client = client_for(make_user())
    stolen = _client_with_cookie(app, _cookie(client))
    assert stolen.get("/account").status_code == 200
    response = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
    assert stolen.get("/account").status_code == 302
    assert "auth.signed_out" in [e.action for e in audit_rows("auth.")]


def test_sign_out_needs_csrf_and_post(make_user, client_for):
    client = client_for(make_user())
    assert client.post("/sign-out").status_code == 400
    assert client.get("/sign-out").status_code == 405
    assert client.get("/account").status_code == 200


def _change_password(client, current=DEFAULT_PASSWORD, new=STRONG, confirm=None, token=True):
    data = {"current_password": current, "new_password": new, "confirm": new if confirm is None else confirm}
    if token:
        data["csrf_token"] = csrf_token(client, "/account")
    return client.post("/account/password", data=data)


def test_password_change_revokes_other_sessions_and_keeps_this_one(app, make_user, client_for):
    user = make_user()
    client = client_for(user)
    other_device = client_for(user)
    stolen = _client_with_cookie(app, _cookie(client))
    response = _change_password(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200 and "Your password has been changed." in _text(page)
    assert stolen.get("/account").status_code == 302
    assert other_device.get("/account").status_code == 302
    # the old password is refused, the new one works
    fresh = app.test_client()
    refused = fresh.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                           "csrf_token": csrf_token(fresh)})
    assert refused.status_code == 401
    sign_in(fresh, user, STRONG)


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"current": "not my password at all"}, 400, "Your current password is not correct."),
        ({"new": "password1234"}, 400, "too common or too easy to guess"),
        ({"new": "short one"}, 400, "Use at least 12 characters"),
        ({"new": "x" * 257}, 400, "Use at most 256 characters."),
        ({"confirm": "something else entirely"}, 400, "The passwords differ."),
        ({"token": False}, 400, "Your form expired"),
        ({"new": ""}, 400, "This field is required."),
    ],
)
def test_password_change_refusals_change_nothing(app, make_user, client_for, row_counts, kwargs, status, message):
    user = make_user()
    client = client_for(user)
    stolen = _client_with_cookie(app, _cookie(client))
    before = row_counts()
    response = _change_password(client, **kwargs)
    assert response.status_code == status
    assert message in _text(response)
    assert row_counts() == before
    assert stolen.get("/account").status_code == 200  # no session was revoked
    fresh = app.test_client()
    sign_in(fresh, user, DEFAULT_PASSWORD)  # the password is unchanged


def test_deactivation_by_admin_revokes_sessions(app, make_user, client_for):
    admin = make_user(roles=("admin",))
    user = make_user()
    client = client_for(user)
    stolen = _client_with_cookie(app, _cookie(client))
    admin_client = client_for(admin)
    response = admin_client.post(f"/admin/users/{user.id}/deactivate",
                                 data={"csrf_token": csrf_token(admin_client, f"/admin/users/{user.id}")})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
    assert stolen.get("/account").status_code == 302


@pytest.mark.parametrize("value", ["garbage", "eyJfdXNlcl9pZCI6ImFiYyJ9.Zz.forged", ""])
def test_invalid_session_cookie_is_anonymous(app, value):
    client = _client_with_cookie(app, value)
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert client.get("/").status_code == 200


def test_expired_session_cookie_is_anonymous(app, make_user, client_for, monkeypatch):
    import itsdangerous.timed

    client = client_for(make_user())
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: real(self) + lifetime + 60)
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_server_side_session_expires_even_if_the_cookie_is_refreshed(app, make_user, client_for):
    from datetime import timedelta

    user = make_user()
    client = client_for(user)
    assert client.get("/account").status_code == 200
    with app.test_request_context(), unit_of_work() as db:
        db.execute(update(AuthSession).where(AuthSession.user_id == user.id)
                   .values(created_at=utcnow() - app.permanent_session_lifetime - timedelta(minutes=1)))
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


# ------------------------------------------------------------------ pending users


def _contribute_route(app):
    """A verified-only route, as every contribution route of later features is."""
    bp = Blueprint("test_contribute", __name__)

    @bp.route("/test-contribute", methods=["GET", "POST"])
    @verified_required
    def contribute():
        return "contributed"

    app.register_blueprint(bp)


@pytest.mark.parametrize("case", ["pending_user", "unverified_org", "pending_admin"])
def test_unverified_user_cannot_post(app, make_user, make_org, client_for, case):
    _contribute_route(app)
    if case == "pending_user":
        user = make_user(status="pending")
    elif case == "unverified_org":
        user = make_user(org=make_org(verified=False))
    else:
        user = make_user(status="pending", roles=("admin", "facilitator"), clearance="confidential")
    client = client_for(user)
    response = client.post("/test-contribute", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 403
    assert "waiting for verification by an administrator" in _text(response)
    assert client.get("/admin/").status_code == 403
    home = _text(client.get("/"))
    assert "Your account is waiting for verification" in home
    assert ">Administration<" not in home


def test_verified_user_can_post_and_anonymous_is_sent_to_sign_in(app, make_user, client_for):
    _contribute_route(app)
    client = client_for(make_user())
    assert client.post("/test-contribute", data={"csrf_token": csrf_token(client, "/account")}).data == b"contributed"
    anonymous = app.test_client()
    response = anonymous.get("/test-contribute")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_pending_user_reads_public_pages_only(app, make_user, client_for):
    from webapp.auth import current_viewer
    from webapp.models import Tier

    user = make_user(status="pending", clearance="restricted")
    client = client_for(user)
    for path in ("/", "/about", "/paragraphs/", "/paragraphs/14", "/account"):
        assert client.get(path).status_code == 200, path
    with app.test_request_context():
        from flask_login import login_user

        stored = session().get(User, user.id)
        login_user(stored)
        viewer = current_viewer()
        assert viewer.clearance is Tier.PUBLIC and not viewer.is_verified and viewer.group_ids == frozenset()


def test_register_lists_only_verified_organisations(client, make_org):
    make_org(name="Verified Ministry")
    make_org(name="Someone Else's Pending Proposal", verified=False)
    page = _text(client.get("/register"))
    assert "Verified Ministry" in page
    assert "Someone Else&#39;s Pending Proposal" not in page and "Someone Else's Pending Proposal" not in page


def test_register_into_a_pending_organisation_by_id_is_unknown(client, make_org, row_counts):
    pending = make_org(name="Pending Institute", verified=False)
    _refused(client, row_counts, _registration(client, organisation=str(pending.id)), 400, "Unknown organisation")


def test_a_colleague_proposing_the_same_pending_organisation_joins_it(app, client, make_org):
    pending = make_org("academia", "KE", name="Nairobi Robotics Lab", verified=False)
    data = _registration(client, organisation="new", new_organisation_name="nairobi robotics lab",
                         new_organisation_type="academia", new_organisation_country="KE")
    assert client.post("/register", data=data).status_code == 302
    assert _user_by_email(app, "ada@example.org").organisation_id == pending.id
    with app.app_context():
        assert session().scalar(select(func.count(Organisation.id))) == 1


def test_proposing_a_pending_organisation_with_another_type_joins_it_without_saying_so(
    app, client, make_org, audit_rows
):
    """Issue 8 defect 8: "awaiting verification with another stakeholder type" told a stranger what was pending."""
    pending = make_org("academia", "KE", name="Nairobi Robotics Lab", verified=False)
    data = _registration(client, organisation="new", new_organisation_name="Nairobi Robotics Lab",
                         new_organisation_type="private_sector", new_organisation_country="UG")
    response = client.post("/register", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/register/check-your-mailbox"
    user = _user_by_email(app, "ada@example.org")
    assert user.organisation_id == pending.id
    registered = [e for e in audit_rows("user.registered")][0]
    # the admin who verifies the organisation sees the disagreement
    assert registered.details["proposed_stakeholder_type"] == "private_sector"
    assert registered.details["proposed_country"] == "UG"
