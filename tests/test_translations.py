"""Content in several languages (issue 13): each item records its language; the author or a colleague adds a
translation, reviewed like a revision; readers see it in their language with a link to the original; search finds
the item by the words of its readable translations — and a lower tier sees nothing of any of it."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.archive_helpers import lesson_data
from tests.conftest import csrf_token
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import publish, search_json, titles, viewer_of
from webapp.db import session
from webapp.models import AuditEvent, Notification, Submission, SubmissionTranslation
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.submissions import create_submission
from webapp.services.translations import propose_translation, publish_translation, return_translation

FRENCH_TITLE = "Les opérateurs ont trop fait confiance à l'aide"
FRENCH_WORD = "quetzalcoatlfr"  # a word of the translation only


def _french(**overrides) -> dict:
    data = {
        "title": FRENCH_TITLE,
        "summary": f"Pendant un exercice, les opérateurs ont accepté presque toutes les propositions ({FRENCH_WORD}).",
        "observation": "Pendant l'exercice *North Star*, les opérateurs ont accepté 97 % des propositions.",
        "discussion": "Le biais d'automatisation affaiblit le contrôle humain significatif.",
        "conclusion": "La formation ne couvrait pas les modes de défaillance connus.",
        "recommendation": "Ajouter des exercices sur les modes de défaillance.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def cast(app, make_user, make_org):
    author_org = make_org(stakeholder_type="state", country="FR")
    return {
        "author": make_user(clearance="restricted", org=author_org),
        "colleague": make_user(clearance="restricted", org=author_org),
        "reviewer": make_user(clearance="restricted", roles=("facilitator",)),
        "outsider": make_user(clearance="restricted"),
        "community": make_user(clearance="community"),
        "author_org": author_org,
    }


def _propose(app, user, item_id: int, language: str = "fr", **overrides) -> int:
    with app.test_request_context():
        return propose_translation(viewer_of(app, user), item_id, language, _french(**overrides), "first draft").id


def _publish(app, reviewer, item_id: int, translation_id: int) -> None:
    with app.test_request_context():
        publish_translation(viewer_of(app, reviewer), item_id, translation_id)


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/archive/"), **data})


# ---------------------------------------------------------------- the language of an item


def test_an_item_records_the_language_it_was_written_in(app, cast, client_for):
    with app.test_request_context():
        item = create_submission(viewer_of(app, cast["author"]), "lesson_learnt", lesson_data(language="fr"))
    with app.app_context():
        assert session().get(Submission, item.id).language == "fr"
    with app.test_request_context():
        with pytest.raises(ServiceError, match="platform's languages"):
            create_submission(viewer_of(app, cast["author"]), "lesson_learnt", lesson_data(language="tlh"))
    # The form offers the six languages, and a bad choice is a clear 400, not a 500.
    author = client_for(cast["author"])
    page = author.get("/archive/new/lesson_learnt").get_data(as_text=True)
    assert 'name="language"' in page and "Français" in page and "العربية" in page
    form = author.get("/archive/new/lesson_learnt")
    assert form.status_code == 200
    response = _post(author, "/archive/new/lesson_learnt", title="T", summary="S", paragraphs="14", tier="public",
                     language="tlh")
    assert response.status_code == 400 and "platform&#39;s languages" in response.get_data(as_text=True)


# ---------------------------------------------------------------- proposing and reviewing


def test_a_translation_waits_for_review_and_readers_see_it_only_once_published(app, cast, client_for):
    item = publish(app, cast["author"], cast["reviewer"])
    translation_id = _propose(app, cast["colleague"], item.id)
    reader = client_for(cast["community"])
    reader.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    anonymous = client_for(None)
    anonymous.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    for client in (reader, anonymous):
        page = client.get(f"/archive/{item.id}").get_data(as_text=True)
        assert FRENCH_TITLE not in page and FRENCH_WORD not in page
        # The pending translation is not a page readers may open: as if it did not exist.
        assert client.get(f"/archive/{item.id}/translations/{translation_id}").status_code == 404
        assert titles(search_json(client, FRENCH_WORD)[1]) == []
    # The reviewer is told, sees it on the item page, and publishes it.
    with app.app_context():
        events = session().scalars(select(Notification.event).where(Notification.user_id == cast["reviewer"].id))
        assert "translation_pending" in set(events)
    reviewer = client_for(cast["reviewer"])
    assert "waiting for review" in reviewer.get(f"/archive/{item.id}").get_data(as_text=True)
    review_page = reviewer.get(f"/archive/{item.id}/translations/{translation_id}")
    assert review_page.status_code == 200 and "Publish this translation" in review_page.get_data(as_text=True)
    response = _post(reviewer, f"/archive/{item.id}/translations/{translation_id}/publish")
    assert response.status_code == 302
    for client in (reader, anonymous):
        page = client.get(f"/archive/{item.id}").get_data(as_text=True)
        assert FRENCH_TITLE.replace("'", "&#39;") in page and 'lang="fr"' in page
        assert f"/archive/{item.id}?original=1" in page  # the link to the original
        original = client.get(f"/archive/{item.id}?original=1").get_data(as_text=True)
        assert FRENCH_TITLE.replace("'", "&#39;") not in original and item.title in original
        assert f"/archive/{item.id}?lang=fr" in original  # "Also in: Français"
        # Search finds the item by the translation's words.
        assert titles(search_json(client, FRENCH_WORD)[1]) == [item.title]
    # An English reader sees the original, and a link to the French.
    english = client_for(None)
    english.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = english.get(f"/archive/{item.id}").get_data(as_text=True)
    assert item.title in page and FRENCH_TITLE.replace("'", "&#39;") not in page and "?lang=fr" in page
    with app.app_context():
        actions = set(session().scalars(select(AuditEvent.action).where(AuditEvent.object_id == item.id)))
        assert {"submission.translation_proposed", "submission.translation_published"} <= actions
        events = set(session().scalars(select(Notification.event).where(Notification.user_id == cast["colleague"].id)))
        assert "translation_published" in events


def test_the_audit_log_names_translation_acts(app, cast, client_for, make_user):
    item = publish(app, cast["author"], cast["reviewer"])
    _publish(app, cast["reviewer"], item.id, _propose(app, cast["colleague"], item.id))
    page = client_for(make_user(clearance="restricted", roles=("admin",))).get("/admin/audit").get_data(as_text=True)
    assert "proposed a translation of" in page and "published a translation of" in page


def test_a_returned_translation_stays_unseen_and_its_translator_reads_the_comments(app, cast, client_for):
    item = publish(app, cast["author"], cast["reviewer"])
    translation_id = _propose(app, cast["colleague"], item.id)
    reviewer = client_for(cast["reviewer"])
    assert _post(reviewer, f"/archive/{item.id}/translations/{translation_id}/return", comments="").status_code == 400
    response = _post(reviewer, f"/archive/{item.id}/translations/{translation_id}/return",
                     comments="Use « contrôle humain significatif » throughout.")
    assert response.status_code == 302
    translator = client_for(cast["colleague"])
    page = translator.get(f"/archive/{item.id}/translations/{translation_id}").get_data(as_text=True)
    assert "returned with comments" in page and "contrôle humain significatif » throughout" in page
    reader = client_for(cast["community"])
    reader.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert FRENCH_TITLE.replace("'", "&#39;") not in reader.get(f"/archive/{item.id}").get_data(as_text=True)
    # Deciding twice is a conflict with the reason, and nothing changes.
    again = _post(reviewer, f"/archive/{item.id}/translations/{translation_id}/publish")
    assert again.status_code == 409
    with app.app_context():
        assert session().get(SubmissionTranslation, translation_id).review_state == "returned"


def test_a_newer_proposal_replaces_the_unreviewed_one_and_a_published_one_is_replaced_on_publication(app, cast):
    item = publish(app, cast["author"], cast["reviewer"])
    first = _propose(app, cast["colleague"], item.id)
    second = _propose(app, cast["author"], item.id, title="Les opérateurs : une confiance excessive")
    with app.app_context():
        assert session().get(SubmissionTranslation, first).review_state == "replaced"
    _publish(app, cast["reviewer"], item.id, second)
    third = _propose(app, cast["colleague"], item.id, title="Troisième version")
    _publish(app, cast["reviewer"], item.id, third)
    with app.app_context():
        states = {row.id: row.review_state for row in session().scalars(select(SubmissionTranslation))}
    assert states == {first: "replaced", second: "replaced", third: "published"}


def test_who_may_translate_and_who_may_review(app, cast):
    item = publish(app, cast["author"], cast["reviewer"])
    with app.test_request_context():
        # Another organisation, even a reader of the item, translates nothing of it.
        with pytest.raises(Forbidden):
            propose_translation(viewer_of(app, cast["outsider"]), item.id, "fr", _french())
        with pytest.raises(Forbidden):
            propose_translation(viewer_of(app, cast["reviewer"]), item.id, "fr", _french())
    translation_id = _propose(app, cast["colleague"], item.id)
    with app.test_request_context():
        # The translator does not review their own translation.
        with pytest.raises(Forbidden):
            publish_translation(viewer_of(app, cast["colleague"]), item.id, translation_id)
        # Anyone else but reviewers may not read the pending translation (like a proposed revision): "not found",
        # as if it did not exist — the item's author and other members alike.
        for who in ("author", "outsider", "community"):
            with pytest.raises(NotFound):
                publish_translation(viewer_of(app, cast[who]), item.id, translation_id)
        with pytest.raises(NotFound):
            publish_translation(viewer_of(app, cast["reviewer"]), item.id, 999_999)


def test_a_draft_is_not_translated_until_it_is_published(app, cast):
    with app.test_request_context():
        draft = create_submission(viewer_of(app, cast["author"]), "lesson_learnt", lesson_data())
        with pytest.raises(Forbidden):
            propose_translation(viewer_of(app, cast["author"]), draft.id, "fr", _french())


@pytest.mark.parametrize("language, overrides, message", [
    ("en", {}, "written in this language"),
    ("xx", {}, "platform's languages"),
    ("fr", {"title": ""}, "title is required"),
    ("fr", {"title": "T" * 301}, "title is too long"),
    ("fr", {"summary": "  "}, "summary is required"),
    ("fr", {"discussion": ""}, "Translate these sections too: Discussion"),
])
def test_bad_translations_are_refused_with_a_clear_message(app, cast, language, overrides, message):
    item = publish(app, cast["author"], cast["reviewer"])
    with app.test_request_context():
        with pytest.raises(ServiceError, match=message):
            propose_translation(viewer_of(app, cast["author"]), item.id, language, _french(**overrides))
    with app.app_context():
        assert session().scalars(select(SubmissionTranslation)).all() == []


def test_the_translation_form_saves_once_and_shows_its_errors(app, cast, client_for):
    item = publish(app, cast["author"], cast["reviewer"])
    author = client_for(cast["author"])
    page = author.get(f"/archive/{item.id}/translate?language=fr")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    choices = body.split('name="language"')[1].split("</select>")[0]
    assert re.search(r'<option selected value="fr">', choices) and 'value="en"' not in choices  # not the original's
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', body).group(1)
    fields = {"language": "fr", **_french(), "idempotency_key": key}
    incomplete = _post(author, f"/archive/{item.id}/translate", **{**fields, "discussion": ""})
    assert incomplete.status_code == 400 and "Translate these sections too" in incomplete.get_data(as_text=True)
    first = _post(author, f"/archive/{item.id}/translate", **fields)
    again = _post(author, f"/archive/{item.id}/translate", **fields)  # a double click
    assert first.status_code == again.status_code == 302 and first.location == again.location
    with app.app_context():
        assert len(session().scalars(select(SubmissionTranslation)).all()) == 1
    # Outsiders are refused the form; a reader of nothing gets the generic 404.
    assert client_for(cast["outsider"]).get(f"/archive/{item.id}/translate").status_code == 403
    assert client_for(None).get(f"/archive/{item.id}/translate").status_code in (302, 401)


# ---------------------------------------------------------------- nothing leaks beyond the tier


def test_a_lower_tier_sees_nothing_of_a_translation_of_a_higher_tier_item(app, cast, client_for, make_user):
    item = publish(app, cast["author"], cast["reviewer"], tier="restricted")
    community_facilitator = make_user(clearance="community", roles=("facilitator",))
    translation_id = _propose(app, cast["colleague"], item.id)
    with app.app_context():  # told only to reviewers who may read (and review) it
        told = set(session().scalars(select(Notification.user_id).where(Notification.event == "translation_pending")))
    assert cast["reviewer"].id in told and community_facilitator.id not in told
    _publish(app, cast["reviewer"], item.id, translation_id)
    for who in ("community", None):
        client = client_for(cast[who] if who else None)
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
        assert client.get(f"/archive/{item.id}").status_code == 404
        assert client.get(f"/archive/{item.id}/translations/{translation_id}").status_code == 404
        status, body = search_json(client, FRENCH_WORD)
        assert status == 200 and body["results"] == [] and body["total"] == 0
    restricted = client_for(cast["outsider"])
    assert titles(search_json(restricted, FRENCH_WORD)[1]) == [item.title]


def test_a_translation_keeps_the_audience_it_was_written_under_when_the_item_is_lowered(app, cast, client_for):
    item = publish(app, cast["author"], cast["reviewer"], tier="restricted")
    translation_id = _propose(app, cast["colleague"], item.id)
    _publish(app, cast["reviewer"], item.id, translation_id)
    from webapp.services.submissions import change_submission_tier
    with app.test_request_context():
        change_submission_tier(viewer_of(app, cast["author"]), item.id, tier="community", sharing_group_id=None,
                               confirm=True)
    community = client_for(cast["community"])
    community.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = community.get(f"/archive/{item.id}")
    assert page.status_code == 200  # the item is now theirs to read, in the original
    body = page.get_data(as_text=True)
    assert FRENCH_WORD not in body and FRENCH_TITLE.replace("'", "&#39;") not in body and "?lang=fr" not in body
    assert community.get(f"/archive/{item.id}/translations/{translation_id}").status_code == 404
    assert titles(search_json(community, FRENCH_WORD)[1]) == []
    assert titles(search_json(client_for(cast["outsider"]), FRENCH_WORD)[1]) == []  # not indexed with the item


def test_a_torn_off_section_of_a_translation_is_read_only_at_its_tier(app, cast, client_for):
    secret = "cryptographicfr"
    item = publish(app, cast["author"], cast["reviewer"], tier="community",
                   section_tiers={"discussion": "restricted"})
    translation_id = _propose(app, cast["colleague"], item.id, discussion=f"Discussion {secret} réservée.")
    _publish(app, cast["reviewer"], item.id, translation_id)
    community = client_for(cast["community"])
    community.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = community.get(f"/archive/{item.id}").get_data(as_text=True)
    assert FRENCH_TITLE.replace("'", "&#39;") in page and secret not in page
    assert titles(search_json(community, secret)[1]) == []
    status, found = search_json(community, FRENCH_WORD)
    assert titles(found) == [item.title] and secret not in json.dumps(found)  # nor in its snippet
    restricted = client_for(cast["outsider"])
    restricted.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert secret in restricted.get(f"/archive/{item.id}").get_data(as_text=True)
    assert titles(search_json(restricted, secret)[1]) == [item.title]


# ---------------------------------------------------------------- search stems each language in its own way


def test_search_finds_an_item_by_the_inflected_words_of_its_translations(app, cast, client_for):
    """"acceptées" (French) and "оператором" (Russian) are found by other forms of the same words, which only the
    language's own stemmer relates; a French article in the query is no required term, nor an English stop word."""
    item = publish(app, cast["author"], cast["reviewer"])
    french = _propose(app, cast["colleague"], item.id,
                      observation="Les propositions acceptées par les opérateurs étaient presque toutes fausses.")
    _publish(app, cast["reviewer"], item.id, french)
    with app.test_request_context():
        russian = propose_translation(viewer_of(app, cast["colleague"]), item.id, "ru", {
            "title": "Операторы слишком доверяли системе", "summary": "Доверие к системе распознавания.",
            "observation": "Решение принималось оператором без проверки.", "discussion": "Предвзятость автоматизации.",
            "conclusion": "Обучение не охватывало отказы.", "recommendation": "Добавить учения по отказам."}).id
    _publish(app, cast["reviewer"], item.id, russian)
    reader = client_for(cast["community"])
    for query in ("accepté", "les propositions acceptée", "операторы", "решения", "the operators accepted"):
        status, body = search_json(reader, query)
        assert status == 200 and titles(body) == [item.title], query
    assert titles(search_json(reader, "quetzalcoatlfr NOT les")[1]) == []  # NOT still excludes in every language
    assert titles(search_json(reader, "zebrafinchword")[1]) == []
