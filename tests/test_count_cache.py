"""Counts and facets cached per audience class and data generation (webapp/counts/, issue 15).

Two app instances on one database stand for two nodes (or two workers): each has its own in-process cache, so a
count cached on node B must still change after node A writes, because the write bumps the generation in the
database inside its own transaction.
"""
from __future__ import annotations

import pytest

from tests.archive_helpers import lesson_data, viewer
from tests.dialogue_helpers import make_post, make_round, make_thread
from webapp import create_app, policy
from webapp.counts import generation
from webapp.db import session, unit_of_work
from webapp.models import Organisation, Tier, User
from webapp.queries_archive.browse import BrowseFilters, browse, facet_counts
from webapp.queries_archive.listing import paragraph_section, review_waiting
from webapp.queries_dialogue.moderation import open_flag_count
from webapp.services import group_membership, moderation
from webapp.services.submission_workflow import archive_submission, publish_submission, submit_submission
from webapp.services.submissions import change_submission_tier, create_submission, update_submission

FILTER_SETS = (BrowseFilters(), BrowseFilters(paragraph=(16,)), BrowseFilters(stakeholder=("state",), tier=(Tier.PUBLIC,)))


def _node(database_url, tmp_path, name: str, **settings):
    """Another app on the same database (its own in-process cache), as a second node or worker would be."""
    config = {
        "TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / name),
        "SEARCH_INDEX_DIR": str(tmp_path / name / "index"), "SEARCH_APPLY_AFTER_COMMIT": False,
        "MAIL_OUTBOX_FILE": str(tmp_path / name / "mail.log"), "JOBS_BACKEND": "immediate",
        "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
    }
    config.update(settings)
    return create_app(config)


@pytest.fixture
def node_b(app, database_url, tmp_path):
    other = _node(database_url, tmp_path, "node-b")
    yield other
    other.extensions["db_engine"].dispose()


@pytest.fixture
def uncached(app, database_url, tmp_path):
    other = _node(database_url, tmp_path, "uncached", COUNT_CACHE="off")
    yield other
    other.extensions["db_engine"].dispose()


def counts(on_app, user: User | None, filters: BrowseFilters = BrowseFilters()):
    """What the browse page and a paragraph page count for `user`, read on `on_app` (through its cache)."""
    with on_app.test_request_context():
        reader = viewer(user)
        result = browse(session(), reader, filters)
        paragraph = paragraph_section(session(), reader, 16)
        return (result.total, {name: facet.counts for name, facet in result.facets.items()},
                paragraph.total, [(group.code, group.total, [item.id for item in group.items])
                                  for group in paragraph.items])


def token(on_app) -> str | None:
    with on_app.test_request_context():
        return generation.current(session())


@pytest.fixture
def people(make_user, make_org):
    state = make_org("state", "NL")
    academia = make_org("academia", "KE")
    return {
        "author": make_user("confidential", org=state),
        "colleague": make_user("community", org=state),
        "reviewer": make_user("confidential", roles=("facilitator",), org=academia),
        "state_reviewer": make_user("confidential", roles=("facilitator",), org=state),
        "community": make_user("community", org=academia),
        "restricted": make_user("restricted", org=academia),
        "confidential": make_user("confidential", org=academia),
    }


@pytest.fixture
def publish(app, people):
    """publish(tier=..., group=None, **fields) → a published lesson by the author."""
    def factory(tier: str = "public", group=None, reviewer: str = "reviewer", **fields):
        with app.test_request_context():
            data = lesson_data(tier=tier, sharing_group_id=group.id if group else None, paragraphs=[16], **fields)
            item = create_submission(viewer(people["author"]), "lesson_learnt", data)
            submit_submission(viewer(people["author"]), item.id)
            return publish_submission(viewer(people[reviewer]), item.id)
    return factory


def test_a_content_write_bumps_the_generation_and_a_read_does_not(app, client_for, people, publish):
    publish()
    before = token(app)
    assert before is not None
    reader = client_for(people["community"])
    assert reader.get("/archive/").status_code == 200 and reader.get("/paragraphs/16").status_code == 200
    assert token(app) == before  # signing in and reading (sessions, audit rows) change no count
    publish()
    assert token(app) != before


