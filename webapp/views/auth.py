"""Register, sign in, sign out, account and password."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from webapp import queries
from webapp.auth import login_required
from webapp.db import session as db_session
from webapp.extensions import limiter
from webapp.forms.accounts import NEW_ORGANISATION, ChangePasswordForm, RegisterForm, SignInForm
from webapp.security import safe_next
from webapp.services import ServiceError, accounts

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _sign_in(user) -> None:
    """Start a fresh session (no fixation) carrying a revocable token."""
    session.clear()
    accounts.start_session(user, ip=request.remote_addr or "", user_agent=request.user_agent.string or "")
    session.permanent = True
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])  # each attempt costs an Argon2 hash: not an open CPU tap
def register():
    """Create a pending account."""
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
                organisation_id=None if proposal else int(form.organisation.data),
                new_organisation=proposal,
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
            return render_template("auth/register.html", form=form), error.status
        flash(_("Your account has been created. An administrator will verify it; until then you can sign in "
                "and read public material."), "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/register.html", form=form), (400 if form.is_submitted() else 200)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in():
    """Sign in with e-mail and password; the same answer for an unknown e-mail and a wrong password."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            _sign_in(user)
            flash(_("Signed in as %(name)s.", name=user.name), "success")
            return redirect(next_url or url_for("main.index"))
        form.form_errors.append(_("That e-mail address and password do not match an active account."))
        return render_template("auth/sign_in.html", form=form), 401
    return render_template("auth/sign_in.html", form=form), (400 if form.is_submitted() else 200)


@bp.post("/sign-out")
@login_required
def sign_out():
    """Revoke this browser's session."""
    accounts.end_session(current_user, current_user.get_id())
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))


@bp.get("/account")
@login_required
def account():
    """The signed-in user's profile, status and clearance."""
    return render_template("auth/account.html", user=current_user, form=ChangePasswordForm())


@bp.post("/account/password")
@login_required
def change_password():
    """Change the password; every other session is signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(
                user, current_password=form.current_password.data, new_password=form.new_password.data
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
            return render_template("auth/account.html", user=user, form=form), error.status
        _sign_in(user)
        flash(_("Your password has been changed. Your other sessions have been signed out."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", user=current_user, form=form), 400
