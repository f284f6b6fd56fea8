"""Registration, sign-in and password forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from webapp.forms.countries import country_choices
from webapp.services.passwords import MAX_LENGTH

NEW_ORGANISATION = "new"


def _strip(value):
    """Pasted addresses and names often carry surrounding spaces."""
    return value.strip() if isinstance(value, str) else value


class RegisterForm(FlaskForm):
    """Create an account in an existing organisation or propose a new one."""

    name = StringField(_l("Your full name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Work e-mail address"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))],
    )
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()], validate_choice=False)
    new_organisation_name = StringField(_l("Name of the new organisation"), validators=[Optional(), Length(max=200)])
    new_organisation_type = SelectField(_l("Stakeholder type"), validators=[Optional()], validate_choice=False)
    new_organisation_country = SelectField(_l("Country"), validators=[Optional()], validate_choice=False)
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH, message=_l("Use at most %(max)d characters."))],
        description=_l("At least 12 characters. A passphrase of several unrelated words is easy to remember."),
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )

    def set_choices(self, organisations, stakeholder_types) -> None:
        """Fill the select boxes from the database rows the view loaded."""
        self.organisation.choices = [("", _l("Choose…"))] + [(str(o.id), o.name) for o in organisations] + [
            (NEW_ORGANISATION, _l("My organisation is not listed — propose it"))
        ]
        self.new_organisation_type.choices = [("", _l("Choose…"))] + [(t.code, t.display_label) for t in stakeholder_types]
        self.new_organisation_country.choices = [("", _l("Choose…"))] + country_choices()
        self._organisation_ids = {str(o.id) for o in organisations}
        self._type_codes = {t.code for t in stakeholder_types}

    def validate_organisation(self, field) -> None:
        if field.data != NEW_ORGANISATION and field.data not in self._organisation_ids:
            raise ValidationError(_l("Unknown organisation: choose one from the list, or propose a new one."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.organisation.data == NEW_ORGANISATION:
            if not (self.new_organisation_name.data or "").strip():
                self.new_organisation_name.errors.append(_l("Give the name of your organisation."))
                ok = False
            if self.new_organisation_type.data not in self._type_codes:
                self.new_organisation_type.errors.append(_l("Choose a stakeholder type."))
                ok = False
            if self.new_organisation_country.data not in dict(country_choices()):
                self.new_organisation_country.errors.append(_l("Choose a country."))
                ok = False
        return ok


class SignInForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail address"), filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ChangePasswordForm(FlaskForm):
    """Current password, then the new one twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH, message=_l("Use at most %(max)d characters."))],
        description=_l("At least 12 characters. Signing in again will be needed on your other devices."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class ForgotPasswordForm(FlaskForm):
    """The address a reset link should go to."""

    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))],
    )


class ResetPasswordForm(FlaskForm):
    """The new password, twice."""

    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH, message=_l("Use at most %(max)d characters."))],
        description=_l("At least 12 characters. A passphrase of several unrelated words is easy to remember."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class SecondFactorForm(FlaskForm):
    """The 6-digit code of the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"},
    )


class EnrolSecondFactorForm(FlaskForm):
    """Confirm the scanned secret with the current password and a code."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    code = StringField(
        _l("6-digit code from the app"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ProfileForm(FlaskForm):
    """Name, language and time zone."""

    name = StringField(_l("Your full name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), validators=[Optional()], validate_choice=False)
    time_zone = SelectField(_l("Time zone"), validators=[Optional()], validate_choice=False,
                            description=_l("Dates and times are shown in this time zone."))


class ChangeEmailForm(FlaskForm):
    """A new address, confirmed by a link mailed to it."""

    new_email = EmailField(
        _l("New e-mail address"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))],
        description=_l("We mail a link to the new address; the change takes effect when you open it."),
    )
    email_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
