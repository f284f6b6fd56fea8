"""Forms of data-protection rights: erasing an account (one's own, or an admin on request)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length


class EraseMyAccountForm(FlaskForm):
    """The person confirms with their password and says they understand it is final."""

    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    ask_organisation = BooleanField(
        _l("Ask my organisation to delete my contributions too (until it agrees, and if it does not, they stay, "
           "credited to a former member of the organisation)"))
    understood = BooleanField(_l("I understand that this cannot be undone."),
                              validators=[DataRequired(_l("Tick the box to confirm that you understand."))])


class ErasePersonForm(FlaskForm):
    """An administrator acts on a documented request."""

    reason = TextAreaField(_l("The request (who asked, when, reference)"),
                           validators=[DataRequired(), Length(max=500)])
    delete_contributions = BooleanField(
        _l("Delete their contributions too (only where their organisation agreed; otherwise they stay, credited to "
           "a former member of the organisation)"))
    ask_organisation = BooleanField(
        _l("The person asks that their contributions be deleted: ask their organisation (its focal points answer)"))
    understood = BooleanField(_l("I understand that this cannot be undone."),
                              validators=[DataRequired(_l("Tick the box to confirm that you understand."))])


class DeleteItemForm(FlaskForm):
    """Deleting a submission or post for good; an administrator must give the request, the originator may not."""

    reason = TextAreaField(_l("Why (an administrator: whose request, when, reference)"),
                           validators=[Length(max=500)])
    understood = BooleanField(_l("I understand that this cannot be undone."),
                              validators=[DataRequired(_l("Tick the box to confirm that you understand."))])


class ErasureRequestAnswerForm(FlaskForm):
    """The organisation's answer to a request that a former member's contributions be deleted."""

    answer = RadioField(_l("Your organisation's answer"), choices=[
        ("agree", _l("Agree: delete the contributions now")),
        ("decline", _l("Decline: they stay, credited to a former member of the organisation"))],
        validators=[DataRequired(_l("Choose an answer."))])
    note = TextAreaField(_l("Note (an administrator: where the organisation gave its answer)"),
                         validators=[Length(max=500)])
    understood = BooleanField(_l("I understand that deleting cannot be undone."))

    def validate_understood(self, field) -> None:
        """Agreeing deletes for good: the box must be ticked; declining needs no confirmation."""
        if self.answer.data == "agree" and not field.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("Tick the box to confirm that you understand."))
