"""Dialogue forms: rounds, threads, posts, flags, moderation reasons, moves, conclusions, watches."""
from __future__ import annotations

from datetime import timezone

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms.admin import TIER_CHOICES
from webapp.forms.idempotency import SubmittedOnce
from webapp.ids import IdField, coerce_id, coerce_optional_id
from webapp.models.stakeholder_type import STAKEHOLDER_CODES
from webapp.services.dialogue_inputs import MAX_POST_CHARS, MAX_QUESTIONS_CHARS, MAX_REASON_CHARS, MAX_SYNTHESIS_CHARS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of labelled checkboxes (usable without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


MARKDOWN_HINT = _l("Markdown: *emphasis*, lists, links, > quotes.")


def utc(value):
    """A datetime-local value, read as UTC."""
    return value.replace(tzinfo=timezone.utc) if value is not None else None


class RoundForm(SubmittedOnce, FlaskForm):
    """Create or edit a dialogue round."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    questions = TextAreaField(_l("Guiding questions"), validators=[DataRequired(), Length(max=MAX_QUESTIONS_CHARS)],
                              description=_l("Markdown. The questions participants are asked to answer."))
    paragraphs = CheckboxListField(_l("Paragraphs of the Call this round speaks to"), coerce=coerce_id,
                                   validators=[DataRequired(_l("Choose at least one paragraph."))])
    tier = SelectField(_l("Access tier"), choices=TIER_CHOICES, default="community", validators=[DataRequired()])
    sharing_group = SelectField(_l("Limit to sharing group"), coerce=coerce_optional_id, validators=[Optional()],
                                validate_choice=True)
    opens_at = DateTimeLocalField(_l("Opens at (UTC)"), format=DATETIME_FORMAT, validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Closes at (UTC)"), format=DATETIME_FORMAT, validators=[InputRequired()])
    chatham_house = BooleanField(_l("Chatham House rule: no names or organisations shown to anyone but facilitators"))
    hidden_roster = BooleanField(_l("Hidden roster: participants see how many organisations of each stakeholder type "
                                    "were invited, not which"))
    thread_pseudonyms = BooleanField(_l("Pseudonyms per thread (Chatham House only): posts read \"Participant A\", "
                                        "\"Participant B\"… within each thread; only facilitators see who is who"))
    invited_types = CheckboxListField(_l("Invited stakeholder types"), coerce=str,
                                      choices=[(code, code) for code in STAKEHOLDER_CODES],
                                      description=_l("Leave all invitations empty to let every reader take part."))
    # Checkbox lists, not Ctrl-click multi-selects; `list_filter` narrows them on the server (no JavaScript).
    invited_organisations = CheckboxListField(_l("Invited organisations"), coerce=coerce_id)
    facilitators = CheckboxListField(_l("Co-facilitators"), coerce=coerce_id,
                                     description=_l("You facilitate every round you create."))
    list_filter = StringField(_l("Find organisations and people by name"), validators=[Optional(), Length(max=100)],
                              description=_l("Shows only the matching names in the two lists below; what you "
                                             "already ticked stays listed, and nothing is saved yet."))
    confirm_declassification = BooleanField(_l("I confirm this change lets more people read the round (declassification)"))
    # An optional scheduled release, set when creating the round (DESIGN.md rule 8): both or neither.
    release_tier = SelectField(_l("Release to a lower tier later (optional)"),
                               choices=[("", _l("No scheduled release"))] + list(TIER_CHOICES), validate_choice=False)
    release_at = StringField(_l("Release on (UTC, YYYY-MM-DD HH:MM)"), validators=[Optional(), Length(max=40)])

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("A round must close after it opens."))


class ThreadForm(SubmittedOnce, FlaskForm):
    """Start a thread (standalone threads also choose paragraphs, tier and group)."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("First post"), validators=[DataRequired(), Length(max=MAX_POST_CHARS)],
                         description=MARKDOWN_HINT)
    paragraphs = CheckboxListField(_l("Paragraphs of the Call"), coerce=coerce_id, validators=[Optional()])
    tier = SelectField(_l("Access tier"), choices=TIER_CHOICES, default="community", validators=[Optional()])
    sharing_group = SelectField(_l("Limit to sharing group"), coerce=coerce_optional_id, validators=[Optional()],
                                validate_choice=True)


class PostForm(SubmittedOnce, FlaskForm):
    """A reply: to the thread, or to a post (parent), optionally quoting a post."""

    body = TextAreaField(_l("Your post"), validators=[DataRequired(), Length(max=MAX_POST_CHARS)],
                         description=_l("Markdown: *emphasis*, lists, links, > quotes. "
                                        "Mention someone as @[Their Name] to let them know (if they can read it)."))
    parent_id = IdField(_l("In reply to"), message=_l("There is no such post."))
    quote_id = IdField(_l("Quoting"), message=_l("There is no such post."))
    watch = BooleanField(_l("Watch this thread: tell me about new posts"), default=False)


class EditPostForm(FlaskForm):
    """The author's new text."""

    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=MAX_POST_CHARS)],
                         description=MARKDOWN_HINT)


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
    paragraphs = CheckboxListField(_l("Paragraphs the synthesis speaks to"), coerce=coerce_id,
                                   validators=[DataRequired(_l("Choose at least one paragraph."))])
    key_state = TextAreaField(_l("Key points: states"), validators=[Optional(), Length(max=4000)],
                                   description=MARKDOWN_HINT)
    key_international_organisation = TextAreaField(_l("Key points: international organisations"),
                                                   validators=[Optional(), Length(max=4000)],
                                   description=MARKDOWN_HINT)
    key_private_sector = TextAreaField(_l("Key points: private sector"), validators=[Optional(), Length(max=4000)],
                                   description=MARKDOWN_HINT)
    key_academia = TextAreaField(_l("Key points: academia"), validators=[Optional(), Length(max=4000)],
                                   description=MARKDOWN_HINT)
    key_civil_society = TextAreaField(_l("Key points: civil society"), validators=[Optional(), Length(max=4000)],
                                   description=MARKDOWN_HINT)
    review_on = StringField(_l("Review date of the synthesis (optional, YYYY-MM-DD)"),
                            validators=[Optional(), Length(max=40)], render_kw={"type": "date"},
                            description=_l("When you will be reminded to check the synthesis is still current: keep "
                                           "it (a new date), retire it or delete it. Leave it empty for the default "
                                           "for outcome syntheses."))

    def key_points(self) -> dict[str, str]:
        return {code: getattr(self, f"key_{code}").data or "" for code in STAKEHOLDER_CODES}


class WatchForm(FlaskForm):
    """Watch or stop watching (kind and id come from the URL)."""
