"""Register, sign in (password, then the second factor), sign out, forgotten password, e-mail confirmation."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm

from webapp import queries, rate_limits
from webapp.auth import login_required
from webapp.db import session as db_session
from webapp.extensions import limiter
from webapp.forms.accounts import (
    NEW_ORGANISATION,
    ForgotPasswordForm,
    RegisterForm,
    ResetPasswordForm,
    SecondFactorForm,
    SignInForm,
)
from webapp.ids import parse_id
from webapp.security import safe_next
from webapp.services import ServiceError, account_recovery, accounts
from webapp.services.account_recovery import LinkRefused

bp = Blueprint("auth", __name__)

PENDING_SIGN_IN = "pending_sign_in"  # Flask session key: the token of a password-checked, code-awaiting session


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _password_change_limit() -> str:
    return current_app.config["PASSWORD_CHANGE_RATE_LIMIT"]


def _credentials_refused(response) -> bool:
    return response.status_code == 401


def _client() -> dict:
    return {"ip": request.remote_addr or "", "user_agent": request.user_agent.string or ""}


def _sign_in(user) -> None:
    """Start a fresh session (no fixation) carrying a revocable token."""
    session.clear()
    accounts.start_session(user, **_client())
    session.permanent = True
    login_user(user)


def _link_refused(error: LinkRefused):
    message = (_("This link is not valid. Check that you copied the whole address from the e-mail.")
               if error.status == 404 else _("This link has expired or was already used. Ask for a new one."))
    return render_template("auth/link_refused.html", message=message), error.status


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])  # each attempt costs an Argon2 hash: not an open CPU tap
def register():
    """Create a pending account; the same answer whoever already has an account (DESIGN §7)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    db = db_session()
    form.set_choices(queries.organisations(db, verified=True), queries.stakeholder_types(db))
    if form.validate_on_submit():
        proposal = None
        if form.organisation.data == NEW_ORGANISATION:
            proposal = accounts.NewOrganisation(
                name=form.new_organisation_name.data,
                stakeholder_type=form.new_organisation_type.data,
                country=form.new_organisation_country.data,
            )
        try:
            accounts.register(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                organisation_id=None if proposal else parse_id(form.organisation.data),  # not an id: "choose"
                new_organisation=proposal,
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
            return render_template("auth/register.html", form=form), error.status
        return redirect(url_for("auth.check_mailbox"))
    return render_template("auth/register.html", form=form), (400 if form.is_submitted() else 200)


@bp.get("/register/check-your-mailbox")
def check_mailbox():
    """The one answer to every registration: a link is on its way."""
    return render_template("auth/check_mailbox.html")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
# Per account as well, counting refusals only: guesses spread over many addresses still run out.
@limiter.limit(_login_account_limit, methods=["POST"], key_func=rate_limits.account_key_for_sign_in,
               deduct_when=_credentials_refused)
def sign_in():
    """Sign in with e-mail and password; the same answer for an unknown e-mail and a wrong password.
    An account with a second factor is only half-way signed in here: the code comes next."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None and user.has_second_factor:
            session.clear()
            session[PENDING_SIGN_IN] = accounts.start_session(user, second_factor_pending=True, **_client())
            return redirect(url_for("auth.second_factor", next=next_url))
        if user is not None:
            _sign_in(user)
            flash(_("Signed in as %(name)s.", name=user.name), "success")
            return redirect(next_url or url_for("main.index"))
        form.form_errors.append(_("That e-mail address and password do not match an active account."))
        # 401 is what the per-account limit counts (_credentials_refused).
        return render_template("auth/sign_in.html", form=form), 401
    return render_template("auth/sign_in.html", form=form), (400 if form.is_submitted() else 200)


@bp.route("/sign-in/second-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor():
    """The second step of signing in: a TOTP code or a recovery code."""
    next_url = safe_next(request.args.get("next"))
    token = session.get(PENDING_SIGN_IN)
    if accounts.pending_sign_in(db_session(), token) is None:
        session.pop(PENDING_SIGN_IN, None)
        flash(_("Sign in with your password first (the code step lasts 10 minutes)."), "info")
        return redirect(url_for("auth.sign_in", next=next_url))
    form = SecondFactorForm()
    if form.validate_on_submit():
        user = accounts.complete_second_factor(token, form.code.data)
        if user is not None:
            session.clear()
            session.permanent = True
            login_user(user)
            flash(_("Signed in as %(name)s.", name=user.name), "success")
            return redirect(next_url or url_for("main.index"))
        form.code.errors.append(_("That code is not valid, or was already used. Enter the code your app shows now."))
        return render_template("auth/second_factor.html", form=form), 401
    return render_template("auth/second_factor.html", form=form), (400 if form.is_submitted() else 200)


@bp.post("/sign-out")
@login_required
def sign_out():
    """Revoke this browser's session."""
    accounts.end_session(current_user, current_user.get_id())
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    """Ask for a reset link; the same answer whether or not the address has an account (DESIGN §7)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        account_recovery.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html")
    return render_template("auth/forgot_password.html", form=form), (400 if form.is_submitted() else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str):
    """Choose a new password through a mailed link (once, within 30 minutes); every session ends."""
    form = ResetPasswordForm()
    try:
        account_recovery.check_reset_link(token)
        if form.validate_on_submit():
            account_recovery.reset_password(token, form.new_password.data)
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password has been changed and every session signed out. Sign in with the new password."),
                  "success")
            return redirect(url_for("auth.sign_in"))
    except LinkRefused as error:
        return _link_refused(error)
    except ServiceError as error:
        form.form_errors.append(error.message)
        return render_template("auth/reset_password.html", form=form), error.status
    return render_template("auth/reset_password.html", form=form), (400 if form.is_submitted() else 200)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """Confirm an address: the page asks for a click (mail scanners that open links confirm nothing)."""
    form = FlaskForm()
    try:
        address = account_recovery.check_verification_link(token)
        if form.validate_on_submit():
            account_recovery.confirm_email(token)
            flash(_("Thank you: %(email)s is confirmed.", email=address), "success")
            return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.sign_in"))
    except LinkRefused as error:
        return _link_refused(error)
    if form.is_submitted():
        abort(400)
    return render_template("auth/confirm_email.html", form=form, address=address)


from webapp.views import account  # noqa: E402,F401  (registers the account pages on this blueprint)
