"""Admin forms: roles, clearance, groups."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.ids import parse_id
from webapp.models import Tier

TIER_CHOICES = [
    (Tier.PUBLIC.code, _l("Public (TLP:CLEAR)")),
    (Tier.COMMUNITY.code, _l("Community (TLP:GREEN)")),
    (Tier.RESTRICTED.code, _l("Restricted (TLP:AMBER)")),
    (Tier.CONFIDENTIAL.code, _l("Confidential (TLP:RED)")),
]


class ActionForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""


class RolesForm(FlaskForm):
    """The additive roles (member is implicit)."""

    facilitator = BooleanField(_l("Facilitator"))
    admin = BooleanField(_l("Administrator"))


class ClearanceForm(FlaskForm):
    """The highest tier a person may read."""

    clearance = SelectField(_l("Clearance"), choices=TIER_CHOICES, validators=[DataRequired()])


class GroupForm(FlaskForm):
    """A new sharing group."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])
    # Choices are set by the view (verified organisations); "" means no owner.
    owner = SelectField(_l("Owner organisation (its facilitators are told of every change)"), validators=[Optional()],
                        validate_choice=False, coerce=str)

    def owner_id(self) -> int | None:
        """The chosen owner organisation's id; None for none. Raises ValueError for anything but a number."""
        value = (self.owner.data or "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) >= 12:
            raise ValueError(value)
        return int(value)


class GroupMemberForm(FlaskForm):
    """Pick a person or an organisation to add (the service answers 404 for unknown ids, 409 for members)."""

    member = SelectField(_l("Add"), validators=[DataRequired()], validate_choice=False, coerce=str)

    def member_id(self) -> int | None:
        """The chosen id, or None when the value is not a number."""
        return parse_id(self.member.data)
