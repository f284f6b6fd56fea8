"""A change that narrows who may read something takes effect in search on the very next request: a tier raised,
a post hidden, a submission withdrawn, a post deleted, a thread moved into a higher-tier round, a round's tier
raised. Each is checked twice: with the index updated after commit as in production, and with the index left
stale (the database decides every hit, so search must not wait for the indexer). Across gunicorn workers:
tests/test_search_concurrency.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import publish, search_json, viewer_of
from webapp.models import Tier, utcnow
from webapp.search import engine
from webapp.services import dialogue_posts, dialogue_rounds, moderation
from webapp.services.submission_workflow import withdraw_submission
from webapp.services.submissions import change_submission_tier


@pytest.fixture
def people(make_org, make_user):
    org = make_org(stakeholder_type="state", country="NL")
    return {
        "author": make_user(clearance="restricted", org=org),
        "reviewer": make_user(clearance="restricted", roles=("facilitator",), org=org),
        "facilitator": make_user(clearance="restricted", roles=("facilitator",), org=org),
        "reader": make_user(clearance="community"),
    }


def _as(app, user, service, *args, **kwargs):
    with app.test_request_context():
        return service(viewer_of(app, user), *args, **kwargs)


def _tier_raised(app, people, word):
    item = publish(app, people["author"], people["reviewer"], title=f"{word} lesson", summary=f"{word} remark")
    return f"submission:{item.id}", lambda: _as(app, people["author"], change_submission_tier, item.id,
                                                tier="restricted", sharing_group_id=None, confirm=True)


def _withdrawn(app, people, word):
    item = publish(app, people["author"], people["reviewer"], title=f"{word} lesson", summary=f"{word} remark")
    return f"submission:{item.id}", lambda: _as(app, people["author"], withdraw_submission, item.id)


def _community_round(app, people, **kwargs):
    return make_round(app, people["facilitator"], tier=Tier.COMMUNITY, facilitators=(people["facilitator"],), **kwargs)


def _post_hidden(app, people, word):
    thread = make_thread(app, people["author"], round_=_community_round(app, people), title="Plain thread", body="hello")
    post = make_post(app, people["author"], thread, body=f"a {word} remark")
    return f"post:{post.id}", lambda: _as(app, people["facilitator"], moderation.hide_post, post.id, reason="off topic")


def _post_deleted(app, people, word):
    thread = make_thread(app, people["author"], round_=_community_round(app, people), title="Plain thread", body="hello")
    post = make_post(app, people["author"], thread, body=f"a {word} remark")
    return f"post:{post.id}", lambda: _as(app, people["author"], dialogue_posts.delete_post, post.id)


def _thread_moved(app, people, word):
    thread = make_thread(app, people["author"], round_=_community_round(app, people), title=f"{word} thread",
                         body=f"{word} opening")
    vault = make_round(app, people["facilitator"], tier=Tier.RESTRICTED, facilitators=(people["facilitator"],),
                       title="Vault round")
    return f"thread:{thread.id}", lambda: _as(app, people["facilitator"], moderation.move_thread, thread.id,
                                              target_round_id=vault.id, reason="belongs in the vault")


def _round_raised(app, people, word):
    round_ = _community_round(app, people, title=f"{word} round")
    make_thread(app, people["author"], round_=round_, title=f"{word} thread", body=f"{word} opening")
    now = utcnow()

    def raise_tier():
        _as(app, people["facilitator"], dialogue_rounds.update_round, round_.id, title=f"{word} round",
            questions_source="1. What worked?\n2. What did not?", paragraphs=[16, 24], tier=Tier.RESTRICTED,
            sharing_group_id=None, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
            chatham_house=False, facilitator_ids=[people["facilitator"].id])

    return f"round:{round_.id}", raise_tier


CHANGES = {
    "tier_raised": _tier_raised,
    "post_hidden": _post_hidden,
    "withdrawn": _withdrawn,
    "post_deleted": _post_deleted,
    "thread_moved": _thread_moved,
    "round_tier_raised": _round_raised,
}


@pytest.mark.parametrize("index_updated", [True, False], ids=["index-updated", "index-stale"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_narrowing_change_takes_effect_on_the_very_next_request(app, people, client_for, change, index_updated):
    word = "fennecfresh"
    key, make_change = CHANGES[change](app, people, word)
    reader = client_for(people["reader"])
    status, body = search_json(reader, word)
    assert status == 200 and body["total"] >= 1  # found before the change

    app.config["SEARCH_APPLY_AFTER_COMMIT"] = index_updated
    make_change()
    if not index_updated:  # the index still proposes the item: the database's check alone hides it
        assert key in engine.backend(app).keys()
    status, body = search_json(reader, word)
    assert status == 200 and body["total"] == 0 and body["results"] == [] and body["suggestion"] is None
    assert all(values == [] for values in body["facets"].values())
    page = reader.get("/search", query_string={"q": word}).get_data(as_text=True)
    assert "<mark>" not in page and f"{word} lesson" not in page and f"{word} thread" not in page
