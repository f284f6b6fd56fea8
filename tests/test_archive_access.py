"""Role × tier matrix over every archive route: a viewer sees exactly what the tier rule grants, and anything else
is indistinguishable from a missing id — in pages, exports, diffs, lists, counts, paragraph pages and feeds."""
from __future__ import annotations

import pytest

from tests.archive_helpers import policy_data, practice_data, viewer
from tests.conftest import without_csrf
from webapp.services.submission_workflow import publish_revision, publish_submission, submit_submission
from webapp.services.submissions import change_submission_tier, create_submission, update_submission

COVERED_ENDPOINTS = {
    "archive.browse",
    "archive.show",
    "archive.export_markdown",
    "archive.export_json",
    "archive.citation",
    "archive.diff",
    "archive.compare_versions",
    "archive.feed",
    "archive.paragraph_feed",
    "archive.new",
    "archive.create",
    "archive.edit",
    "archive.submit",
    "archive.publish",
    "archive.withdraw",
    "archive.retire",
    "archive.return_for_revision",
    "archive.publish_revision",  # tests/test_pending_revisions.py
    "archive.return_revision",
    "archive.change_tier",
    "archive.new_version",
    "archive.mine",
    "archive.review",
    "archive.audience",
}

ROLES = ("anonymous", "pending", "community", "restricted", "confidential_in_group", "confidential_other_org",
         "facilitator", "admin",
         # DESIGN §3.12: the same clearances and roles without a second factor read at community level
         "restricted_no_2fa", "confidential_in_group_no_2fa", "facilitator_no_2fa", "admin_no_2fa")
WITHOUT_SECOND_FACTOR = {"restricted_no_2fa", "confidential_in_group_no_2fa", "facilitator_no_2fa", "admin_no_2fa"}
# Which published item each role may read (DESIGN.md §2), plus the unpublished ones.
CAN_READ = {
    "public": set(ROLES),
    "community": set(ROLES) - {"anonymous", "pending"},
    "restricted": {"restricted", "confidential_in_group", "confidential_other_org", "facilitator", "admin"},
    "confidential": {"confidential_in_group"},  # not the admin, not another organisation, not the facilitator
    "draft": set(),  # only its author, who is none of these roles
    "submitted": {"facilitator"},  # reviewers who pass the tier rule
}
PARAGRAPH = 7


@pytest.fixture
def matrix(app, make_user, make_org, make_group):
    """Users for every role and one item per tier/state, each with two revisions, under paragraph 7."""
    author_org = make_org(stakeholder_type="state", country="SE")
    author = make_user(clearance="confidential", org=author_org, name="Author")
    users = {
        "anonymous": None,
        "pending": make_user(status="pending", clearance="confidential"),
        "community": make_user(clearance="community"),
        "restricted": make_user(clearance="restricted"),
        "confidential_in_group": make_user(clearance="confidential"),
        "confidential_other_org": make_user(clearance="confidential"),
        "facilitator": make_user(clearance="restricted", roles=("facilitator",)),
        "admin": make_user(clearance="confidential", roles=("admin",)),
        "restricted_no_2fa": make_user(clearance="restricted", second_factor=False),
        "confidential_in_group_no_2fa": make_user(clearance="confidential", second_factor=False),
        "facilitator_no_2fa": make_user(clearance="restricted", roles=("facilitator",), second_factor=False),
        "admin_no_2fa": make_user(clearance="confidential", roles=("admin",), second_factor=False),
    }
    # The reviewer who publishes is in the group; the facilitator of the matrix is not.
    reviewer = make_user(clearance="confidential", roles=("facilitator",))
    group = make_group(users=(author, users["confidential_in_group"], users["confidential_in_group_no_2fa"], reviewer))
    items = {}
    with app.test_request_context():
        for tier in ("public", "community", "restricted", "confidential"):
            data = practice_data(title=f"Item {tier}", tier=tier, paragraphs=[PARAGRAPH],
                                 sharing_group_id=group.id if tier == "confidential" else None)
            item = create_submission(viewer(author), "good_practice", data)
            submit_submission(viewer(author), item.id)
            items[tier] = publish_submission(viewer(reviewer), item.id)
        items["draft"] = create_submission(viewer(author), "good_practice", practice_data(
            title="Item draft", paragraphs=[PARAGRAPH]))
        update_submission(viewer(author), items["draft"].id, practice_data(title="Item draft", paragraphs=[PARAGRAPH],
                                                                            practice="Changed."))
        items["submitted"] = create_submission(viewer(author), "good_practice", practice_data(
            title="Item submitted", tier="restricted", paragraphs=[PARAGRAPH]))
        submit_submission(viewer(author), items["submitted"].id)
    return users, items


