"""The signed-in person's own account: profile, e-mail, password, second factor, sessions, security history."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from webapp import rate_limits
from webapp.locale_names import LANGUAGE_NAMES
from webapp.auth import login_required
from webapp.db import session as db_session
from webapp.extensions import limiter
from webapp.forms.accounts import ChangeEmailForm, ChangePasswordForm, EnrolSecondFactorForm, ProfileForm
from webapp.queries_accounts import SECURITY_EVENTS, security_history
from webapp.services import ServiceError, account_recovery, accounts, profile, second_factor
from webapp.views.auth import _login_limit, _password_change_limit, _sign_in, bp



def _me():
    return current_user._get_current_object()


def _profile_form(user, formdata=True) -> ProfileForm:
    form = ProfileForm(name=user.name, locale=user.locale or "", time_zone=user.time_zone or "") if not formdata \
        else ProfileForm()
    form.locale.choices = [("", _("As my browser asks"))] + [
        (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]
    ]
    form.time_zone.choices = [("", "UTC")] + [(zone, zone) for zone in profile.time_zones()]
    return form


def _render_account(status: int = 200, **forms):
    user = _me()
    context = {
        "user": user,
        "form": forms.get("form") or ChangePasswordForm(formdata=None),
        "profile_form": forms.get("profile_form") or _profile_form(user, formdata=False),
        "email_form": forms.get("email_form") or ChangeEmailForm(formdata=None),
        "action": FlaskForm(),
        "recovery_codes_left": second_factor.recovery_codes_left(db_session(), user.id),
    }
    return render_template("auth/account.html", **context), status


@bp.get("/account")
@login_required
def account():
    """The signed-in user's profile, status, clearance and security settings."""
    return _render_account()


@bp.post("/account/profile")
@login_required
def update_profile():
    """Change name, language and time zone."""
    form = _profile_form(_me())
    if form.validate_on_submit():
        try:
            profile.update_profile(_me(), name=form.name.data, locale=form.locale.data, time_zone=form.time_zone.data)
        except ServiceError as error:
            form.form_errors.append(error.message)
            return _render_account(error.status, profile_form=form)
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.account"))
    return _render_account(400, profile_form=form)


@bp.post("/account/email")
@login_required
# Checks the current password (an Argon2 hash): limited per account and per address.
@limiter.limit(_password_change_limit, key_func=rate_limits.signed_in_account_key)
@limiter.limit(_password_change_limit)
def change_email():
    """Ask to change the address: a link goes to the new one (the same answer if another account holds it)."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            account_recovery.request_email_change(
                _me(), current_password=form.email_password.data, new_email=form.new_email.data
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
            return _render_account(error.status, email_form=form)
        flash(_("We mailed a link to %(email)s. Your address changes when you open it.", email=form.new_email.data),
              "success")
        return redirect(url_for("auth.account"))
    return _render_account(400, email_form=form)


@bp.post("/account/email/resend")
@login_required
@limiter.limit(_login_limit)
def resend_verification():
    """Mail a new confirmation link for the registration address."""
    FlaskForm().validate_on_submit()
    account_recovery.resend_verification(_me())
    flash(_("We mailed you a new link."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
# Checks the current password (an Argon2 hash): limited per account and per address.
@limiter.limit(_password_change_limit, key_func=rate_limits.signed_in_account_key)
@limiter.limit(_password_change_limit)
def change_password():
    """Change the password; every other session is signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = _me()
        try:
            accounts.change_password(
                user, current_password=form.current_password.data, new_password=form.new_password.data
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
            return _render_account(error.status, form=form)
        _sign_in(user)
        flash(_("Your password has been changed. Your other sessions have been signed out."), "success")
        return redirect(url_for("auth.account"))
    return _render_account(400, form=form)


@bp.get("/account/two-factor")
@login_required
def two_factor():
    """Set up (or replace) the second factor: a QR code to scan, then the password and a code."""
    user = _me()
    qr = second_factor.qr_svg_data_uri(user) if user.totp_pending_secret else None
    return render_template("auth/two_factor.html", user=user, qr=qr, form=EnrolSecondFactorForm(formdata=None),
                           action=FlaskForm())


@bp.post("/account/two-factor/start")
@login_required
def start_two_factor():
    """Make a new secret and show it as a QR code."""
    FlaskForm().validate_on_submit()
    second_factor.start_enrolment(_me())
    return redirect(url_for("auth.two_factor"))


@bp.post("/account/two-factor")
@login_required
# Checks the current password (an Argon2 hash): limited per account and per address.
@limiter.limit(_password_change_limit, key_func=rate_limits.signed_in_account_key)
@limiter.limit(_password_change_limit)
def confirm_two_factor():
    """Enrol the scanned secret; the recovery codes are shown on this one response only."""
    user = _me()
    form = EnrolSecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_enrolment(
                user, current_password=form.current_password.data, code=form.code.data,
                keep_session_id=user.auth_session_id,
            )
        except ServiceError as error:
            form.form_errors.append(error.message)
        else:
            return render_template("auth/recovery_codes.html", codes=codes)
    status = 400
    if form.form_errors:
        status = 409 if not user.totp_pending_secret else 400
    qr = second_factor.qr_svg_data_uri(user) if user.totp_pending_secret else None
    return render_template("auth/two_factor.html", user=user, qr=qr, form=form, action=FlaskForm()), status


@bp.get("/account/sessions")
@login_required
def sessions():
    """Every signed-in session of the person: started, last seen, address, browser."""
    rows = accounts.active_sessions(db_session(), _me().id, lifetime=current_app.permanent_session_lifetime)
    return render_template("auth/sessions.html", rows=rows, current_id=_me().auth_session_id, action=FlaskForm())


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """Sign out one other browser."""
    FlaskForm().validate_on_submit()
    accounts.end_other_session(_me(), session_id)
    flash(_("That session has been signed out."), "success")
    return redirect(url_for("auth.sessions"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    """Sign out every browser but this one."""
    FlaskForm().validate_on_submit()
    count = accounts.end_all_other_sessions(_me())
    flash(_("%(n)d other session(s) signed out.", n=count), "success")
    return redirect(url_for("auth.sessions"))


@bp.get("/account/security")
@login_required
def security():
    """The person's own security history: sign-ins, failed codes, resets, password and address changes."""
    return render_template("auth/security.html", events=security_history(db_session(), _me().id),
                           security_labels=SECURITY_EVENTS)
