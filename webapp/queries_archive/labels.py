"""Translatable labels of the archive's codes and fields, shared by pages, forms, exports and diffs."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "lesson_learnt": _l("Lesson learnt"),
    "good_practice": _l("Good practice"),
    "responsible_ai_policy": _l("Responsible-AI policy"),
    "outcome_synthesis": _l("Outcome synthesis"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted for review"),
    "returned": _l("Returned with comments"),
    "published": _l("Published"),
    "withdrawn": _l("Withdrawn"),
    "archived": _l("Retired"),  # the item's action is "Retire": no clash with the Archive section
}
STAGE_LABELS = {
    "design": _l("Design"),
    "development": _l("Development"),
    "test_evaluation": _l("Test and evaluation"),
    "deployment": _l("Deployment"),
    "use": _l("Use"),
    "retirement": _l("Retirement"),
}
LESSON_STATUS_LABELS = {
    "identified": _l("Lesson identified"),
    "remedial_action": _l("Remedial action under way"),
    "learnt": _l("Lesson learnt"),
}
TIER_LABELS = {
    "public": _l("Public (TLP:CLEAR)"),
    "community": _l("Community (TLP:GREEN)"),
    "restricted": _l("Restricted (TLP:AMBER)"),
    "confidential": _l("Confidential (TLP:RED)"),
}
FIELD_LABELS = {
    "kind": _l("Type"),
    "status": _l("Status"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "keywords": _l("Keywords"),
    "paragraphs": _l("Call paragraphs"),
    "tier": _l("Access tier"),
    "sharing_group_id": _l("Sharing group"),
    "observation": _l("Observation"),
    "discussion": _l("Discussion"),
    "conclusion": _l("Conclusion"),
    "recommendation": _l("Recommendation"),
    "application_area": _l("AI application area"),
    "military_context": _l("Military context"),
    "lifecycle_stage": _l("Lifecycle stage"),
    "lesson_status": _l("Lesson status"),
    "remedial_action": _l("Remedial action and plan"),
    "evidence": _l("Evidence that something changed"),
    "challenge": _l("Challenge"),
    "practice": _l("Practice"),
    "evidence_of_effect": _l("Evidence of effect"),
    "transfer_conditions": _l("Conditions for transfer to other contexts"),
    "issuer": _l("Issuer"),
    "scope": _l("Scope"),
    "principles": _l("Principles"),
    "effective_date": _l("Effective date"),
    "policy_version": _l("Version"),
    "link": _l("Link to the full text"),
    "body": _l("Synthesis"),
    "key_points": _l("Key points per stakeholder type"),
    "round_id": _l("Dialogue round"),
    "chatham_house": _l("Chatham House rule"),
}
CHATHAM_HOUSE_AUTHOR = _l("Facilitators of the dialogue round")

# How the revision history marks a revision's review (DESIGN.md rule 9); ordinary revisions carry no mark.
REVIEW_STATE_LABELS = {
    "published": _l("published"),
    "pending": _l("waiting for review"),
    "returned": _l("returned with comments"),
    "replaced": _l("replaced before review"),
}