READ_PATHS = (
    "/archive/{id}",
    "/archive/{id}.md",
    "/archive/{id}.json",
    "/archive/{id}/citation",
    "/archive/{id}/diff?from=1&to=2",
)
WRITE_PATHS = (
    ("GET", "/archive/{id}/edit"),
    ("POST", "/archive/{id}/edit"),
    ("POST", "/archive/{id}/submit"),
    ("POST", "/archive/{id}/publish"),
    ("POST", "/archive/{id}/withdraw"),
    ("POST", "/archive/{id}/retire"),
    ("GET", "/archive/{id}/publish"),
    ("GET", "/archive/{id}/withdraw"),
    ("GET", "/archive/{id}/retire"),
    ("GET", "/archive/{id}/return"),
    ("POST", "/archive/{id}/return"),
    ("GET", "/archive/{id}/tier"),
    ("POST", "/archive/{id}/tier"),
    ("POST", "/archive/{id}/new-version"),
    ("GET", "/archive/{id}/compare?with={id}"),
)


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/archive/")


@pytest.mark.parametrize("role", ROLES)
def test_role_tier_matrix(role, matrix, client_for):
    users, items = matrix
    client = client_for(users[role])
    client.get("/")  # shows (and so consumes) the "signed in" flash message
    missing_body = without_csrf(client.get("/archive/987654").get_data(as_text=True))
    token = _token(client) if users[role] is not None else ""
    browse = client.get(f"/archive/?paragraph={PARAGRAPH}").get_data(as_text=True)
    paragraph = client.get(f"/paragraphs/{PARAGRAPH}").get_data(as_text=True)
    feed = client.get("/archive/feed.atom").get_data(as_text=True)
    paragraph_feed = client.get(f"/archive/paragraphs/{PARAGRAPH}/feed.atom").get_data(as_text=True)
    readable_published = [k for k in ("public", "community", "restricted", "confidential") if role in CAN_READ[k]]
    assert f"{len(readable_published)} item" in browse
    assert f"({len(readable_published)})" in browse  # the paragraph facet count equals the authorized set
    for key, item in items.items():
        allowed = role in CAN_READ[key]
        title = f"Item {key}"
        for template in READ_PATHS:
            response = client.get(template.format(id=item.id))
            if allowed:
                assert response.status_code == 200, (role, key, template)
            else:
                assert response.status_code == 404, (role, key, template)
                assert without_csrf(response.get_data(as_text=True)) == missing_body, (role, key, template)
        if not allowed:
            for method, template in WRITE_PATHS:
                path = template.format(id=item.id)
                data = {"csrf_token": token, "comments": "x", "tier": "public", "confirm": "y",
                        **({"title": "Hijack", "summary": "s", "paragraphs": ["1"]} if "edit" in path else {})}
                response = client.get(path) if method == "GET" else client.post(path, data=data)
                if users[role] is None:
                    assert response.status_code in (302, 400, 404), (role, key, path)  # sign in first, or 404
                elif role == "pending" and path.endswith("/new-version"):
                    # contributing is refused to pending accounts for any id, existing or not: reveals nothing
                    missing = client.post(template.format(id=987654), data=data)
                    assert response.status_code == missing.status_code == 403, (role, key, path)
                else:
                    assert response.status_code == 404, (role, key, method, path)
        shown_in_lists = allowed and key in ("public", "community", "restricted", "confidential")
        assert (title in browse) == shown_in_lists, (role, key)
        assert (title in paragraph) == shown_in_lists, (role, key)
        assert (title in feed) == (key == "public"), (role, key)
        assert (title in paragraph_feed) == (key == "public"), (role, key)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("pending", 403), ("community", 200), ("facilitator", 200), ("admin", 200)],
)
def test_contributing_pages(role, expected, matrix, client_for):
    users, _items = matrix
    client = client_for(users[role])
    for path in ("/archive/new", "/archive/new/lesson_learnt", "/archive/mine"):
        assert client.get(path).status_code == expected, path


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("pending", 403), ("community", 403), ("restricted", 403), ("facilitator", 200),
     ("admin", 403)],
)
def test_review_queue_is_for_facilitators(role, expected, matrix, client_for):
    users, items = matrix
    response = client_for(users[role]).get("/archive/review")
    assert response.status_code == expected
    if expected == 200:
        assert "Item submitted" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_audience_preview_matrix(role, matrix, client_for):
    """Who reads an item (issue 11 §3) is shown to its author and to reviewers who read it, never to a mere reader:
    for everyone else it is the missing-id 404, on its own page and on the item page alike."""
    users, items = matrix
    client = client_for(users[role])
    client.get("/")  # consumes the "signed in" flash message
    missing_body = without_csrf(client.get("/archive/987654/audience").get_data(as_text=True))
    for key, item in items.items():
        # No item of the matrix the facilitator reads has a sharing group (whose roster would stay hidden).
        allowed = role == "facilitator" and role in CAN_READ[key]
        response = client.get(f"/archive/{item.id}/audience")
        assert response.status_code == (200 if allowed else 404), (role, key)
        if not allowed:
            assert without_csrf(response.get_data(as_text=True)) == missing_body
        if role in CAN_READ[key]:
            page = client.get(f"/archive/{item.id}").get_data(as_text=True)
            assert ("audience-preview" in page) == allowed, (role, key)


