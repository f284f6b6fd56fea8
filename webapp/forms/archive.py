"""Archive forms: one per submission kind, review comments, tier change, and bare action buttons.

Forms parse and give clear messages; the services re-check everything (a forged post reaches them too). Fields
the author may not set (author, status, organisation) are simply not fields: extra posted keys are ignored.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms.idempotency import SubmittedOnce
from webapp.ids import coerce_number
from webapp.models import SubmissionKind, Tier
from webapp.models.call_paragraph import FIRST_PARAGRAPH, LAST_PARAGRAPH
from webapp.models.submission import MARKDOWN_FIELDS
from webapp.queries_archive.labels import FIELD_LABELS, LESSON_STATUS_LABELS, STAGE_LABELS, TIER_LABELS
from webapp.services.submission_fields import SUMMARY_MAX, TITLE_MAX
from webapp.locale_names import LANGUAGE_NAMES, call_title

def language_choices() -> list[tuple[str, str]]:
    """The platform's languages, each named in itself (a reader finds their own whatever the page's language)."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def current_language() -> str:
    """The page's language: the default language of what a person writes."""
    return str(get_locale() or "en")


MARKDOWN_HINT = _l("Markdown: **bold**, *italic*, lists, links, tables. HTML is shown as text.")


class ActionForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""


