"""Search never reveals what a reader may not see: results, totals, facets, suggestions, snippets and ranking are
exactly what they were before the higher-tier items were created (i.e. as if they did not exist) — submissions,
rounds, threads, posts and the outcome syntheses their conclusion publishes."""
from __future__ import annotations

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import publish, search_json, titles, viewer_of
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from webapp.models import Tier
from webapp.services import dialogue_rounds
from webapp.services.submission_workflow import withdraw_submission
from webapp.services.submissions import change_submission_tier

QUERIES = [
    {"q": "oversight"},
    {"q": "human oversight", "sort": "newest"},
    {"q": '"human judgement"'},
    {"q": "targeting OR autonomy"},
    {"q": "autonom*"},
    {"q": "oversigt"},  # misspelt: "did you mean"
    {"q": "zepelin"},  # close to a word that only secret items contain
    {"q": "zeppelin"},  # a word only secret items contain
    {"q": "tier:confidential"},
    {"q": "classified:yes oversight"},
    {"q": "oversight", "stakeholder": "private_sector"},
    {"q": "oversight", "paragraph": "14"},
    {"q": "oversight", "country": "DE"},
    {"q": "oversight", "kind": "good_practice"},
    {"q": "oversight", "page": "2"},
    {"q": "drills", "stage": "test_evaluation"},
]

PUBLIC_TEXTS = [
    ("Human oversight in targeting support", "Operators kept human judgement over targeting support tools."),
    ("Autonomy levels in logistics", "Autonomy reduced the oversight burden of convoy planners."),
    ("Oversight boards for model updates", "A board reviewed every model update before fielding."),
]


@pytest.fixture
def world(app, make_org, make_user, make_group):
    org_a = make_org(stakeholder_type="state", country="NL")
    org_b = make_org(stakeholder_type="private_sector", country="DE")
    org_d = make_org(stakeholder_type="academia", country="KE")
    insider = make_user(clearance="confidential", org=org_a)
    group = make_group(organisations=(org_a,))
    people = {
        "author_a": insider,
        "author_b": make_user(clearance="confidential", org=org_b),
        "reviewer": make_user(clearance="confidential", roles=("facilitator",), org=org_a),
        "anonymous": None,
        "pending": make_user(clearance="confidential", status="pending", org=org_d),
        "community": make_user(clearance="community", org=org_d),
        "restricted": make_user(clearance="restricted", org=org_d),
        "confidential_other": make_user(clearance="confidential", org=org_d),
        # DESIGN §3.12: cleared, in the author's organisation and group, but without a second factor
        "insider_no_2fa": make_user(clearance="confidential", org=org_a, second_factor=False),
        "restricted_no_2fa": make_user(clearance="restricted", org=org_d, second_factor=False),
    }
    for index, (title, text) in enumerate(PUBLIC_TEXTS * 8):
        author = people["author_a"] if index % 2 else people["author_b"]
        publish(app, author, people["reviewer"], kind="lesson_learnt" if index % 3 else "good_practice",
                tier="public" if index % 4 else "community", title=f"{title} {index}", summary=text)
    return {"people": people, "group": group, "orgs": (org_a, org_b, org_d)}


def _secret_items(app, world, tiers) -> list:
    people, made = world["people"], []
    for index in range(6):
        for tier in tiers:
            group = world["group"] if tier == "confidential" and index % 2 else None
            made.append(publish(
                app, people["author_a"], people["reviewer"], tier=tier, group=group,
                kind="good_practice" if index % 2 else "lesson_learnt",
                title=f"Zeppelin oversight {tier} {index}",
                summary="Zeppelin tier confidential classified oversight of human judgement in targeting. " * (index + 1),
                keywords="oversight, zeppelin",
            ))
    return made


def _secret_dialogue(app, world, tier: str) -> int:
    """A concluded round at `tier` (confidential: for the group) with a thread and posts using the same words as
    the readers' items; returns how many documents mention the secret word."""
    people = world["people"]
    facilitator = people["reviewer"]
    group = world["group"] if tier == "confidential" else None
    round_ = make_round(app, facilitator, tier=Tier.from_code(tier), group=group, facilitators=(facilitator,),
                        title=f"Zeppelin oversight round {tier}")
    thread = make_thread(app, people["author_a"], round_=round_, title=f"Zeppelin human oversight {tier}",
                         body="Zeppelin classified oversight of human judgement in targeting support.")
    make_post(app, people["author_a"], thread, body="Autonomy drills: zeppelin oversight of targeting. " * 3)
    with app.test_request_context():
        dialogue_rounds.close_round(viewer_of(app, facilitator), round_.id)
        dialogue_rounds.conclude_round(viewer_of(app, facilitator), round_.id,
                                       synthesis_source="Zeppelin outcome: human oversight in targeting support.",
                                       key_points={"state": "zeppelin oversight"}, paragraphs=[14])
    return 5  # round, thread, first post, reply, synthesis