def test_every_archive_endpoint_is_covered(app):
    from tests.test_declassification_access import COVERED_ENDPOINTS as DECLASSIFICATION_ENDPOINTS
    from tests.test_translations_access import COVERED_ENDPOINTS as TRANSLATION_ENDPOINTS

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("archive.")}
    archive_declassification = {e for e in DECLASSIFICATION_ENDPOINTS if e.startswith("archive.")}
    assert endpoints == COVERED_ENDPOINTS | archive_declassification | TRANSLATION_ENDPOINTS


def test_lists_of_unpublished_items_keep_the_tier_rule(app, make_user, make_group, client_for):
    """The review queue and "my submissions" show nothing above the viewer's tier, not even as a count."""
    author = make_user(clearance="confidential")
    low_reviewer = make_user(clearance="community", roles=("facilitator",))
    high_reviewer = make_user(clearance="restricted", roles=("facilitator",))
    with app.test_request_context():
        restricted = create_submission(viewer(author), "good_practice", practice_data(
            title="Restricted under review", tier="restricted"))
        submit_submission(viewer(author), restricted.id)
        open_item = create_submission(viewer(author), "good_practice", practice_data(title="Community under review",
                                                                                     tier="community"))
        submit_submission(viewer(author), open_item.id)
    low = client_for(low_reviewer)
    low.get("/")  # consume the sign-in flash
    queue = low.get("/archive/review").get_data(as_text=True)
    assert "Community under review" in queue and "Restricted under review" not in queue
    missing = without_csrf(low.get("/archive/987654").get_data(as_text=True))
    for method, path in (("GET", f"/archive/{restricted.id}"), ("POST", f"/archive/{restricted.id}/publish"),
                         ("GET", f"/archive/{restricted.id}/return")):
        data = {"csrf_token": _token(low)}
        response = low.get(path) if method == "GET" else low.post(path, data=data)
        assert response.status_code == 404 and without_csrf(response.get_data(as_text=True)) == missing, path
    assert "Restricted under review" in client_for(high_reviewer).get("/archive/review").get_data(as_text=True)
    # An author whose clearance was lowered loses sight of what they wrote above it, in their own list too.
    from webapp.db import unit_of_work
    from webapp.models import Tier, User

    with app.test_request_context(), unit_of_work() as db:
        db.get(User, author.id).clearance = Tier.COMMUNITY
    mine = client_for(author).get("/archive/mine").get_data(as_text=True)
    assert "Community under review" in mine and "Restricted under review" not in mine


