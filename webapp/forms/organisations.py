"""Forms of organisations: profile, edit, merge, focal points, refusals, clearance proposals, owned groups."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms.countries import country_choices
from webapp.ids import parse_id
from webapp.models import Tier


class ProfileForm(FlaskForm):
    """What the organisation page shows about it."""

    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)],
                          description=_l("An http:// or https:// address."))


class OrganisationForm(FlaskForm):
    """What an organisation is: admins only."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    stakeholder_type = SelectField(_l("Stakeholder type"), validators=[DataRequired()])  # choices set by the view
    country = SelectField(_l("Country"), validators=[DataRequired()])

    def __init__(self, *args, stakeholder_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stakeholder_type.choices = [(t.code, t.display_label) for t in stakeholder_types]
        self.country.choices = country_choices()


class PickForm(FlaskForm):
    """Pick one id from a list (merge target, new focal point); the service answers for unknown ids."""

    choice = SelectField(_l("Choose"), validators=[DataRequired()], validate_choice=False, coerce=str)

    def chosen_id(self) -> int | None:
        """The chosen id, or None when the value is not a number."""
        return parse_id(self.choice.data)


class ReasonForm(FlaskForm):
    """A refusal: the reason is sent to the person."""

    reason = TextAreaField(_l("Reason (sent to the person)"), validators=[DataRequired(), Length(max=500)])


class ProposalForm(FlaskForm):
    """A focal point's proposed clearance for a colleague."""

    clearance = SelectField(_l("Proposed clearance"), validators=[DataRequired()], choices=[
        (Tier.COMMUNITY.code, _l("Community (TLP:GREEN)")),
        (Tier.RESTRICTED.code, _l("Restricted (TLP:AMBER)")),
        (Tier.CONFIDENTIAL.code, _l("Confidential (TLP:RED)")),
    ])
    reason = TextAreaField(_l("Why (for the administrators)"), validators=[Optional(), Length(max=500)])


class OwnedGroupForm(FlaskForm):
    """A new sharing group owned by the focal point's organisation."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])