def _snapshot(client_for, readers) -> dict:
    found = {}
    for name, user in readers.items():
        client = client_for(user)
        for args in QUERIES:
            status, body = search_json(client, **args)
            assert status == 200, (name, args, body)
            found[(name, tuple(sorted(args.items())))] = body
    return found


def test_items_above_a_readers_tier_change_nothing_they_get(app, world, client_for):
    people = world["people"]
    low = {name: people[name] for name in ("anonymous", "pending", "community", "insider_no_2fa",
                                            "restricted_no_2fa")}
    before = _snapshot(client_for, low)
    assert any(body["total"] for body in before.values())
    assert before[("anonymous", (("q", "oversigt"),))]["suggestion"] == "oversight"

    secret = _secret_items(app, world, ["restricted", "confidential"])
    secret_dialogue = sum(_secret_dialogue(app, world, tier) for tier in ("restricted", "confidential"))
    after = _snapshot(client_for, low)
    for key in before:
        assert after[key] == before[key], key

    # Not vacuous: the items exist, and a reader entitled to them finds them, counts them, is corrected towards them.
    status, body = search_json(client_for(people["author_a"]), "zeppelin")
    assert body["total"] == len(secret) + secret_dialogue
    assert {"round", "thread", "post", "outcome_synthesis"} <= {v["value"] for v in body["facets"]["kind"]}
    status, body = search_json(client_for(people["author_a"]), "zepelin")
    assert body["suggestion"] == "zeppelin"


def test_confidential_items_change_nothing_for_cleared_readers_outside_group_or_org(app, world, client_for):
    people = world["people"]
    _secret_items(app, world, ["restricted"])
    readers = {name: people[name] for name in ("restricted", "confidential_other", "author_b")}
    before = _snapshot(client_for, readers)
    _secret_items(app, world, ["confidential"])
    _secret_dialogue(app, world, "confidential")
    after = _snapshot(client_for, readers)
    for key in before:
        assert after[key] == before[key], key
    status, body = search_json(client_for(people["author_a"]), "zeppelin", kind="good_practice")
    assert any("confidential" in title for title in titles(body))


def test_field_syntax_is_plain_words_and_never_addresses_access_fields(app, world, client_for):
    people = world["people"]
    _secret_items(app, world, ["confidential"])
    for q in ("tier:confidential", "tier:3", "meta:confidential", "key:submission", "words:zeppelin", "group:1"):
        for user in (None, people["community"]):
            status, body = search_json(client_for(user), q)
            assert status == 200
            assert all("Zeppelin" not in title for title in titles(body)), (q, body)


def test_raising_a_tier_hides_it_on_the_next_request_even_before_reindexing(app, world, client_for):
    people = world["people"]
    item = publish(app, people["author_a"], people["reviewer"], title="Quokka deployment lessons", summary="quokka")
    reader = client_for(people["community"])
    assert titles(search_json(reader, "quokka")[1]) == ["Quokka deployment lessons"]
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = False  # the index keeps the old tier
    with app.test_request_context():
        change_submission_tier(viewer_of(app, people["author_a"]), item.id, tier="confidential",
                               sharing_group_id=None, confirm=True)
    status, body = search_json(reader, "quokka")
    assert body["total"] == 0 and body["results"] == [] and body["facets"]["kind"] == []
    assert search_json(client_for(people["author_a"]), "quokka")[1]["total"] == 1


def test_withdrawal_hides_an_item_from_everyone_but_its_author_at_once(app, world, client_for):
    people = world["people"]
    item = publish(app, people["author_a"], people["reviewer"], title="Wombat sensor fusion", summary="wombat")
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = False
    with app.test_request_context():
        withdraw_submission(viewer_of(app, people["author_a"]), item.id)
    assert search_json(client_for(None), "wombat")[1]["total"] == 0
    assert search_json(client_for(people["community"]), "wombat")[1]["total"] == 0
    assert search_json(client_for(people["author_a"]), "wombat")[1]["total"] == 1


