"""Role × tier matrix of the translation routes (issue 13): whoever may not read the item gets the body of a missing
id (404); a pending translation is read only by its translator and the reviewers; only a reviewer other than the
translator and the item's author decides it; nothing answers 500."""
from __future__ import annotations

import pytest

from tests.archive_helpers import lesson_data, viewer
from tests.conftest import without_csrf
from webapp import policy
from webapp.db import session
from webapp.models import Submission, SubmissionTranslation, Tier, User
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission
from webapp.services.translations import propose_translation

COVERED_ENDPOINTS = {"archive.translate", "archive.translation", "archive.publish_translation",
                     "archive.return_translation"}

ROLES = ["anonymous", "community member", "restricted member", "facilitator elsewhere (community)",
         "facilitator elsewhere (confidential)", "author", "translator", "admin"]
FRENCH = {"title": "Titre", "summary": "Résumé.", "observation": "O.", "discussion": "D.", "conclusion": "C.",
          "recommendation": "R."}


@pytest.fixture
def scene(app, make_org, make_user):
    korea, elsewhere = make_org(name="Korea", country="KR"), make_org(name="Elsewhere")
    author = make_user("confidential", org=korea)
    translator = make_user("confidential", org=korea)
    reviewer = make_user("confidential", roles=("facilitator",), org=korea)
    people = {
        "anonymous": None,
        "community member": make_user("community", org=elsewhere),
        "restricted member": make_user("restricted", org=elsewhere),
        "facilitator elsewhere (community)": make_user("community", roles=("facilitator",), org=elsewhere),
        "facilitator elsewhere (confidential)": make_user("confidential", roles=("facilitator",), org=elsewhere),
        "author": author,
        "translator": translator,
        "admin": make_user("community", roles=("admin",), org=elsewhere),
    }
    items = {}
    with app.test_request_context():
        for tier in Tier:
            item = create_submission(viewer(author), "lesson_learnt", lesson_data(tier=tier.code))
            submit_submission(viewer(author), item.id)
            publish_submission(viewer(reviewer), item.id)
            translation = propose_translation(viewer(translator), item.id, "fr", FRENCH)
            items[tier] = (item.id, translation.id)
    return people, items


def _reads(app, user, item_id, translation_id) -> tuple[bool, bool]:
    with app.app_context():
        fresh = session().get(User, user.id) if user is not None else None
        who = policy.viewer_for(fresh, session())
        item = session().get(Submission, item_id)
        translation = session().get(SubmissionTranslation, translation_id)
        return policy.can_view(who, item), policy.can_view(who, translation)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("tier", list(Tier), ids=lambda t: t.code)
def test_translation_routes_follow_the_tier_rule(app, scene, client_for, form_token, role, tier):
    people, items = scene
    item_id, translation_id = items[tier]
    user = people[role]
    client = client_for(user)
    token = form_token(client, "/sign-in" if user is None else "/archive/new")
    reads_item, reads_translation = _reads(app, user, item_id, translation_id)
    missing = client.get(f"/archive/{item_id}/translations/999999")
    page = client.get(f"/archive/{item_id}/translations/{translation_id}")
    if reads_translation:
        assert page.status_code == 200 and "Titre" in page.get_data(as_text=True)
    else:
        # As if it did not exist: the same status and body as a missing id.
        assert page.status_code == missing.status_code == 404
        assert without_csrf(page.get_data(as_text=True)) == without_csrf(missing.get_data(as_text=True))
    # Only the translator and the reviewers read a pending translation; only readers of the item at all.
    assert reads_translation == (reads_item and role in ("translator",) + (
        ("facilitator elsewhere (confidential)",) if tier is not Tier.CONFIDENTIAL else ()) + (
        ("facilitator elsewhere (community)",) if tier <= Tier.COMMUNITY else ()))
    translate = client.get(f"/archive/{item_id}/translate")
    if user is None:
        assert translate.status_code == 302
    elif not reads_item:
        assert translate.status_code == 404
    elif role in ("author", "translator"):
        assert translate.status_code == 200
    else:
        assert translate.status_code == 403
    for path in (f"/archive/{item_id}/translations/{translation_id}/publish",
                 f"/archive/{item_id}/translations/{translation_id}/return"):
        status = client.post(path, data={"csrf_token": token, "comments": "Revoir."}).status_code
        if user is None:
            assert status == 302, path
        elif not reads_translation:
            assert status == 404, (path, status)
        elif role == "translator":
            assert status == 403, (path, status)
        else:  # a reviewer from elsewhere who reads the item decides it
            assert status == 302, (path, status)
            break  # decided: the second path would be a 409
    with app.app_context():
        state = session().get(SubmissionTranslation, translation_id).review_state
    decided = user is not None and reads_translation and role.startswith("facilitator")
    assert state == ("published" if decided else "pending")
