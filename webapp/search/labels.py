"""Display labels of the search facets' values (translated)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "lesson_learnt": _l("Lesson learnt"),
    "good_practice": _l("Good practice"),
    "responsible_ai_policy": _l("Responsible-AI policy"),
    "outcome_synthesis": _l("Outcome synthesis"),
    "round": _l("Dialogue round"),
    "thread": _l("Discussion thread"),
    "post": _l("Post"),
}

STAGE_LABELS = {
    "design": _l("Design"),
    "development": _l("Development"),
    "test_evaluation": _l("Test and evaluation"),
    "deployment": _l("Deployment"),
    "use": _l("Use"),
    "retirement": _l("Retirement"),
}

FACET_TITLES = {
    "kind": _l("Kind"),
    "paragraph": _l("Call paragraph"),
    "stakeholder": _l("Stakeholder type"),
    "stage": _l("Lifecycle stage"),
    "country": _l("Country"),
}