class ParagraphsField(SelectMultipleField):
    """Call paragraphs as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def tier_choices() -> list[tuple[str, Any]]:
    return [(tier.code, TIER_LABELS[tier.code]) for tier in Tier]


class SubmissionForm(SubmittedOnce, FlaskForm):
    """The fields every kind shares."""

    title = StringField(FIELD_LABELS["title"], validators=[DataRequired(_l("A title is required.")), Length(max=TITLE_MAX)])
    summary = TextAreaField(
        FIELD_LABELS["summary"],
        description=_l("Plain text: two or three sentences a reader sees in lists."),
        validators=[DataRequired(_l("A summary is required.")), Length(max=SUMMARY_MAX)],
    )
    keywords = StringField(
        FIELD_LABELS["keywords"], description=_l("Separated by commas."), validators=[Optional(), Length(max=1300)]
    )
    language = SelectField(
        _l("Written in"),
        description=_l("The language of the text you write here; colleagues may add reviewed translations later."),
        choices=language_choices, default=current_language,
        validate_choice=False,  # the service explains a language the platform does not offer
    )
    paragraphs = ParagraphsField(
        FIELD_LABELS["paragraphs"],
        choices=[(n, str(n)) for n in range(FIRST_PARAGRAPH, LAST_PARAGRAPH + 1)],
        coerce=coerce_number,  # the service explains paragraph 0 or 26
        validators=[DataRequired(_l("Choose at least one paragraph of the Call to Action."))],
        validate_choice=False,  # the service explains paragraph 0 or 26
    )
    tier = SelectField(
        FIELD_LABELS["tier"],
        description=_l("Who may read it. You can choose up to your own clearance."),
        choices=[("", _l("Choose who may read it"))] + tier_choices(),
        validators=[DataRequired(_l("Choose who may read it."))],
        validate_choice=False,  # the service explains an unknown tier or one above the author's clearance
    )
    sharing_group_id = SelectField(
        FIELD_LABELS["sharing_group_id"],
        description=_l("Optional: only this group's members (and your own organisation) may read it. "
                       "Confidential items without a group stay inside your organisation."),
        choices=[("", _l("No sharing group"))],
        validate_choice=False,  # the service refuses a group the author is not in, with a clear message
    )
    confirm_declassify = BooleanField(
        _l("I confirm lowering the access tier: more people will be able to read this item.")
    )
    note = StringField(_l("What changed (optional)"), validators=[Optional(), Length(max=200)])
    # An optional scheduled release, set when sharing (DESIGN.md rule 8): both or neither; the service checks them.
    release_tier = SelectField(_l("Release to a lower tier later (optional)"),
                               choices=[("", _l("No scheduled release"))] + tier_choices(), validate_choice=False)
    release_at = StringField(_l("Release on (UTC, YYYY-MM-DD HH:MM)"), validators=[Optional(), Length(max=40)])
    # The review date (issue 14): the originator's choice, else the kind's default after publication; the service
    # parses it (services/review_dates.py) so a forged post gets the same clear message as the form.
    review_on = StringField(_l("Review date (optional, YYYY-MM-DD)"), validators=[Optional(), Length(max=40)],
                            render_kw={"type": "date"})

    kind: SubmissionKind

    def set_groups(self, groups) -> None:
        """Offer the author's own sharing groups."""
        self.sharing_group_id.choices = [("", _l("No sharing group"))] + [(str(g.id), g.name) for g in groups]

    def validate_sharing_group_id(self, field) -> None:
        """A public item is readable by anyone: a group would look like a limit and limit nothing."""
        own_groups = {value for value, _label in field.choices if value}  # others get the service's message
        if field.data in own_groups and self.tier.data == Tier.PUBLIC.code:
            raise ValidationError(_l("Anyone can read a public item, so a group cannot limit it. "
                                     "Choose Community or a higher tier to share it with this group only."))

    def limit_tiers(self, ceiling: Tier, keep: Tier | None = None) -> None:
        """Offer the tiers up to the author's clearance (and the item's current tier), after an explicit blank:
        nobody publishes publicly by leaving a default untouched."""
        allowed = [(code, label) for code, label in tier_choices() if Tier.from_code(code) <= ceiling or
                   (keep is not None and code == keep.code)]
        self.tier.choices = [("", _l("Choose who may read it"))] + allowed

    def describe_review_date(self, default_days: int) -> None:
        """Say what an empty review date means for this kind."""
        self.review_on.description = _l(
            "When you will be reminded to check it is still current: keep it (a new date), retire it or delete it. "
            "Leave it empty for the default, %(days)d days after publication.", days=default_days)

    def release(self) -> dict[str, Any]:
        """The optional scheduled release, keyed as create_submission expects."""
        return {"release_tier": self.release_tier.data or "", "release_at": self.release_at.data or ""}

    def set_paragraph_titles(self, paragraphs) -> None:
        """Label each paragraph checkbox with its number and title, so authors need not look them up."""
        self.paragraphs.choices = [(p.number, f"{p.number}. {call_title(p.title)}") for p in paragraphs]

    def preselect_paragraph(self, number: int | None) -> None:
        """Tick the paragraph the author came from (a blank form only; out-of-range numbers are ignored)."""
        if number is not None and FIRST_PARAGRAPH <= number <= LAST_PARAGRAPH:
            self.paragraphs.data = [number]

    def service_data(self) -> dict[str, Any]:
        """The validated values, keyed as the services expect."""
        data = {
            "title": self.title.data,
            "summary": self.summary.data,
            "keywords": self.keywords.data or "",
            "paragraphs": list(self.paragraphs.data or []),
            "tier": self.tier.data,
            "sharing_group_id": self.sharing_group_id.data or None,
        }
        if self.language.raw_data:  # a post without it (a script) keeps the item's language
            data["language"] = self.language.data
        for name in MARKDOWN_FIELDS[self.kind]:
            data[name] = getattr(self, name).data or ""
        tier_fields = {name: getattr(self, f"{name}_tier") for name in MARKDOWN_FIELDS[self.kind]}
        if any(field.raw_data for field in tier_fields.values()):  # a post without them keeps the tear lines
            data["section_tiers"] = {name: field.data or "" for name, field in tier_fields.items()}
        data.update(self.extra_data())
        return data

    def section_tier_field(self, name: str):
        """The tier choice of a Markdown section (None for other fields)."""
        return getattr(self, f"{name}_tier", None) if name in MARKDOWN_FIELDS[self.kind] else None

    def limit_section_tiers(self, floor: Tier, ceiling: Tier, keep: dict | None = None) -> None:
        """Offer each section the tiers above `floor` (the item's, when known) up to the author's clearance, and
        the section's current tier."""
        for name in MARKDOWN_FIELDS[self.kind]:
            current = (keep or {}).get(name)
            getattr(self, f"{name}_tier").choices = [SAME_AS_ITEM] + [
                (code, label) for code, label in tier_choices()
                if floor < Tier.from_code(code) <= ceiling or code == current
            ]

    def extra_data(self) -> dict[str, Any]:
        return {}

    def kind_fields(self) -> list:
        """The kind-specific fields in display order (for the template)."""
        return [getattr(self, name) for name in self.KIND_FIELD_NAMES]

    KIND_FIELD_NAMES: tuple[str, ...] = ()