def test_lowering_a_tier_is_found_after_the_outbox_is_applied(app, world, client_for):
    people = world["people"]
    item = publish(app, people["author_a"], people["reviewer"], tier="confidential", title="Numbat doctrine",
                   summary="numbat")
    assert search_json(client_for(people["community"]), "numbat")[1]["total"] == 0
    with app.test_request_context():
        change_submission_tier(viewer_of(app, people["author_a"]), item.id, tier="community",
                               sharing_group_id=None, confirm=True)
    assert titles(search_json(client_for(people["community"]), "numbat")[1]) == ["Numbat doctrine"]


def test_snippets_are_built_from_readable_text_and_escaped(app, world, client_for):
    people = world["people"]
    publish(app, people["author_a"], people["reviewer"], title="Escaping check",
            summary="<script>alert(1)</script> the kookaburra <b>bold</b> remark")
    body = search_json(client_for(None), "kookaburra")[1]
    snippet = body["results"][0]["snippet_html"]
    assert "<mark>kookaburra</mark>" in snippet
    assert "<script" not in snippet and "&lt;/script&gt;" in snippet and "<b>" not in snippet
    page = client_for(None).get("/search", query_string={"q": "kookaburra"}).get_data(as_text=True)
    assert "<mark>kookaburra</mark>" in page and "<script>alert" not in page


def test_chatham_house_posts_show_no_author_and_names_are_not_searchable(app, make_user, make_org, client_for):
    facilitator = make_user(clearance="restricted", roles=("facilitator",))
    speaker = make_user(clearance="restricted", name="Wilhelmina Quarterdeck",
                        org=make_org(name="Quarterdeck Ministry"))
    reader = make_user(clearance="community")
    round_ = make_round(app, facilitator, chatham_house=True, facilitators=(facilitator,))
    thread = make_thread(app, speaker, round_=round_, title="Open questions", body="Platypus thoughts")
    make_post(app, speaker, thread, body="The platypus sensor drifted in heat.")
    body = search_json(client_for(reader), "platypus")[1]
    assert body["total"] >= 1
    assert all(hit["byline"] is None for hit in body["results"])
    page = client_for(reader).get("/search", query_string={"q": "platypus"}).get_data(as_text=True)
    assert "Quarterdeck" not in page and "Wilhelmina" not in page
    for q in ("Wilhelmina", "Quarterdeck"):
        assert search_json(client_for(reader), q)[1]["total"] == 0
        assert search_json(client_for(facilitator), q)[1]["total"] == 0
    assert body["facets"]["stakeholder"] == [] and body["facets"]["country"] == []
    facilitated = search_json(client_for(facilitator), "platypus")[1]
    assert any(hit["byline"] and "Wilhelmina" in hit["byline"] for hit in facilitated["results"])


def test_posts_of_a_restricted_round_are_invisible_to_community_readers(app, make_user, client_for):
    facilitator = make_user(clearance="restricted", roles=("facilitator",))
    member = make_user(clearance="restricted")
    reader = make_user(clearance="community")
    round_ = make_round(app, facilitator, tier=Tier.RESTRICTED, facilitators=(facilitator,), title="Echidna round")
    thread = make_thread(app, member, round_=round_, title="Echidna thread", body="echidna first post")
    make_post(app, member, thread, body="echidna reply")
    assert search_json(client_for(reader), "echidna")[1]["total"] == 0
    found = search_json(client_for(member), "echidna")[1]
    assert {hit["kind"] for hit in found["results"]} == {"round", "thread", "post"}
    scoped = search_json(client_for(member), "echidna", round=str(round_.id))[1]
    assert scoped["total"] == found["total"]
    assert search_json(client_for(reader), "echidna", round=str(round_.id))[1]["total"] == 0


def test_many_similar_words_in_hidden_items_do_not_crowd_out_a_readable_suggestion(app, world, client_for, monkeypatch):
    """However many near-misses only hidden items contain, the suggestion is drawn from readable ones alone."""
    from webapp.search import service

    monkeypatch.setattr(service, "MAX_SUGGESTION_CANDIDATES", 2)
    people = world["people"]
    reader = client_for(people["community"])
    before = search_json(reader, "oversigt")[1]
    assert before["suggestion"] == "oversight"
    for word in ("oversiga", "oversigb", "oversigc"):  # sort before "oversight", one or two edits from "oversigt"
        publish(app, people["author_a"], people["reviewer"], tier="confidential", title=f"{word} memo", summary=word)
    assert search_json(reader, "oversigt")[1] == before
