"""Forms of declassification by the originator: a proposal from elsewhere, its answer, a scheduled release."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms.archive import FIELD_LABELS, TIER_LABELS
from webapp.forms.idempotency import SubmittedOnce

MAX_REASON = 2000


class ProposalForm(SubmittedOnce, FlaskForm):
    """Propose a lower tier or no sharing group to the originator, with a reason."""

    proposed_tier = SelectField(_l("Proposed tier"), choices=[], validators=[DataRequired()], validate_choice=False)
    proposed_group_id = SelectField(FIELD_LABELS["sharing_group_id"], choices=[], validate_choice=False)
    reason = TextAreaField(_l("Reason (the originator reads it)"),
                           validators=[DataRequired(), Length(max=MAX_REASON)])

    def offer(self, tiers, group) -> None:
        """The tiers below the current one; the item's group kept or removed."""
        self.proposed_tier.choices = [(tier.code, TIER_LABELS[tier.code]) for tier in tiers]
        self.proposed_group_id.choices = ([(str(group.id), _l("Keep the group %(name)s", name=group.name))]
                                          if group is not None else []) + [("", _l("No sharing group"))]


class AnswerForm(FlaskForm):
    """Refuse a proposal (the reason is optional); accepting needs no field."""

    reason = TextAreaField(_l("Reason (optional, the proposer reads it)"),
                           validators=[Optional(), Length(max=MAX_REASON)])


class ReleaseForm(FlaskForm):
    """Schedule "release to TIER at TIME (UTC)"."""

    release_tier = SelectField(_l("Release to tier"), choices=[], validators=[DataRequired()], validate_choice=False)
    release_at = StringField(_l("On (UTC, YYYY-MM-DD HH:MM)"), validators=[DataRequired()])

    def offer(self, tiers) -> None:
        """The tiers below the current one."""
        self.release_tier.choices = [(tier.code, TIER_LABELS[tier.code]) for tier in tiers]


class RaiseForm(FlaskForm):
    """Raise a round's tier now (never waits; open to its facilitators, even once it is concluded)."""

    raise_tier = SelectField(_l("Raise to tier"), choices=[], validators=[DataRequired()], validate_choice=False)

    def offer(self, tiers) -> None:
        """The tiers above the current one that the viewer may give."""
        self.raise_tier.choices = [(tier.code, TIER_LABELS[tier.code]) for tier in tiers]