DECLASSIFIED_MARKER = "DX-REMOVED-TEXT"


@pytest.fixture
def declassified(app, matrix, make_user):
    """Declassify after edit: a confidential + group practice and a restricted policy, each published with marked
    text, edited to remove it (and noted), then lowered (to public and community). Returns
    {key: (id, original tier, lowered tier, first revision written under the lowered tier, last revision)}."""
    from webapp.db import session
    from webapp.models import Submission, User

    users, items = matrix
    with app.test_request_context():
        confidential = session().get(Submission, items["confidential"].id)
        author, group_id = session().get(User, confidential.author_id), confidential.sharing_group_id
        reviewer = session().get(User, confidential.reviewer_id)
        made = {}
        for key, kind, data, tier, group, lowered in (
            ("practice", "good_practice", practice_data, "confidential", group_id, "public"),
            ("policy", "responsible_ai_policy", policy_data, "restricted", None, "community"),
        ):
            field = "practice" if kind == "good_practice" else "principles"
            item = create_submission(viewer(author), kind, data(
                title=f"Declassified {key}", tier=tier, sharing_group_id=group, paragraphs=[PARAGRAPH],
                **{field: f"Written with {DECLASSIFIED_MARKER} in it."}))
            submit_submission(viewer(author), item.id)
            publish_submission(viewer(reviewer), item.id)  # revisions 1-3
            update_submission(viewer(author), item.id, data(title=f"Declassified {key}", tier=tier,
                                                            sharing_group_id=group, paragraphs=[PARAGRAPH]),
                              note=f"took {DECLASSIFIED_MARKER} out")  # 4, pending (the item is published)
            publish_revision(viewer(reviewer), item.id, 4)  # readers now see revision 4's text
            change_submission_tier(viewer(author), item.id, tier=lowered, sharing_group_id=None, confirm=True)  # 5
            made[key] = (item.id, tier, lowered, 5, 5)
    return users, made


@pytest.mark.parametrize("role", ROLES)
def test_declassify_after_edit(role, declassified, client_for):
    """The lowered items are readable at their new tier, but their earlier revisions and notes only by the audience
    they were written under: for anyone else a diff that touches one is a missing page, and the text is nowhere."""
    users, made = declassified
    client = client_for(users[role])
    client.get("/")
    missing_body = without_csrf(client.get("/archive/987654").get_data(as_text=True))
    for key, (item_id, original_tier, lowered_tier, first_lowered, last) in made.items():
        in_original_audience = role in CAN_READ[original_tier]
        readable_now = role in CAN_READ[lowered_tier]
        page = client.get(f"/archive/{item_id}")
        assert page.status_code == (200 if readable_now else 404), (role, key)
        for old in range(1, last + 1):
            for new in range(1, last + 1):
                response = client.get(f"/archive/{item_id}/diff?from={old}&to={new}")
                body = response.get_data(as_text=True)
                readable = readable_now and (in_original_audience or min(old, new) >= first_lowered)
                if readable:
                    assert response.status_code == 200, (role, key, old, new)
                else:
                    assert response.status_code == 404, (role, key, old, new)
                    assert without_csrf(body) == missing_body, (role, key, old, new)
                    assert DECLASSIFIED_MARKER not in body, (role, key, old, new)
        if not in_original_audience:
            for path in ("", ".md", ".json", "/citation", "/diff?from=5&to=5"):
                assert DECLASSIFIED_MARKER not in client.get(f"/archive/{item_id}{path}").get_data(as_text=True), (
                    role, key, path)
        else:
            assert DECLASSIFIED_MARKER in page.get_data(as_text=True), (role, key)  # the note of revision 4
