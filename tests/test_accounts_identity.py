"""Identity (issue 10) and neutral registration (issue 8, defect 8): verified e-mail, password reset, TOTP second
factor with recovery codes, the clearance cap without one, sessions, security history, the person's own profile.
Every mail flow runs against the real SMTP server of tests/smtp_server.py, reading the link out of the message."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from tests.conftest import DEFAULT_PASSWORD, csrf_token, sign_in, totp_code, without_csrf
from tests.smtp_server import body_text
from webapp import create_app, policy
from webapp.db import session, unit_of_work
from webapp.models import AccountStatus, AccountToken, AuthSession, AuditEvent, RecoveryCode, Tier, User, utcnow
from webapp.services import accounts as accounts_service

STRONG = "copper meadow violin sketch"
NEWER = "granite tulip ferry whistle"
# Mails link at PUBLIC_URL (never at the request's host), the default http://127.0.0.1:8000 in the tests.
LINK = re.compile(r"(http://127\.0\.0\.1:8000/\S+)")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _path(link: str) -> str:
    return link.replace("http://127.0.0.1:8000", "")


def _stored(app, user_id: int) -> User:
    with app.app_context():
        user = session().get(User, user_id)
        session().expunge(user)
        return user


def _by_email(app, email: str) -> User | None:
    with app.app_context():
        user = session().scalar(select(User).where(User.email == email))
        if user is not None:
            session().expunge(user)
        return user


def _registration(client, org_id, **overrides) -> dict:
    data = {"csrf_token": csrf_token(client, "/register"), "name": "Ada Example", "email": "ada@example.org",
            "organisation": str(org_id), "password": STRONG, "confirm": STRONG}
    data.update(overrides)
    return data


def _link_in(message) -> str:
    return _path(LINK.search(body_text(message)).group(1))


def _post(client, path: str, data: dict | None = None, page: str | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, page or "/account"), **(data or {})})


# ------------------------------------------------------------------ registration: the same answer (issue 8 #8)


def test_registration_answers_alike_for_a_new_and_an_existing_address(
    smtp_app, smtp_server, client, make_org, make_user, row_counts
):
    org = make_org()
    owner = make_user(email="taken@example.org", org=org, name="Tessa Taken")
    fresh = client.post("/register", data=_registration(client, org.id, email="new@example.org"))
    before = row_counts()
    other = smtp_app.test_client()
    taken = other.post("/register", data=_registration(other, org.id, email="TAKEN@example.org"))
    assert (fresh.status_code, fresh.headers["Location"]) == (taken.status_code, taken.headers["Location"]) == (
        302, "/register/check-your-mailbox")
    assert without_csrf(client.get(fresh.headers["Location"]).data) == without_csrf(
        other.get(taken.headers["Location"]).data)
    after = row_counts()
    assert after.pop("audit_events") == before.pop("audit_events") + 1
    assert after.pop("outgoing_mail") == before.pop("outgoing_mail") + 1  # the notice to the owner, queued
    assert after == before  # nothing else created
    smtp_server.wait_for(2)
    [welcome] = smtp_server.to("new@example.org")
    [notice] = smtp_server.to("taken@example.org")
    assert "/email/confirm/" in body_text(welcome)
    assert "someone tried to create a REAIM Exchange account with this address" in body_text(notice)
    assert "/email/confirm/" not in body_text(notice)
    assert _stored(smtp_app, owner.id).name == "Tessa Taken"


def test_registration_hashes_the_password_on_both_paths(app, client, make_org, make_user, monkeypatch):
    """Comparable timing: an existing address costs the same Argon2 hash as a new one (it answered in 15 ms)."""
    org = make_org()
    make_user(email="taken@example.org", org=org)
    calls = []
    original = accounts_service.hash_password
    monkeypatch.setattr(accounts_service, "hash_password", lambda p: calls.append(p) or original(p))
    client.post("/register", data=_registration(client, org.id, email="taken@example.org"))
    client.post("/register", data=_registration(client, org.id, email="fresh@example.org"))
    assert calls == [STRONG, STRONG]


def test_the_pending_organisation_oracle_is_gone(app, client, make_org):
    make_org("academia", "KE", name="Nairobi Robotics Lab", verified=False)
    response = client.post("/register", data=_registration(
        client, "new", new_organisation_name="nairobi robotics lab", new_organisation_type="state",
        new_organisation_country="KE"))
    assert response.status_code == 302 and response.headers["Location"] == "/register/check-your-mailbox"
    # and the account page does not tell the newcomer the pending proposal's type either
    user = _by_email(app, "ada@example.org")
    with app.app_context(), unit_of_work() as db:
        db.get(User, user.id).email_verified_at = utcnow()
    signed = app.test_client()
    sign_in(signed, user, STRONG)
    page = _text(signed.get("/account"))
    assert "Nairobi Robotics Lab — awaiting verification" in page and "Academia" not in page


def test_registration_bad_inputs_are_still_refused_plainly(client, make_org, row_counts):
    org = make_org()
    before = row_counts()
    weak = client.post("/register", data=_registration(client, org.id, password="password123", confirm="password123"))
    assert weak.status_code == 400 and "at least 12" in _text(weak)
    bad = client.post("/register", data=_registration(client, org.id, email="not-an-address"))
    assert bad.status_code == 400
    assert row_counts() == before


# ------------------------------------------------------------------ e-mail verification


def test_registration_link_verifies_the_address_and_only_then_an_admin_may_verify(
    smtp_app, smtp_server, client, make_org, make_user, client_for, audit_rows
):
    org = make_org()
    admin = make_user(roles=("admin",))
    client.post("/register", data=_registration(client, org.id))
    person = _by_email(smtp_app, "ada@example.org")
    admin_client = client_for(admin)
    refused = _post(admin_client, f"/admin/users/{person.id}/verify", page=f"/admin/users/{person.id}")
    assert refused.status_code == 409 and "has not confirmed their e-mail address" in _text(refused)
    assert _stored(smtp_app, person.id).status is AccountStatus.PENDING

    link = _link_in(smtp_server.wait_for(1)[0])
    page = client.get(link)
    assert page.status_code == 200 and "ada@example.org" in _text(page)
    assert not _stored(smtp_app, person.id).email_verified  # opening (a mail scanner) confirms nothing
    confirmed = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert confirmed.status_code == 302 and _stored(smtp_app, person.id).email_verified
    again = client.post(link, data={"csrf_token": csrf_token(client, "/register")})
    assert again.status_code == 410 and "expired or was already used" in _text(again)

    verified = _post(admin_client, f"/admin/users/{person.id}/verify", page=f"/admin/users/{person.id}")
    assert verified.status_code == 302 and _stored(smtp_app, person.id).status is AccountStatus.ACTIVE
    assert "user.email_verified" in [e.action for e in audit_rows("user.")]


def test_forged_and_expired_verification_links(smtp_app, smtp_server, client, make_org):
    org = make_org()
    client.post("/register", data=_registration(client, org.id))
    link = _link_in(smtp_server.wait_for(1)[0])
    assert client.get("/email/confirm/forged-token").status_code == 404
    assert client.get("/email/confirm/" + "x" * 500).status_code == 404
    with smtp_app.app_context(), unit_of_work() as db:
        db.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(link).status_code == 410
    assert not _by_email(smtp_app, "ada@example.org").email_verified


def test_tokens_are_stored_hashed(smtp_app, smtp_server, client, make_org):
    client.post("/register", data=_registration(client, make_org().id))
    token = _link_in(smtp_server.wait_for(1)[0]).rsplit("/", 1)[1]
    with smtp_app.app_context():
        stored = session().scalar(select(AccountToken))
        assert stored.token_hash != token and token not in stored.token_hash and len(stored.token_hash) == 64


def test_changing_the_address_needs_the_new_mailbox_and_tells_the_old(
    smtp_app, smtp_server, make_user, client_for, audit_rows
):
    person = make_user(email="old@example.org")
    client = client_for(person)
    response = _post(client, "/account/email", {"new_email": "New@Example.org", "email_password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert _stored(smtp_app, person.id).email == "old@example.org"  # not before the link is opened
    [message] = smtp_server.to("new@example.org")
    link = _link_in(message)
    client.post(link, data={"csrf_token": csrf_token(client, link)})
    stored = _stored(smtp_app, person.id)
    assert stored.email == "new@example.org" and stored.email_verified
    smtp_server.wait_for(2)
    [told] = smtp_server.to("old@example.org")
    assert "changed from this one to new@example.org" in body_text(told)
    assert "user.email_changed" in [e.action for e in audit_rows("user.")]


def test_changing_to_a_taken_address_answers_the_same_and_changes_nothing(
    smtp_app, smtp_server, make_user, client_for
):
    person = make_user(email="me@example.org")
    make_user(email="holder@example.org")
    client = client_for(person)
    taken = _post(client, "/account/email", {"new_email": "holder@example.org", "email_password": DEFAULT_PASSWORD})
    free = _post(client, "/account/email", {"new_email": "free@example.org", "email_password": DEFAULT_PASSWORD})
    assert taken.status_code == free.status_code == 302 and taken.headers["Location"] == free.headers["Location"]
    smtp_server.wait_for(2)
    assert "/email/confirm/" not in body_text(smtp_server.to("holder@example.org")[0])
    assert _stored(smtp_app, person.id).email == "me@example.org"


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"new_email": "x@example.org", "email_password": "wrong password entirely"}, 400, "current password is not"),
    ({"new_email": "not-an-address", "email_password": DEFAULT_PASSWORD}, 400, "valid e-mail address"),
    ({"new_email": "", "email_password": DEFAULT_PASSWORD}, 400, "Please correct"),
])
def test_email_change_bad_inputs(smtp_app, smtp_server, make_user, client_for, data, status, message):
    person = make_user(email="me@example.org")
    client = client_for(person)
    response = _post(client, "/account/email", data)
    assert response.status_code == status and message in _text(response)
    assert smtp_server.messages == [] and _stored(smtp_app, person.id).email == "me@example.org"


def test_an_unverified_address_receives_no_notification_mail(app, make_user, make_org, smtp_app, smtp_server):
    from tests.dialogue_helpers import make_round
    from webapp.services import notifications

    facilitator = make_user(roles=("facilitator",))
    unverified = make_user(email="unverified@example.org", email_verified=False)
    verified = make_user(email="verified@example.org")
    round_ = make_round(app, facilitator, tier=Tier.PUBLIC)
    with app.test_request_context():
        from webapp.models import DialogueRound

        with unit_of_work() as db:
            obj = db.get(DialogueRound, round_.id)
            notifications.notify_user(db, unverified.id, "round_opened", obj)
            notifications.notify_user(db, verified.id, "round_opened", obj)
    smtp_server.wait_for(1)
    assert smtp_server.to("verified@example.org") and not smtp_server.to("unverified@example.org")


def test_resending_the_verification_link(smtp_app, smtp_server, make_user, client_for):
    person = make_user(email="late@example.org", email_verified=False, status="pending", second_factor=False)
    client = client_for(person)
    assert _post(client, "/account/email/resend").status_code == 302
    assert "/email/confirm/" in body_text(smtp_server.wait_for(1)[0])
    verified = make_user()
    assert _post(client_for(verified), "/account/email/resend").status_code == 409


# ------------------------------------------------------------------ password reset


def test_reset_answers_alike_whether_or_not_the_address_exists(smtp_app, smtp_server, client, make_user):
    make_user(email="known@example.org")
    known = client.post("/password/forgot", data={"email": "Known@example.org",
                                                  "csrf_token": csrf_token(client, "/password/forgot")})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org",
                                                    "csrf_token": csrf_token(client, "/password/forgot")})
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known.data) == without_csrf(unknown.data)
    smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1 and smtp_server.to("known@example.org")


def test_reset_link_sets_the_password_once_and_signs_out_everywhere(
    smtp_app, smtp_server, make_user, client_for, audit_rows
):
    person = make_user(email="forgetful@example.org")
    elsewhere = client_for(person)
    assert elsewhere.get("/account").status_code == 200
    client = smtp_app.test_client()
    client.post("/password/forgot", data={"email": person.email, "csrf_token": csrf_token(client, "/password/forgot")})
    link = _link_in(smtp_server.wait_for(1)[0])
    assert "30 minutes" in body_text(smtp_server.messages[0])
    weak = client.post(link, data={"new_password": "short", "confirm": "short", "csrf_token": csrf_token(client, link)})
    assert weak.status_code == 400
    done = client.post(link, data={"new_password": NEWER, "confirm": NEWER, "csrf_token": csrf_token(client, link)})
    assert done.status_code == 302 and done.headers["Location"] == "/sign-in"
    assert elsewhere.get("/account").status_code == 302  # every other session ended
    assert client.post(link, data={"new_password": STRONG, "confirm": STRONG,
                                   "csrf_token": csrf_token(client, "/sign-in")}).status_code == 410
    fresh = smtp_app.test_client()
    sign_in(fresh, person, NEWER)
    assert "user.password_reset" in [e.action for e in audit_rows("user.")]
    smtp_server.wait_for(2)
    assert "password of your account was changed" in body_text(smtp_server.messages[-1])


def test_reset_link_expires_after_30_minutes_and_a_forged_one_is_unknown(smtp_app, smtp_server, client, make_user):
    person = make_user()
    client.post("/password/forgot", data={"email": person.email, "csrf_token": csrf_token(client, "/password/forgot")})
    link = _link_in(smtp_server.wait_for(1)[0])
    with smtp_app.app_context():
        token = session().scalar(select(AccountToken))
        lifetime = token.expires_at - token.created_at
    assert timedelta(minutes=29) < lifetime <= timedelta(minutes=30)
    with smtp_app.app_context(), unit_of_work() as db:
        db.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(link).status_code == 410
    assert client.get("/password/reset/not-a-real-token").status_code == 404
    assert client.post("/password/reset/not-a-real-token", data={
        "new_password": NEWER, "confirm": NEWER, "csrf_token": csrf_token(client, "/password/forgot")}).status_code == 404


def test_a_newer_reset_link_replaces_the_older(smtp_app, smtp_server, client, make_user):
    person = make_user()
    for _ in range(2):
        client.post("/password/forgot", data={"email": person.email,
                                              "csrf_token": csrf_token(client, "/password/forgot")})
    first, second = (_link_in(m) for m in smtp_server.wait_for(2))
    assert client.get(first).status_code == 410 and client.get(second).status_code == 200


def test_an_admin_mails_a_reset_link_but_never_sees_the_password(
    smtp_app, smtp_server, make_user, client_for, audit_rows
):
    admin = make_user(roles=("admin",))
    person = make_user(email="locked-out@example.org")
    admin_client = client_for(admin)
    response = _post(admin_client, f"/admin/users/{person.id}/password-reset", page=f"/admin/users/{person.id}")
    assert response.status_code == 302
    [message] = smtp_server.to("locked-out@example.org")
    assert "/password/reset/" in body_text(message)
    assert "/password/reset/" not in _text(admin_client.get(f"/admin/users/{person.id}"))
    sent = [e for e in audit_rows("user.password_reset_sent")]
    assert sent[0].actor_id == admin.id and sent[0].object_id == person.id
    member = client_for(make_user())
    assert _post(member, f"/admin/users/{person.id}/password-reset").status_code == 403


# ------------------------------------------------------------------ second factor: enrolment


def _start_enrolment(app, client, user) -> str:
    _post(client, "/account/two-factor/start", page="/account/two-factor")
    return _stored(app, user.id).totp_pending_secret


def test_enrolment_shows_a_server_side_qr_code_and_needs_password_and_code(app, make_user, client_for, audit_rows):
    person = make_user(clearance="restricted", second_factor=False)
    client = client_for(person)
    secret = _start_enrolment(app, client, person)
    page = _text(client.get("/account/two-factor"))
    assert '<img src="data:image/svg+xml' in page and secret in page and "<script" not in page
    totp = pyotp.TOTP(secret)
    wrong_password = _post(client, "/account/two-factor", {"current_password": "not my password at all",
                                                           "code": totp.now()}, page="/account/two-factor")
    assert wrong_password.status_code == 400 and "current password is not correct" in _text(wrong_password)
    wrong_code = _post(client, "/account/two-factor", {"current_password": DEFAULT_PASSWORD, "code": "000000"
                                                       if totp.now() != "000000" else "111111"},
                       page="/account/two-factor")
    assert wrong_code.status_code == 400 and "not valid" in _text(wrong_code)
    assert not _stored(app, person.id).has_second_factor
    done = _post(client, "/account/two-factor", {"current_password": DEFAULT_PASSWORD, "code": totp.now()},
                 page="/account/two-factor")
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", _text(done))
    assert done.status_code == 200 and len(codes) == 10
    assert _stored(app, person.id).has_second_factor
    with app.app_context():
        hashes = set(session().scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10 and not {c.replace("-", "") for c in codes} & hashes and not set(codes) & hashes
    assert "user.second_factor_enrolled" in [e.action for e in audit_rows("user.")]
    # shown once: the page never shows them again
    assert not set(codes) & set(re.findall(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}",
                                           _text(client.get("/account/two-factor"))))


def test_confirming_without_a_pending_secret_is_a_conflict(app, make_user, client_for):
    client = client_for(make_user(second_factor=False))
    response = _post(client, "/account/two-factor", {"current_password": DEFAULT_PASSWORD, "code": "123456"},
                     page="/account/two-factor")
    assert response.status_code == 409


def test_enrolment_signs_out_other_sessions(app, make_user, client_for):
    person = make_user(clearance="restricted", second_factor=False)
    other, client = client_for(person), client_for(person)
    secret = _start_enrolment(app, client, person)
    _post(client, "/account/two-factor", {"current_password": DEFAULT_PASSWORD, "code": pyotp.TOTP(secret).now()},
          page="/account/two-factor")
    assert client.get("/account").status_code == 200 and other.get("/account").status_code == 302


# ------------------------------------------------------------------ second factor: signing in


def _password_step(client, user, password=DEFAULT_PASSWORD):
    response = client.post("/sign-in", data={"email": user.email, "password": password,
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in/second-factor")
    return response.headers["Location"]


def _code_step(client, location, code):
    return client.post(location, data={"code": code, "csrf_token": csrf_token(client, location)})


def test_the_password_alone_does_not_sign_in(app, make_user):
    person = make_user(clearance="confidential")
    client = app.test_client()
    location = _password_step(client, person)
    assert client.get("/account").status_code == 302  # a pending second factor is not a signed-in session
    with app.app_context():
        pending = session().scalar(select(AuthSession).where(AuthSession.user_id == person.id))
        assert pending.second_factor_pending
    assert _code_step(client, location, totp_code(app, person)).status_code == 302
    assert client.get("/account").status_code == 200


def test_wrong_reused_and_out_of_window_codes_are_refused(app, make_user, audit_rows):
    person = make_user(clearance="restricted")
    totp = pyotp.TOTP(person.totp_secret)
    client = app.test_client()
    location = _password_step(client, person)
    wrong = _code_step(client, location, "12345x")
    assert wrong.status_code == 401 and "not valid" in _text(wrong)
    now = int(__import__("time").time() // 30)
    stale = _code_step(client, location, totp.generate_otp(now - 3))
    assert stale.status_code == 401
    code = totp.generate_otp(now)
    assert _code_step(client, location, code).status_code == 302
    _post(client, "/sign-out", page="/account")
    # the same code again, within its window: a replay
    second = app.test_client()
    location = _password_step(second, person)
    assert _code_step(second, location, code).status_code == 401
    assert second.get("/account").status_code == 302
    assert len(audit_rows("auth.second_factor_failed")) == 3


def test_a_recovery_code_works_once(app, make_user, client_for):
    person = make_user(clearance="restricted", second_factor=False)
    client = client_for(person)
    secret = _start_enrolment(app, client, person)
    done = _post(client, "/account/two-factor", {"current_password": DEFAULT_PASSWORD,
                                                 "code": pyotp.TOTP(secret).now()}, page="/account/two-factor")
    code = re.findall(r"<code>([a-z2-7-]{19})</code>", _text(done))[0]
    first = app.test_client()
    assert _code_step(first, _password_step(first, person), code.upper().replace("-", " ")).status_code == 302
    again = app.test_client()
    assert _code_step(again, _password_step(again, person), code).status_code == 401


def test_five_wrong_codes_ask_for_the_password_again(app, make_user):
    person = make_user()
    client = app.test_client()
    location = _password_step(client, person)
    for _ in range(5):
        assert _code_step(client, location, "000000" if totp_code(app, person) != "000000" else "999999"
                          ).status_code == 401
    followed = client.get(location)
    assert followed.status_code == 302 and followed.headers["Location"].startswith("/sign-in")
    late = client.post(location, data={"code": totp_code(app, person), "csrf_token": csrf_token(client, "/sign-in")})
    assert late.status_code == 302 and late.headers["Location"] == "/sign-in"
    assert client.get("/account").status_code == 302


def test_the_code_step_without_a_password_step_goes_back_to_sign_in(client):
    response = client.get("/sign-in/second-factor")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_code_guessing_is_rate_limited(database_url, tmp_path, make_user):
    limited = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i"),
                          "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": True,
                          "LOGIN_RATE_LIMIT": "4 per minute"})
    person = make_user()
    client = limited.test_client()
    location = _password_step(client, person)
    statuses = [_code_step(client, location, "000000").status_code for _ in range(5)]
    assert statuses[-1] == 429 and 401 in statuses and "Too many" in _text(_code_step(client, location, "000000"))
    limited.extensions["db_engine"].dispose()


# ------------------------------------------------------------------ the cap without a second factor (DESIGN §3.12)


@pytest.mark.parametrize(("clearance", "roles"), [
    ("restricted", ()), ("confidential", ()), ("community", ("admin",)), ("community", ("facilitator",)),
])
def test_without_a_second_factor_an_account_reads_at_community_level_and_acts_as_a_member(
    app, make_user, clearance, roles
):
    capped = make_user(clearance=clearance, roles=roles, second_factor=False)
    enrolled = make_user(clearance=clearance, roles=roles)
    with app.app_context():
        low = policy.viewer_for(session().get(User, capped.id), session())
        full = policy.viewer_for(session().get(User, enrolled.id), session())
    assert low.clearance is Tier.COMMUNITY and not low.is_admin and not low.is_facilitator
    assert low.second_factor_missing and low.is_verified
    assert full.clearance is Tier.from_code(clearance) and not full.second_factor_missing
    assert full.is_admin == ("admin" in roles) and full.is_facilitator == ("facilitator" in roles)


def test_a_community_member_needs_no_second_factor(app, make_user):
    member = make_user(second_factor=False)
    with app.app_context():
        viewer = policy.viewer_for(session().get(User, member.id), session())
    assert viewer.clearance is Tier.COMMUNITY and not viewer.second_factor_missing


def test_the_banner_says_why_and_links_to_the_set_up(make_user, client_for):
    client = client_for(make_user(roles=("admin",), second_factor=False))
    assert client.get("/admin/").status_code == 403
    page = _text(client.get("/"))
    assert "needs two-factor sign-in" in page and 'href="/account/two-factor"' in page
    assert "needs two-factor" not in _text(client_for(make_user()).get("/"))


def test_an_admin_resets_a_lost_second_factor_audited_and_notified(
    smtp_app, smtp_server, make_user, client_for, audit_rows
):
    admin = make_user(roles=("admin",))
    person = make_user(clearance="restricted", email="lost-phone@example.org")
    signed_in = client_for(person)
    admin_client = client_for(admin)
    response = _post(admin_client, f"/admin/users/{person.id}/second-factor/reset", page=f"/admin/users/{person.id}")
    assert response.status_code == 302
    assert not _stored(smtp_app, person.id).has_second_factor
    assert signed_in.get("/account").status_code == 302
    assert [e.actor_id for e in audit_rows("user.second_factor_reset")] == [admin.id]
    assert "removed the second factor" in body_text(smtp_server.to("lost-phone@example.org")[0])
    again = _post(admin_client, f"/admin/users/{person.id}/second-factor/reset", page=f"/admin/users/{person.id}")
    assert again.status_code == 409
    assert _post(admin_client, f"/admin/users/{admin.id}/second-factor/reset").status_code == 403
    # the person signs in with the password only now, and reads at community level until enrolling again
    client = smtp_app.test_client()
    sign_in(client, person)
    assert "needs two-factor sign-in" in _text(client.get("/"))


# ------------------------------------------------------------------ sessions and security history


def test_sessions_page_lists_and_ends_other_sessions(app, make_user, audit_rows):
    person = make_user()
    here, phone, laptop = app.test_client(), app.test_client(), app.test_client()
    for client, agent in ((here, "Here/1.0"), (phone, "PhoneBrowser/2.0"), (laptop, "Laptop/3.0")):
        client.environ_base["HTTP_USER_AGENT"] = agent
        sign_in(client, person)
    page = _text(here.get("/account/sessions"))
    assert "PhoneBrowser/2.0" in page and "Laptop/3.0" in page and "This browser" in page and "127.0.0.1" in page
    with app.app_context():
        phone_id = session().scalar(select(AuthSession.id).where(AuthSession.user_agent == "PhoneBrowser/2.0"))
    assert _post(here, f"/account/sessions/{phone_id}/end", page="/account/sessions").status_code == 302
    assert phone.get("/account").status_code == 302 and laptop.get("/account").status_code == 200
    assert _post(here, f"/account/sessions/{phone_id}/end", page="/account/sessions").status_code == 404
    assert _post(here, "/account/sessions/end-others", page="/account/sessions").status_code == 302
    assert laptop.get("/account").status_code == 302 and here.get("/account").status_code == 200
    assert {"auth.session_ended", "auth.other_sessions_ended"} <= {e.action for e in audit_rows("auth.")}


def test_nobody_ends_someone_elses_session_nor_their_own_through_the_list(app, make_user, client_for):
    victim, attacker = make_user(), make_user()
    victim_client = client_for(victim)
    attacker_client = client_for(attacker)
    with app.app_context():
        victim_session = session().scalar(select(AuthSession.id).where(AuthSession.user_id == victim.id))
        own = session().scalar(select(AuthSession.id).where(AuthSession.user_id == attacker.id))
    assert _post(attacker_client, f"/account/sessions/{victim_session}/end").status_code == 404
    assert victim_client.get("/account").status_code == 200
    assert _post(attacker_client, f"/account/sessions/{own}/end").status_code == 404  # that is sign-out
    assert _post(attacker_client, "/account/sessions/2147483648/end").status_code == 404


def test_security_history_shows_the_persons_own_events(smtp_app, smtp_server, make_user, client_for):
    person, other = make_user(), make_user()
    stranger = smtp_app.test_client()
    stranger.post("/sign-in", data={"email": person.email, "password": "not the password at all",
                                    "csrf_token": csrf_token(stranger)})
    location = _password_step(stranger, person)
    _code_step(stranger, location, "000000" if totp_code(smtp_app, person) != "000000" else "999999")
    client_for(other)
    client = client_for(person)
    _post(client, "/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": NEWER,
                                        "confirm": NEWER})
    page = _text(client.get("/account/security"))
    for label in ("Signed in", "Failed sign-in (wrong password)", "Failed sign-in (wrong second-factor code)",
                  "Password changed"):
        assert label in page, label
    with smtp_app.app_context():
        theirs = session().scalar(select(AuditEvent.id).where(AuditEvent.object_id == other.id))
    assert theirs is not None and page.count("Signed in") == 2  # not the other person's sign-in


# ------------------------------------------------------------------ profile


def test_people_edit_their_own_name_language_and_time_zone(app, make_user, client_for):
    person = make_user(name="Old Name")
    client = client_for(person)
    response = _post(client, "/account/profile", {"name": "New Name", "locale": "en",
                                                  "time_zone": "Europe/Amsterdam"})
    assert response.status_code == 302
    stored = _stored(app, person.id)
    assert (stored.name, stored.locale, stored.time_zone) == ("New Name", "en", "Europe/Amsterdam")
    page = _text(client.get("/account/sessions"))
    assert ">New Name</a>" in page  # the header
    assert "Europe/Amsterdam" in page and " UTC</td>" not in page  # dates in the person's zone


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "", "locale": "", "time_zone": ""}, "Please correct"),
    ({"name": "x" * 121, "locale": "", "time_zone": ""}, "Please correct"),
    ({"name": "Ok", "locale": "xx", "time_zone": ""}, "Unknown language"),
    ({"name": "Ok", "locale": "", "time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
])
def test_profile_bad_inputs_change_nothing(app, make_user, client_for, data, message):
    person = make_user(name="Kept Name")
    response = _post(client_for(person), "/account/profile", data)
    assert response.status_code == 400 and message in _text(response)
    assert _stored(app, person.id).name == "Kept Name"