def test_a_rolled_back_write_bumps_nothing(app, people, publish):
    publish()
    before = token(app)
    with app.test_request_context():
        with pytest.raises(RuntimeError):
            with unit_of_work() as db:
                db.get(Organisation, people["author"].organisation_id).country = "FR"
                db.flush()  # written, then the transaction fails
                raise RuntimeError("the write fails after its flush")
        with unit_of_work() as db:  # the next transaction writes no content: it inherits nothing
            db.get(User, people["author"].id).name = "Renamed Author"
    assert token(app) == before
    with app.test_request_context():
        with unit_of_work() as db:
            db.get(Organisation, people["author"].organisation_id).country = "FR"
    assert token(app) != before  # an organisation's country is counted (browse's country facet)


def test_a_publication_on_one_node_is_counted_at_once_on_the_other(app, node_b, uncached, people, publish):
    publish()
    cached_before = counts(node_b, people["community"])
    assert counts(node_b, people["community"]) == cached_before  # served from node B's cache now
    publish(tier="community", lifecycle_stage="deployment")
    after = counts(node_b, people["community"])
    assert after[0] == cached_before[0] + 1
    assert after == counts(uncached, people["community"])


def test_a_tier_change_on_one_node_is_counted_at_once_on_the_other(app, node_b, uncached, people, publish):
    item = publish(tier="community")
    assert counts(node_b, people["community"])[0] == 1
    with app.test_request_context():
        change_submission_tier(viewer(people["author"]), item.id, tier="restricted", sharing_group_id=None,
                               confirm=True)
    assert counts(node_b, people["community"])[0] == 0
    assert counts(node_b, people["restricted"])[0] == 1
    assert counts(node_b, people["community"]) == counts(uncached, people["community"])


def test_retiring_an_item_gives_a_new_generation_and_fresh_counts(app, node_b, uncached, people, publish):
    item = publish()
    counts(node_b, None)
    before = token(app)
    with app.test_request_context():
        archive_submission(viewer(people["author"]), item.id)
    assert token(node_b) != before
    assert counts(node_b, None) == counts(uncached, None)


def test_a_section_tier_change_gives_a_new_generation_and_fresh_counts(app, node_b, uncached, people, publish):
    item = publish(tier="community")
    counts(node_b, people["community"])
    before = token(app)
    with app.test_request_context():
        update_submission(viewer(people["author"]), item.id,
                          lesson_data(tier="community", paragraphs=[16], remedial_action="Kept above the item.",
                                      section_tiers={"remedial_action": "restricted"}))
    assert token(node_b) != before
    assert counts(node_b, people["community"]) == counts(uncached, people["community"])
    with app.test_request_context():  # the pending revision of a torn item waits for a reviewer who reads it all
        assert review_waiting(session(), viewer(people["reviewer"])) == 1


def test_a_group_membership_change_is_counted_at_once_on_the_other_node(app, node_b, make_group, people, publish,
                                                                          make_user):
    admin = make_user("community", roles=("admin",))
    group = make_group(users=[people["author"], people["reviewer"]])
    publish(tier="confidential", group=group)
    assert counts(node_b, people["confidential"])[0] == 0
    with app.test_request_context():
        group_membership.add_user(viewer(admin), group.id, people["confidential"].id, as_admin=True)
    assert counts(node_b, people["confidential"])[0] == 1
    with app.test_request_context():
        group_membership.remove_user(viewer(admin), group.id, people["confidential"].id, as_admin=True)
    assert counts(node_b, people["confidential"])[0] == 0


def test_hiding_a_post_on_one_node_clears_the_moderators_count_on_the_other(app, node_b, people):
    round_ = make_round(app, people["reviewer"], tier=Tier.COMMUNITY)
    thread = make_thread(app, people["community"], round_=round_)
    post = make_post(app, people["colleague"], thread)
    with app.test_request_context():
        moderation.flag_post(viewer(people["community"]), post.id, reason="Off topic")

    def flags():
        with node_b.test_request_context():
            return open_flag_count(session(), viewer(people["reviewer"]))

    assert flags() == 1 and flags() == 1
    with app.test_request_context():
        moderation.hide_post(viewer(people["reviewer"]), post.id, reason="Off topic")
    assert flags() == 0


def test_the_navigation_and_home_show_the_fresh_flag_count(app, node_b, client_for, people):
    round_ = make_round(app, people["reviewer"], tier=Tier.COMMUNITY)
    thread = make_thread(app, people["community"], round_=round_)
    post = make_post(app, people["colleague"], thread)
    with app.test_request_context():
        moderation.flag_post(viewer(people["community"]), post.id, reason="Off topic")
    moderator = node_b.test_client()
    from tests.conftest import sign_in

    sign_in(moderator, people["reviewer"])
    assert "1 flagged post waits for moderation" in moderator.get("/").get_data(as_text=True)
    with app.test_request_context():
        moderation.hide_post(viewer(people["reviewer"]), post.id, reason="Off topic")
    assert "flagged post" not in moderator.get("/").get_data(as_text=True)


