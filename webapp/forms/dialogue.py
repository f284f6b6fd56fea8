"""Dialogue forms: rounds, threads, posts, flags, moderation reasons, moves, conclusions, watches."""
from __future__ import annotations

from datetime import timezone

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms.admin import TIER_CHOICES
from webapp.models.stakeholder_type import STAKEHOLDER_CODES
from webapp.services.dialogue_inputs import MAX_POST_CHARS, MAX_QUESTIONS_CHARS, MAX_REASON_CHARS, MAX_SYNTHESIS_CHARS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of labelled checkboxes (usable without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def utc(value):
    """A datetime-local value, read as UTC."""
    return value.replace(tzinfo=timezone.utc) if value is not None else None


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class RoundForm(FlaskForm):
    """Create or edit a dialogue round."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    questions = TextAreaField(_l("Guiding questions"), validators=[DataRequired(), Length(max=MAX_QUESTIONS_CHARS)],
                              description=_l("Markdown. The questions participants are asked to answer."))
    paragraphs = CheckboxListField(_l("Paragraphs of the Call this round speaks to"), coerce=int,
                                   validators=[DataRequired(_l("Choose at least one paragraph."))])
    tier = SelectField(_l("Access tier"), choices=TIER_CHOICES, default="community", validators=[DataRequired()])
    sharing_group = SelectField(_l("Limit to sharing group"), coerce=_optional_int, validators=[Optional()],
                                validate_choice=True)
    opens_at = DateTimeLocalField(_l("Opens at (UTC)"), format=DATETIME_FORMAT, validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Closes at (UTC)"), format=DATETIME_FORMAT, validators=[InputRequired()])
    chatham_house = BooleanField(_l("Chatham House rule: no names or organisations shown to anyone but facilitators"))
    invited_types = CheckboxListField(_l("Invited stakeholder types"), coerce=str,
                                      choices=[(code, code) for code in STAKEHOLDER_CODES],
                                      description=_l("Leave all invitations empty to let every reader take part."))
    invited_organisations = SelectMultipleField(_l("Invited organisations"), coerce=int)
    facilitators = SelectMultipleField(_l("Co-facilitators"), coerce=int,
                                       description=_l("You facilitate every round you create."))
    confirm_declassification = BooleanField(_l("I confirm this change lets more people read the round (declassification)"))

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("A round must close after it opens."))


class ThreadForm(FlaskForm):
    """Start a thread (standalone threads also choose paragraphs, tier and group)."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("First post"), validators=[DataRequired(), Length(max=MAX_POST_CHARS)],
                         description=_l("Markdown: *emphasis*, lists, links, > quotes."))
    paragraphs = CheckboxListField(_l("Paragraphs of the Call"), coerce=int, validators=[Optional()])
    tier = SelectField(_l("Access tier"), choices=TIER_CHOICES, default="community", validators=[Optional()])
    sharing_group = SelectField(_l("Limit to sharing group"), coerce=_optional_int, validators=[Optional()],
                                validate_choice=True)


class PostForm(FlaskForm):
    """A reply: to the thread, or to a post (parent), optionally quoting a post."""

    body = TextAreaField(_l("Your post"), validators=[DataRequired(), Length(max=MAX_POST_CHARS)],
                         description=_l("Markdown: *emphasis*, lists, links, > quotes."))
    parent_id = HiddenField()
    quote_id = HiddenField()


class EditPostForm(FlaskForm):
    """The author's new text."""

    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=MAX_POST_CHARS)])


class FlagForm(FlaskForm):
    """Why this post needs a facilitator's attention."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_REASON_CHARS)])


class ReasonForm(FlaskForm):
    """A moderation act with a reason (required to hide; optional otherwise, checked by the service)."""

    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=MAX_REASON_CHARS)])


class MoveForm(FlaskForm):
    """Where to move a thread."""

    target = SelectField(_l("Move to"), validators=[InputRequired()], validate_choice=False)
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=MAX_REASON_CHARS)])
    confirm_declassification = BooleanField(_l("I confirm the move lets more people read this thread (declassification)"))


class ConcludeForm(FlaskForm):
    """The outcome synthesis."""

    synthesis = TextAreaField(_l("Outcome synthesis"), validators=[DataRequired(), Length(max=MAX_SYNTHESIS_CHARS)],
                              description=_l("Markdown. It is published into the archive."))
    paragraphs = CheckboxListField(_l("Paragraphs the synthesis speaks to"), coerce=int,
                                   validators=[DataRequired(_l("Choose at least one paragraph."))])
    key_state = TextAreaField(_l("Key points: states"), validators=[Optional(), Length(max=4000)])
    key_international_organisation = TextAreaField(_l("Key points: international organisations"),
                                                   validators=[Optional(), Length(max=4000)])
    key_private_sector = TextAreaField(_l("Key points: private sector"), validators=[Optional(), Length(max=4000)])
    key_academia = TextAreaField(_l("Key points: academia"), validators=[Optional(), Length(max=4000)])
    key_civil_society = TextAreaField(_l("Key points: civil society"), validators=[Optional(), Length(max=4000)])

    def key_points(self) -> dict[str, str]:
        return {code: getattr(self, f"key_{code}").data or "" for code in STAKEHOLDER_CODES}


class WatchForm(FlaskForm):
    """Watch or stop watching (kind and id come from the URL)."""
