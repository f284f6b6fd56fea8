"""Lowering a tier never publishes the past (issue 8, defect 1; DESIGN.md §7): a revision and its note stay at the
tier and audience they were written under, in diffs, revision lists and post histories, through the real forms."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.archive_helpers import lesson_data, policy_data, viewer
from tests.conftest import csrf_token, without_csrf
from tests.dialogue_helpers import make_post, make_round, make_thread, send
from webapp.models import Tier, utcnow
from webapp.services import dialogue_posts
from webapp.services.submission_workflow import publish_revision, publish_submission, submit_submission
from webapp.services.submissions import create_policy_version, create_submission, update_submission

SECRET = "ZULU-SECRET"  # every planted text carries it; it must never reach a reader without the original audience


def form_fields(data: dict) -> dict:
    """Service data → posted form fields (paragraphs as a repeated key, None as empty)."""
    posted = {k: ("" if v is None else v) for k, v in data.items() if k != "paragraphs"}
    posted["paragraphs"] = [str(n) for n in data.get("paragraphs", [])]
    return posted


@pytest.fixture
def cast(make_org, make_user, make_group):
    org = make_org(stakeholder_type="state", country="SE")
    author = make_user(clearance="confidential", org=org, name="Astrid Author")
    reviewer = make_user(clearance="confidential", roles=("facilitator",), org=org)
    insider = make_user(clearance="confidential")
    group = make_group(users=(author, reviewer, insider))
    return {
        "org": org, "group": group, "author": author, "reviewer": reviewer, "insider": insider,
        "anonymous": None,
        "community": make_user(clearance="community"),
        "restricted": make_user(clearance="restricted"),
        "confidential_other_org": make_user(clearance="confidential"),
    }


def _published(app, cast, data, kind="lesson_learnt"):
    with app.test_request_context():
        item = create_submission(viewer(cast["author"]), kind, data)
        submit_submission(viewer(cast["author"]), item.id)
        publish_submission(viewer(cast["reviewer"]), item.id)
    return item.id  # revisions 1 (created), 2 (submitted), 3 (published)


def _reviewed(app, cast, item_id: int, *numbers: int) -> None:
    """The reviewer publishes pending revisions of a published item (an edit waits for review, DESIGN.md rule 9)."""
    with app.test_request_context():
        for number in numbers:
            publish_revision(viewer(cast["reviewer"]), item_id, number)


def _read_paths(item_id: int, last: int) -> list[str]:
    paths = [f"/archive/{item_id}", f"/archive/{item_id}.md", f"/archive/{item_id}.json", f"/archive/{item_id}/citation"]
    paths += [f"/archive/{item_id}/diff?from={a}&to={b}" for a in range(1, last + 1) for b in range(1, last + 1)]
    return paths


def _listed_revisions(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"<li>Revision (\d+)", page)]


def test_lowering_a_confidential_group_lesson_to_public_keeps_the_removed_text(app, cast, client_for):
    secret = {"observation": f"{SECRET} observation: the aid misread the convoy.",
              "discussion": f"{SECRET} discussion of the unit involved.",
              "recommendation": f"{SECRET} recommendation naming the base."}
    item_id = _published(app, cast, lesson_data(tier="confidential", sharing_group_id=cast["group"].id, **secret))
    with app.test_request_context():  # the author edits the secrets out (revision 4, still confidential + group)
        update_submission(viewer(cast["author"]), item_id,
                          lesson_data(tier="confidential", sharing_group_id=cast["group"].id))
    _reviewed(app, cast, item_id, 4)
    author = client_for(cast["author"])
    token = csrf_token(author, f"/archive/{item_id}/tier")
    response = author.post(f"/archive/{item_id}/tier", data={"csrf_token": token, "tier": "public",
                                                             "sharing_group_id": "", "confirm": "y"})
    assert response.status_code == 302  # revision 5: "tier changed", public

    for role in ("anonymous", "community", "restricted", "confidential_other_org"):
        client = client_for(cast[role])
        client.get("/")  # consume the sign-in flash
        missing = without_csrf(client.get("/archive/987654").get_data(as_text=True))
        assert _listed_revisions(client.get(f"/archive/{item_id}").get_data(as_text=True)) == [5], role
        for path in _read_paths(item_id, 5):
            response = client.get(path)
            body = response.get_data(as_text=True)
            assert SECRET not in body, (role, path)
            if "diff" in path and path != f"/archive/{item_id}/diff?from=5&to=5":
                assert response.status_code == 404, (role, path)
                assert without_csrf(body) == missing, (role, path)  # as if the revision did not exist
            else:
                assert response.status_code == 200, (role, path)

    # The past is not lost: the group still reads it, at its tier.
    insider = client_for(cast["insider"])
    assert _listed_revisions(insider.get(f"/archive/{item_id}").get_data(as_text=True)) == [1, 2, 3, 4, 5]
    diff = insider.get(f"/archive/{item_id}/diff?from=1&to=5")
    assert diff.status_code == 200 and f"{SECRET} observation" in diff.get_data(as_text=True)
    assert "TLP:RED" in diff.get_data(as_text=True)  # the diff is handled as its most restricted revision


def test_restricted_to_community_through_the_edit_form(app, cast, client_for):
    item_id = _published(app, cast, lesson_data(tier="restricted", observation=f"{SECRET} in the observation."))
    author = client_for(cast["author"])
    token = csrf_token(author, f"/archive/{item_id}/edit")
    # One save removes the text and lowers the tier (revision 4, community).
    response = author.post(f"/archive/{item_id}/edit", data={
        **form_fields(lesson_data(tier="community")), "csrf_token": token, "confirm_declassify": "y"})
    assert response.status_code == 302
    # Until the reviewer publishes revision 4, the item keeps its tier and text: the lowering waits with its text.
    community = client_for(cast["community"])
    assert community.get(f"/archive/{item_id}").status_code == 404
    restricted_page = client_for(cast["restricted"]).get(f"/archive/{item_id}").get_data(as_text=True)
    assert SECRET in restricted_page and _listed_revisions(restricted_page) == [1, 2, 3]
    _reviewed(app, cast, item_id, 4)

    community.get("/")
    missing = without_csrf(community.get("/archive/987654").get_data(as_text=True))
    assert _listed_revisions(community.get(f"/archive/{item_id}").get_data(as_text=True)) == [4]
    for old in (1, 2, 3):
        response = community.get(f"/archive/{item_id}/diff?from={old}&to=4")
        assert response.status_code == 404 and without_csrf(response.get_data(as_text=True)) == missing, old
    for path in _read_paths(item_id, 4):
        assert SECRET not in community.get(path).get_data(as_text=True), path
    restricted = client_for(cast["restricted"])
    diff = restricted.get(f"/archive/{item_id}/diff?from=3&to=4")
    assert diff.status_code == 200 and SECRET in diff.get_data(as_text=True)


def test_a_revision_note_stays_at_its_tier(app, cast, client_for):
    item_id = _published(app, cast, lesson_data(tier="restricted"))
    author = client_for(cast["author"])
    token = csrf_token(author, f"/archive/{item_id}/edit")
    response = author.post(f"/archive/{item_id}/edit", data={
        **form_fields(lesson_data(tier="restricted", discussion="Reworded.")), "csrf_token": token,
        "note": f"Removed the {SECRET} name of the exercise"})
    assert response.status_code == 302  # revision 4, restricted, with a telling note
    _reviewed(app, cast, item_id, 4)
    response = author.post(f"/archive/{item_id}/edit", data={
        **form_fields(lesson_data(tier="community", discussion="Reworded.")), "csrf_token": token,
        "confirm_declassify": "y", "note": "Opened to the community"})
    assert response.status_code == 302  # revision 5, community
    _reviewed(app, cast, item_id, 5)

    community = client_for(cast["community"])
    page = community.get(f"/archive/{item_id}").get_data(as_text=True)
    assert SECRET not in page and "Opened to the community" in page
    assert _listed_revisions(page) == [5]
    restricted_page = client_for(cast["restricted"]).get(f"/archive/{item_id}").get_data(as_text=True)
    assert f"Removed the {SECRET} name" in restricted_page
    assert _listed_revisions(restricted_page) == [1, 2, 3, 4, 5]


def test_raised_then_lowered_item_offers_only_the_revisions_the_reader_may_read(app, cast, client_for):
    """Public past, a confidential interlude, public again: the list and its links skip the interlude."""
    item_id = _published(app, cast, lesson_data())
    group = cast["group"].id
    with app.test_request_context():
        author = viewer(cast["author"])
        update_submission(author, item_id, lesson_data(tier="confidential", sharing_group_id=group))  # 4
        update_submission(author, item_id, lesson_data(tier="confidential", sharing_group_id=group,
                                                       observation=f"{SECRET} detail"))  # 5
        update_submission(author, item_id, lesson_data(tier="confidential", sharing_group_id=group))  # 6
        update_submission(author, item_id, lesson_data(), confirm_declassify=True)  # 7, public
    # 4 (a raise) applied at once; 5 and 6 were replaced before review; 7 is published with its lowering.
    _reviewed(app, cast, item_id, 7)
    anonymous = client_for(None)
    page = anonymous.get(f"/archive/{item_id}").get_data(as_text=True)
    assert _listed_revisions(page) == [1, 2, 3, 7]
    assert f"/archive/{item_id}/diff?from=3&amp;to=7" in page  # the previous revision listed, not number - 1
    assert "from=6" not in page and '<option value="5"' not in page
    assert anonymous.get(f"/archive/{item_id}/diff?from=3&to=7").status_code == 200
    for number in (4, 5, 6):
        assert anonymous.get(f"/archive/{item_id}/diff?from={number}&to=7").status_code == 404
    # The proposals replaced before review are their author's (and the reviewers'), never other readers'.
    insider = client_for(cast["insider"]).get(f"/archive/{item_id}").get_data(as_text=True)
    assert _listed_revisions(insider) == [1, 2, 3, 7]
    author_page = client_for(cast["author"]).get(f"/archive/{item_id}").get_data(as_text=True)
    assert _listed_revisions(author_page) == [1, 2, 3, 4, 5, 6, 7]
    assert "TLP:RED" in author_page  # revisions at another tier than the item's carry their label


def test_a_new_policy_version_lowered_after_edit_keeps_its_first_revision(app, cast, client_for):
    first = _published(app, cast, policy_data(tier="restricted", principles=f"1. {SECRET} principle"),
                       kind="responsible_ai_policy")
    with app.test_request_context():
        author = viewer(cast["author"])
        second = create_policy_version(author, first).id  # revision 1 copies the restricted text
        update_submission(author, second, policy_data(tier="restricted", policy_version="2.0"))  # 2, text removed
        update_submission(author, second, policy_data(tier="community", policy_version="2.0"),
                          confirm_declassify=True)  # 3, community
        submit_submission(author, second)
        publish_submission(viewer(cast["reviewer"]), second)
    community = client_for(cast["community"])
    community.get("/")
    missing = without_csrf(community.get("/archive/987654").get_data(as_text=True))
    page = community.get(f"/archive/{second}").get_data(as_text=True)
    assert SECRET not in page and _listed_revisions(page) == [3, 4, 5]
    for path in (f"/archive/{second}/diff?from=1&to=5", f"/archive/{second}/diff?from=2&to=3",
                 f"/archive/{second}/compare?with={first}", f"/archive/{first}"):
        response = community.get(path)
        assert response.status_code == 404 and without_csrf(response.get_data(as_text=True)) == missing, path
    assert SECRET in client_for(cast["restricted"]).get(f"/archive/{second}/diff?from=1&to=5").get_data(as_text=True)


# ---------------------------------------------------------------- dialogue


def _round_form(round_, **overrides):
    data = {
        "title": round_.title, "questions": "1. What worked?", "paragraphs": ["16"], "tier": round_.tier.code,
        "sharing_group": "", "opens_at": (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"), "invited_types": [],
    }
    data.update(overrides)
    return data


@pytest.fixture
def dialogue_cast(app, cast):
    """A restricted round with a post whose first version held a secret, edited out since."""
    round_ = make_round(app, cast["reviewer"], tier=Tier.RESTRICTED, title="Round on convoy protection",
                        paragraphs=(16,))
    thread = make_thread(app, cast["restricted"], round_=round_, title="Convoy lessons")
    post = make_post(app, cast["restricted"], thread, body=f"The {SECRET} convoy route was predictable.")
    with app.test_request_context():
        dialogue_posts.edit_post(viewer(cast["restricted"]), post.id, body_source="Routes were predictable.")
    return round_, thread, post


def test_post_revisions_keep_their_tier_after_the_round_is_lowered(app, cast, dialogue_cast, client_for):
    round_, thread, post = dialogue_cast
    facilitator = client_for(cast["reviewer"])
    response = send(facilitator, f"/dialogue/rounds/{round_.id}/edit",
                    _round_form(round_, tier="community", confirm_declassification="y"))
    assert response.status_code == 302

    community = client_for(cast["community"])
    assert "Routes were predictable." in community.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    history = community.get(f"/dialogue/posts/{post.id}/revisions")
    assert history.status_code == 200  # the post is readable now ...
    assert SECRET not in history.get_data(as_text=True)  # ... its versions written under "restricted" are not
    assert "Version 1" not in history.get_data(as_text=True)
    restricted = client_for(cast["restricted"]).get(f"/dialogue/posts/{post.id}/revisions").get_data(as_text=True)
    assert SECRET in restricted and "Version 1" in restricted and "Version 2" in restricted
    # A version written after the lowering is read at the new tier.
    with app.test_request_context():
        dialogue_posts.edit_post(viewer(cast["restricted"]), post.id, body_source="Routes now vary.")
    history = community.get(f"/dialogue/posts/{post.id}/revisions").get_data(as_text=True)
    assert "Version 3" in history and "Routes now vary." in history and SECRET not in history


def test_post_revisions_keep_their_tier_after_the_thread_is_moved(app, cast, dialogue_cast, client_for):
    round_, thread, post = dialogue_cast
    open_round = make_round(app, cast["reviewer"], tier=Tier.COMMUNITY, title="Open round", paragraphs=(16,))
    facilitator = client_for(cast["reviewer"])
    response = send(facilitator, f"/moderation/threads/{thread.id}/move",
                    {"target": str(open_round.id), "reason": "Belongs there", "confirm_declassification": "y"})
    assert response.status_code == 302
    community = client_for(cast["community"])
    assert community.get(f"/dialogue/threads/{thread.id}").status_code == 200
    history = community.get(f"/dialogue/posts/{post.id}/revisions").get_data(as_text=True)
    assert SECRET not in history and "Version 1" not in history


def test_declassification_confirmations_say_that_earlier_revisions_stay(app, cast, dialogue_cast, client_for):
    item_id = _published(app, cast, lesson_data(tier="restricted"))
    round_, thread, _post = dialogue_cast
    other_round = make_round(app, cast["reviewer"], tier=Tier.COMMUNITY, title="Open round", paragraphs=(16,))
    author, facilitator = client_for(cast["author"]), client_for(cast["reviewer"])
    for client, path in ((author, f"/archive/{item_id}/tier"), (author, f"/archive/{item_id}/edit")):
        page = client.get(path).get_data(as_text=True)
        assert "Earlier revisions stay at the tier and audience they were written under" in page, path
    for path in (f"/dialogue/rounds/{round_.id}/edit", f"/moderation/threads/{thread.id}/move"):
        page = facilitator.get(path).get_data(as_text=True)
        assert "Earlier versions of edited posts stay at the tier and audience they were written under" in page, path
    assert other_round.id  # the move page offers a target only when there is another round


def test_reading_a_revision_above_the_item_tier_is_audited_at_the_revision_tier(app, cast, dialogue_cast, client_for,
                                                                                 audit_rows):
    item_id = _published(app, cast, lesson_data(tier="restricted", observation=f"{SECRET} observation"))
    with app.test_request_context():
        update_submission(viewer(cast["author"]), item_id, lesson_data(tier="public"), confirm_declassify=True)
    _reviewed(app, cast, item_id, 4)
    restricted = client_for(cast["restricted"])
    assert restricted.get(f"/archive/{item_id}/diff?from=3&to=4").status_code == 200
    assert restricted.get(f"/archive/{item_id}/diff?from=4&to=4").status_code == 200
    reads = [(row.details["how"], row.details["tier"]) for row in audit_rows("submission.read")]
    assert reads == [("diff", "restricted")]  # one read of restricted text; the public-only diff is not one
    # Post histories likewise, once the round is public.
    round_, _thread, post = dialogue_cast
    facilitator = client_for(cast["reviewer"])
    send(facilitator, f"/dialogue/rounds/{round_.id}/edit", _round_form(round_, tier="public", confirm_declassification="y"))
    assert client_for(cast["restricted"]).get(f"/dialogue/posts/{post.id}/revisions").status_code == 200
    row = audit_rows("dialogue_post.read")[-1]
    assert row.details == {"tier": "restricted", "how": "revisions"}
