"""Tear lines (DESIGN.md rule 10): validation in the service, a section never below its item, revisions and diffs
by section, reviewers who read it all, the form without JavaScript, search variants, and migration 0019."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, select

from tests.archive_helpers import lesson_data, policy_data, viewer
from webapp.db import session
from webapp.models import Submission, SubmissionRevision, Tier
from webapp.policy.sections import readable_section_tier, readable_sections
from webapp.queries_archive.sections import reader_item
from webapp.search.backend import possible_keys, reading_range, variant_key
from webapp.services import Forbidden, ServiceError
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import (
    change_submission_tier,
    create_policy_version,
    create_submission,
    update_submission,
)

SECRET = "Walrusmoon telemetry showed the aid misread decoys."


@pytest.fixture
def people(ctx, cast):
    return cast


@pytest.fixture
def cast(app, make_user, make_org):
    """The people, without an open context (for tests that sign in through the app)."""
    org = make_org(stakeholder_type="state", country="FR")
    return {
        "author": make_user(clearance="restricted", org=org),
        "confidential_author": make_user(clearance="confidential", org=org),
        "reviewer": make_user(clearance="restricted", roles=("facilitator",), org=org),
        "low_reviewer": make_user(clearance="community", roles=("facilitator",)),
        "community": make_user(clearance="community"),
        "restricted": make_user(clearance="restricted"),
    }


def _torn(people, **overrides):
    data = lesson_data(tier="community", remedial_action=SECRET, section_tiers={"remedial_action": "restricted"})
    data.update(overrides)
    return create_submission(viewer(people["author"]), "lesson_learnt", data)


# ---------------------------------------------------------------- bad input, refused by the service


@pytest.mark.parametrize("section_tiers, message", [
    ({"remedial_action": "public"}, "cannot be less restricted than its item"),
    ({"remedial_action": "confidential"}, "above your clearance"),
    ({"author_id": "restricted"}, "no section 'author_id'"),
    ({"challenge": "restricted"}, "no section 'challenge'"),  # a good practice's section on a lesson
    ({"remedial_action": "top-secret"}, "Unknown access tier"),
    (["remedial_action"], "must map each section"),
])
def test_bad_section_tiers_are_refused_with_a_reason_and_nothing_is_saved(people, section_tiers, message):
    before = session().scalar(select(sa.func.count()).select_from(Submission))
    with pytest.raises(ServiceError, match=message):
        create_submission(viewer(people["author"]), "lesson_learnt",
                          lesson_data(tier="community", remedial_action=SECRET, section_tiers=section_tiers))
    session().rollback()
    assert session().scalar(select(sa.func.count()).select_from(Submission)) == before


def test_a_section_at_the_items_tier_is_just_the_item(people):
    item = _torn(people, section_tiers={"remedial_action": "community", "observation": ""})
    assert item.section_tiers == {}


def test_a_forged_form_reaches_the_same_checks(app, cast, client_for, form_token):
    people = cast
    client = client_for(people["author"])
    token = form_token(client, "/archive/new/lesson_learnt")
    form = {**lesson_data(tier="restricted"), "csrf_token": token, "paragraphs": ["14"],
            "remedial_action": SECRET, "remedial_action_tier": "community"}
    form.pop("sharing_group_id")
    response = client.post("/archive/new/lesson_learnt", data=form)
    assert response.status_code == 400
    assert "cannot be less restricted than its item" in response.get_data(as_text=True)
    form["remedial_action_tier"] = "confidential"
    response = client.post("/archive/new/lesson_learnt", data=form)
    assert response.status_code == 400 and "above your clearance" in response.get_data(as_text=True)
    with app.app_context():
        assert session().scalar(select(sa.func.count()).select_from(Submission)) == 0


# ---------------------------------------------------------------- never less restricted than the item


def test_raising_the_item_raises_its_sections_and_lowering_it_never_lowers_them(people):
    author = viewer(people["author"])
    item = _torn(people)
    assert item.section_tier("remedial_action") is Tier.RESTRICTED
    change_submission_tier(author, item.id, tier="restricted", sharing_group_id=None, confirm=False)
    item = session().get(Submission, item.id)
    assert item.section_tier("observation") is Tier.RESTRICTED
    change_submission_tier(author, item.id, tier="public", sharing_group_id=None, confirm=True)
    item = session().get(Submission, item.id)
    assert item.section_tier("observation") is Tier.PUBLIC
    assert item.section_tier("remedial_action") is Tier.RESTRICTED  # the tier the author gave it


def test_the_sharing_group_applies_to_every_section(people, make_group, make_user):
    group = make_group(organisations=(session().get(Submission, _torn(people).id).author_organisation,))
    item = create_submission(viewer(people["confidential_author"]), "lesson_learnt", lesson_data(
        tier="community", sharing_group_id=group.id, remedial_action=SECRET,
        section_tiers={"remedial_action": "confidential"}))
    outsider = make_user(clearance="confidential")
    assert readable_section_tier(viewer(outsider), item) is None  # not even the item: the group rule
    assert "remedial_action" in readable_sections(viewer(people["confidential_author"]), item)


def test_a_new_policy_version_keeps_the_tear_lines(people):
    author = viewer(people["author"])
    first = create_submission(author, "responsible_ai_policy", policy_data(
        tier="community", principles="Walrusmoon principles.", section_tiers={"principles": "restricted"}))
    second = create_policy_version(author, first.id)
    assert second.section_tier("principles") is Tier.RESTRICTED


# ---------------------------------------------------------------- reading: page, revisions, diffs, exports


def _published(people):
    item = _torn(people)
    submit_submission(viewer(people["author"]), item.id)
    return publish_submission(viewer(people["reviewer"]), item.id)


def test_readers_see_a_complete_item_and_cleared_readers_see_labels(people):
    item = _published(people)
    low = reader_item(viewer(people["community"]), item)
    assert low.remedial_action_source == "" and low["remedial_action_html"] == ""
    assert "remedial_action" not in dict(low.sections()) and not low.labels_sections
    assert low.handling_tier is Tier.COMMUNITY
    high = reader_item(viewer(people["restricted"]), item)
    assert dict(high.sections())["remedial_action"] is Tier.RESTRICTED and high.labels_sections
    assert high.handling_tier is Tier.RESTRICTED


def test_diffs_follow_each_sections_tier(app, cast, client_for):
    people = cast
    from webapp.services.submission_workflow import publish_revision

    with app.test_request_context():
        item_id = _published(people).id
        item = type("Item", (), {"id": item_id})
        data = lesson_data(tier="community", remedial_action=SECRET + " Walrusmoon again.",
                           section_tiers={"remedial_action": "restricted"})
        update_submission(viewer(people["author"]), item.id, data)
    with app.test_request_context():
        newest = max(r.number for r in session().scalars(
            select(SubmissionRevision).where(SubmissionRevision.submission_id == item.id)))
        publish_revision(viewer(people["reviewer"]), item.id, newest)
    low, high = client_for(people["community"]), client_for(people["restricted"])
    page = low.get(f"/archive/{item.id}").get_data(as_text=True)
    assert f"Revision {newest}" not in page  # it changed only what this reader cannot read
    assert low.get(f"/archive/{item.id}/diff?from=1&to={newest}").status_code == 404
    assert "Walrusmoon" not in low.get(f"/archive/{item.id}/diff?from=1&to=3").get_data(as_text=True)
    assert f"Revision {newest}" in high.get(f"/archive/{item.id}").get_data(as_text=True)
    diff = high.get(f"/archive/{item.id}/diff?from=1&to={newest}").get_data(as_text=True)
    assert "Walrusmoon again." in diff


def test_a_reviewer_who_cannot_read_every_section_cannot_publish_it(app, cast, client_for):
    people = cast
    with app.test_request_context():
        item = _torn(people)
        item_id, title = item.id, item.title
        submit_submission(viewer(people["author"]), item_id)
        with pytest.raises(Forbidden):
            publish_submission(viewer(people["low_reviewer"]), item_id)
    item = type("Item", (), {"id": item_id, "title": title})
    queue = client_for(people["low_reviewer"]).get("/archive/review").get_data(as_text=True)
    assert item.title not in queue
    assert item.title in client_for(people["reviewer"]).get("/archive/review").get_data(as_text=True)


# ---------------------------------------------------------------- the form, without JavaScript


def test_the_edit_form_offers_section_tiers_from_the_item_up_to_the_clearance(app, cast, client_for):
    people = cast
    with app.test_request_context():
        item = type("Item", (), {"id": _torn(people).id})
    page = client_for(people["author"]).get(f"/archive/{item.id}/edit").get_data(as_text=True)
    start = page.index('name="remedial_action_tier"')
    select_html = page[start:page.index("</select>", start)]
    assert '<option selected value="restricted">' in select_html
    assert 'value="community"' not in select_html and 'value="confidential"' not in select_html
    assert 'value="public"' not in select_html and "Same as the item" in select_html


def test_a_post_without_section_fields_keeps_the_tear_lines(people):
    item = _torn(people)
    data = lesson_data(tier="community", remedial_action=SECRET)  # no "section_tiers" key
    update_submission(viewer(people["author"]), item.id, data)
    assert session().get(Submission, item.id).section_tier("remedial_action") is Tier.RESTRICTED


# ---------------------------------------------------------------- search: one variant per reading level


def test_an_item_with_tear_lines_is_indexed_per_reading_level(people):
    from webapp.search.sources_archive import document

    item = _published(people)
    documents = document(item)
    assert [d.info.key for d in documents] == [variant_key(f"submission:{item.id}", 1, 2),
                                               variant_key(f"submission:{item.id}", 2, None)]
    assert "Walrusmoon" not in documents[0].body and "Walrusmoon" in documents[1].body
    assert reading_range(documents[0].info.key) == (1, 2) and documents[1].info.object_id == item.id
    assert set(d.info.key for d in documents) < set(possible_keys(f"submission:{item.id}"))


def test_removing_the_tear_line_removes_the_variants_from_the_index(app, cast, client_for):
    from tests.search_helpers import search_json
    from webapp.search import engine

    people = cast
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = True
    with app.test_request_context():
        item = type("Item", (), {"id": _published(people).id})
    keys = engine.backend(app).keys()
    assert variant_key(f"submission:{item.id}", 2, None) in keys and f"submission:{item.id}" not in keys
    assert search_json(client_for(people["community"]), "walrusmoon")[1]["total"] == 0
    assert search_json(client_for(people["restricted"]), "walrusmoon")[1]["total"] == 1
    with app.test_request_context():
        change_submission_tier(viewer(people["author"]), item.id, tier="restricted", sharing_group_id=None,
                               confirm=False)
    keys = engine.backend(app).keys()
    assert f"submission:{item.id}" in keys and not any(key.startswith(f"submission:{item.id}@") for key in keys)


# ---------------------------------------------------------------- migration 0019


def test_0019_adds_empty_tear_lines_and_refuses_to_drop_real_ones(tmp_path):
    from alembic import command

    from tests.test_archive_migration import _insert_bare
    from webapp import create_app
    from webapp.cli import alembic_config

    url = f"sqlite:///{tmp_path / 'tear.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        command.upgrade(alembic_config(), "0018")
        engine = create_engine(url)
        _insert_bare(engine, "submissions", {"id": 1, "kind": "lesson_learnt", "status": "published", "tier": 1,
                                             "author_id": 1, "author_organisation_id": 1, "title": "Old",
                                             "keywords": [], "key_points": {}, "key_points_html": {}})
        command.upgrade(alembic_config(), "0019")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT section_tiers FROM submissions")).scalar_one() in ("{}", {})
            conn.execute(sa.text("""UPDATE submissions SET section_tiers = '{"evidence": "restricted"}'"""))
        with pytest.raises(RuntimeError, match="Clear the tear lines first"):
            command.downgrade(alembic_config(), "0018")
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE submissions SET section_tiers = '{}'"))
        command.downgrade(alembic_config(), "0018")
        assert "section_tiers" not in {c["name"] for c in sa.inspect(engine).get_columns("submissions")}
        engine.dispose()


def test_the_item_page_shows_each_higher_sections_audience_only_to_those_who_read_it(app, cast, client_for):
    people = cast
    with app.test_request_context():
        item_id = _published(people).id
    author_page = client_for(people["author"]).get(f"/archive/{item_id}").get_data(as_text=True)
    assert "Who will be able to read Remedial action and plan" in author_page
    low_page = client_for(people["low_reviewer"]).get(f"/archive/{item_id}").get_data(as_text=True)
    assert "Who will be able to read it" in low_page  # the item's audience, as before
    assert "Remedial action" not in low_page and "TLP:AMBER" not in low_page


def test_raising_a_section_of_a_published_item_applies_at_once_lowering_it_waits(app, cast, client_for):
    people = cast
    with app.test_request_context():
        item_id = _published(people).id
        data = lesson_data(tier="community", remedial_action=SECRET,
                           section_tiers={"remedial_action": "restricted", "observation": "restricted"})
        update_submission(viewer(people["author"]), item_id, data)  # a pending revision
    low = client_for(people["community"])
    page = low.get(f"/archive/{item_id}").get_data(as_text=True)
    assert "North Star" not in page and ">Observation<" not in page  # protected before any review
    assert "Automation bias" in page
    with app.test_request_context():
        update_submission(viewer(people["author"]), item_id,
                          lesson_data(tier="community", remedial_action=SECRET, section_tiers={}))
    page = low.get(f"/archive/{item_id}").get_data(as_text=True)
    assert "North Star" not in page and "Walrusmoon" not in page  # a lowering waits for the reviewer


def test_comparing_policy_versions_compares_only_readable_sections(app, cast, client_for):
    people = cast
    with app.test_request_context():
        author = viewer(people["author"])
        first = create_submission(author, "responsible_ai_policy", policy_data(tier="community"))
        submit_submission(author, first.id)
        publish_submission(viewer(people["reviewer"]), first.id)
        second = create_policy_version(author, first.id)
        data = policy_data(tier="community", principles="Walrusmoon principles.",
                           section_tiers={"principles": "restricted"}, policy_version="2")
        update_submission(author, second.id, data)
        submit_submission(author, second.id)
        publish_submission(viewer(people["reviewer"]), second.id)
        first_id, second_id = first.id, second.id
    low = client_for(people["community"]).get(f"/archive/{second_id}/compare?with={first_id}")
    assert low.status_code == 200 and "Walrusmoon" not in low.get_data(as_text=True)
    high = client_for(people["restricted"]).get(f"/archive/{second_id}/compare?with={first_id}")
    assert "Walrusmoon principles." in high.get_data(as_text=True)


def test_reading_a_restricted_section_is_audited_at_its_tier(app, cast, client_for, audit_rows):
    people = cast
    with app.test_request_context():
        item_id = _published(people).id
    client_for(people["community"]).get(f"/archive/{item_id}")
    assert not [row for row in audit_rows("submission.read") if row.object_id == item_id]
    client_for(people["restricted"]).get(f"/archive/{item_id}")
    reads = [row for row in audit_rows("submission.read") if row.object_id == item_id]
    assert len(reads) == 1 and reads[0].details["tier"] == "restricted"