def _markdown(name: str, description=MARKDOWN_HINT) -> TextAreaField:
    return TextAreaField(FIELD_LABELS[name], description=description, validators=[Optional()])


class LessonLearntForm(SubmissionForm):
    """NATO lessons-learnt format: observation, discussion, conclusion, recommendation, and context."""

    kind = SubmissionKind.LESSON_LEARNT
    observation = _markdown("observation", _l("What happened: a fact."))
    discussion = _markdown("discussion", _l("Why it matters, in context."))
    conclusion = _markdown("conclusion", _l("The root cause."))
    recommendation = _markdown("recommendation", _l("What should change."))
    application_area = StringField(FIELD_LABELS["application_area"], validators=[Optional(), Length(max=200)])
    military_context = StringField(FIELD_LABELS["military_context"], validators=[Optional(), Length(max=200)])
    lifecycle_stage = SelectField(
        FIELD_LABELS["lifecycle_stage"], choices=[("", _l("Not set yet"))] + list(STAGE_LABELS.items()),
        validate_choice=False,
    )
    lesson_status = SelectField(
        FIELD_LABELS["lesson_status"], choices=list(LESSON_STATUS_LABELS.items()), validate_choice=False
    )
    remedial_action = _markdown("remedial_action", _l("Needed once remedial action is under way: the action and plan."))
    evidence = _markdown("evidence", _l("Needed once the lesson is learnt: the evidence that something changed."))

    KIND_FIELD_NAMES = (
        "observation", "discussion", "conclusion", "recommendation", "application_area", "military_context",
        "lifecycle_stage", "lesson_status", "remedial_action", "evidence",
    )

    def extra_data(self) -> dict[str, Any]:
        return {
            "application_area": self.application_area.data or "",
            "military_context": self.military_context.data or "",
            "lifecycle_stage": self.lifecycle_stage.data or "",
            "lesson_status": self.lesson_status.data or "identified",
        }


class GoodPracticeForm(SubmissionForm):
    """Challenge, practice, evidence of effect, conditions for transfer."""

    kind = SubmissionKind.GOOD_PRACTICE
    challenge = _markdown("challenge")
    practice = _markdown("practice")
    evidence_of_effect = _markdown("evidence_of_effect")
    transfer_conditions = _markdown("transfer_conditions")

    KIND_FIELD_NAMES = ("challenge", "practice", "evidence_of_effect", "transfer_conditions")


class PolicyForm(SubmissionForm):
    """A responsible-AI policy: issuer, scope, principles, effective date, version, link."""

    kind = SubmissionKind.RESPONSIBLE_AI_POLICY
    issuer = StringField(FIELD_LABELS["issuer"], validators=[Optional(), Length(max=200)])
    scope = _markdown("scope")
    principles = _markdown("principles")
    effective_date = DateField(
        FIELD_LABELS["effective_date"], validators=[Optional()], description=_l("YYYY-MM-DD")
    )
    policy_version = StringField(FIELD_LABELS["policy_version"], validators=[Optional(), Length(max=40)])
    link = StringField(
        FIELD_LABELS["link"], description=_l("https://…"), validators=[Optional(), Length(max=500)]
    )

    KIND_FIELD_NAMES = ("issuer", "scope", "principles", "effective_date", "policy_version", "link")

    def extra_data(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer.data or "",
            "effective_date": self.effective_date.data,
            "policy_version": self.policy_version.data or "",
            "link": self.link.data or "",
        }


FORMS: dict[SubmissionKind, type[SubmissionForm]] = {
    SubmissionKind.LESSON_LEARNT: LessonLearntForm,
    SubmissionKind.GOOD_PRACTICE: GoodPracticeForm,
    SubmissionKind.RESPONSIBLE_AI_POLICY: PolicyForm,
}

SAME_AS_ITEM = ("", _l("Same as the item"))
SECTION_TIER_HINT = _l("A tear line: only readers cleared for this tier see this section; everyone else reads the "
                       "item without it, and nothing tells them it exists.")