def test_a_lower_tier_sees_nothing_of_higher_items_through_the_cache(app, node_b, make_group, people, publish):
    publish(tier="public")
    publish(tier="community", lifecycle_stage="deployment")
    lower = {name: [counts(on, people[name], f) for on in (app, node_b) for f in FILTER_SETS]
             for name in ("community", "colleague")}
    anonymous = [counts(on, None, f) for on in (app, node_b) for f in FILTER_SETS]
    group = make_group(users=[people["author"], people["reviewer"], people["confidential"]])
    publish(tier="restricted", lifecycle_stage="use")
    publish(tier="confidential", group=group, lifecycle_stage="retirement")
    for name, before in lower.items():
        assert [counts(on, people[name], f) for on in (app, node_b) for f in FILTER_SETS] == before, name
    assert [counts(on, None, f) for on in (app, node_b) for f in FILTER_SETS] == anonymous
    assert counts(node_b, people["restricted"])[0] == 3  # the higher items exist: the test could fail
    assert counts(node_b, people["confidential"])[0] == 4


def test_readers_with_equal_audience_keys_get_equal_uncached_counts(app, uncached, make_user, make_org, make_group,
                                                                     people, publish):
    """The audience class is exactly what the read rule depends on: for many viewers, equal keys ⇒ equal counts,
    and the keys tell apart readers whose counts differ."""
    company = make_org("private_sector", "DE")
    group = make_group(organisations=[company], users=[people["author"], people["reviewer"], people["restricted"]])
    publish(tier="public")
    publish(tier="community", group=group, lifecycle_stage="deployment")
    publish(tier="restricted")
    publish(tier="confidential", reviewer="state_reviewer")  # the author's organisation only
    publish(tier="confidential", group=group, lifecycle_stage="use")
    readers = [None, *people.values(),
               make_user("community", org=company), make_user("confidential", org=company),
               make_user("restricted", org=company), make_user("restricted", status="pending", org=company),
               make_user("confidential", second_factor=False, org=company),
               make_user("restricted", roles=("facilitator",), org=company),
               make_user("confidential", groups=(group,)), make_user("community", groups=(group,))]
    by_key: dict[tuple, list] = {}
    for reader in readers:
        with uncached.test_request_context():
            key = policy.audience_key(viewer(reader))
            figures = [facet_counts(session(), viewer(reader), f) for f in FILTER_SETS]
        figures.append(counts(uncached, reader))
        by_key.setdefault(key, []).append(figures)
    assert any(len(group_) > 1 for group_ in by_key.values())  # some readers share a class
    for key, group_ in by_key.items():
        assert all(figures == group_[0] for figures in group_), key
    distinct = [group_[0] for group_ in by_key.values()]
    assert len({repr(figures) for figures in distinct}) >= 5  # classes that count differently are kept apart
    for reader in readers:  # and the cache agrees with the database for everyone
        assert counts(app, reader) == counts(uncached, reader)


def test_redis_down_means_counts_computed_not_an_error(app, database_url, tmp_path, client_for, people, publish):
    publish()
    down = _node(database_url, tmp_path, "redis-down", COUNT_CACHE="redis",
                 COUNT_CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    try:
        assert counts(down, people["community"]) == counts(app, people["community"])
        publish(tier="community")
        assert counts(down, people["community"])[0] == 2
        client = down.test_client()
        assert client.get("/archive/").status_code == 200
        assert client.get("/paragraphs/16").status_code == 200
    finally:
        down.extensions["db_engine"].dispose()


def test_two_nodes_sharing_redis_never_read_a_stale_count(app, database_url, tmp_path, people, publish):
    import redis

    redis.Redis.from_url("redis://127.0.0.1:6379/7").flushdb()
    settings = {"COUNT_CACHE": "redis", "COUNT_CACHE_REDIS_URL": "redis://127.0.0.1:6379/7"}
    one, two = (_node(database_url, tmp_path, name, **settings) for name in ("redis-1", "redis-2"))
    try:
        publish()
        assert counts(one, people["community"])[0] == 1
        assert redis.Redis.from_url("redis://127.0.0.1:6379/7").keys("reaim-counts:*")  # it was stored there
        assert counts(two, people["community"])[0] == 1
        publish(tier="community")
        assert counts(two, people["community"])[0] == 2 and counts(one, people["community"])[0] == 2
    finally:
        for node in (one, two):
            node.extensions["db_engine"].dispose()