def _section_tier_field(name: str) -> SelectField:
    return SelectField(
        _l("Who may read the section %(section)s", section=FIELD_LABELS[name]),
        choices=[SAME_AS_ITEM] + tier_choices(), default="", description=SECTION_TIER_HINT,
        validators=[Optional()],
        validate_choice=False,  # the service explains a tier below the item's or above the author's clearance
    )


# Every Markdown section gets its tier choice, "<section>_tier" (tear lines, DESIGN.md rule 10).
for _kind, _form_class in FORMS.items():
    for _name in MARKDOWN_FIELDS[_kind]:
        setattr(_form_class, f"{_name}_tier", _section_tier_field(_name))


def section_tier_values(section_tiers: dict | None) -> dict[str, str]:
    """Form values ("<section>_tier") from stored tear lines."""
    return {f"{name}_tier": code for name, code in (section_tiers or {}).items()}


class TranslationForm(SubmittedOnce, FlaskForm):
    """A translation of a published item: its language, title, summary and each section of the original."""

    language = SelectField(_l("Translated into"), validate_choice=False)  # the service explains a bad choice
    title = StringField(FIELD_LABELS["title"], validators=[DataRequired(_l("A title is required.")), Length(max=TITLE_MAX)])
    summary = TextAreaField(FIELD_LABELS["summary"],
                            validators=[DataRequired(_l("A summary is required.")), Length(max=SUMMARY_MAX)])
    note = StringField(_l("Note for the reviewer (optional)"), validators=[Optional(), Length(max=200)])

    section_names: tuple[str, ...] = ()

    def sections(self) -> list:
        """The section fields, in the original's display order."""
        return [getattr(self, name) for name in self.section_names]

    def service_data(self) -> dict[str, Any]:
        """Title, summary and sections, keyed as propose_translation expects."""
        data = {"title": self.title.data, "summary": self.summary.data}
        data.update({name: getattr(self, name).data or "" for name in self.section_names})
        return data

    def offer_languages(self, original: str) -> None:
        """Every platform language but the original's."""
        self.language.choices = [(code, name) for code, name in language_choices() if code != original]


def translation_form_for(item) -> TranslationForm:
    """The translation form of an item: a Markdown field for each section the original has text in."""
    fields = {name: TextAreaField(FIELD_LABELS[name], description=MARKDOWN_HINT)
              for name in MARKDOWN_FIELDS[item.kind] if getattr(item, f"{name}_source")}
    form_class = type("ItemTranslationForm", (TranslationForm,), {**fields, "section_names": tuple(fields)})
    form = form_class()
    form.offer_languages(item.language)
    return form


class ReturnForm(FlaskForm):
    """A reviewer's comments when returning a submission to its author."""

    comments = TextAreaField(
        _l("Comments for the author"),
        description=MARKDOWN_HINT,
        validators=[DataRequired(_l("Write the comments the author needs to revise the submission."))],
    )


class TierForm(FlaskForm):
    """Change who may read a submission; lowering the tier needs the confirmation box."""

    tier = SelectField(FIELD_LABELS["tier"], choices=tier_choices(), validators=[DataRequired()], validate_choice=False)
    sharing_group_id = SelectField(
        FIELD_LABELS["sharing_group_id"], choices=[("", _l("No sharing group"))], validate_choice=False
    )
    confirm = BooleanField(_l("I confirm this change; lowering the tier lets more people read the item."))

    def set_groups(self, groups, keep=None) -> None:
        """The originator's choice: no group, their own groups, or the item's current one (kept, not chosen)."""
        offered = list(groups)
        if keep is not None and keep.id not in {g.id for g in offered}:
            offered.append(keep)
        SubmissionForm.set_groups(self, offered)

    def keep_group(self, group) -> None:
        """Anyone but the originator keeps the item's group: it is the only choice offered."""
        self.sharing_group_id.choices = [(str(group.id), group.name)] if group is not None else [
            ("", _l("No sharing group"))]

    def offer_tiers(self, tiers) -> None:
        """Offer exactly the tiers the policy allows this person to choose for this item."""
        self.tier.choices = [(tier.code, TIER_LABELS[tier.code]) for tier in tiers]
