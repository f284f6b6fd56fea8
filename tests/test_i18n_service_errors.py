"""Refusals raised by services reach the reader in their language: each is a marked msgid, and none stays English.

Two checks per sample refusal, each triggered through a real request:
- in English, the page shows the refusal, and its msgid is in a fresh `pybabel extract` (so it is marked, and the
  lead's `make translations` hands it to the translators) — this passes as soon as the string is marked;
- in French and Arabic, the page shows no English text of the refusal — this passes once the catalogues hold the
  translations (until then it fails for the strings that are not translated yet, like the catalogue test).
"""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from tests.archive_helpers import lesson_data, practice_data
from tests.i18n_helpers import extracted_ids
from webapp.db import session
from webapp.models import Submission

# (name, form overrides of a new lesson, msgid, its placeholders as the English page shows them)
LESSON_FORM_REFUSALS = [
    ("paragraph", {"paragraphs": [26]},
     "The Call to Action has paragraphs 1 to 25; there is no paragraph %(n)d.", {"n": 26}),
    ("clearance", {"tier": "confidential"},
     "You cannot use the tier %(tier)s (%(tlp)s): it is above your clearance (%(clearance)s).",
     {"tier": "confidential", "tlp": "TLP:RED", "clearance": "restricted"}),
    ("group", {"sharing_group_id": "999"}, "You can only limit an item to a sharing group you belong to.", {}),
]
ENGLISH_PAGE_ONLY = {"tier", "tlp", "clearance", "n"}  # codes and numbers, the same in every language


@pytest.fixture(scope="module")
def marked_ids(tmp_path_factory) -> set:
    """The msgids of a fresh extraction of the source."""
    return extracted_ids(tmp_path_factory.mktemp("pot"))


@pytest.fixture
def author(app, make_user, make_org, client_for, form_token):
    """A restricted-cleared author, signed in, with the CSRF token of the new-item form."""
    person = make_user(clearance="restricted", org=make_org(stakeholder_type="academia", country="FR"))
    client = client_for(person)
    return client, form_token(client, "/archive/new")


def _lesson_refusal(author, override: dict, language: str):
    client, token = author
    data = {k: ("" if v is None else v) for k, v in lesson_data(**override).items() if k != "paragraphs"}
    data["paragraphs"] = [str(n) for n in lesson_data(**override).get("paragraphs", [])]
    response = client.post("/archive/new/lesson_learnt", data={**data, "csrf_token": token},
                           headers={"Accept-Language": language})
    assert response.status_code == 400
    return response.get_data(as_text=True)


def _second_submit(app, author, language: str):
    """Submitting an item that is already under review: a 409 naming its status in words."""
    client, token = author
    client.post("/archive/new/good_practice", data={
        **{k: v for k, v in practice_data().items() if k != "paragraphs"},
        "paragraphs": [str(n) for n in practice_data()["paragraphs"]], "csrf_token": token})
    with app.app_context():
        item_id = session().scalars(select(Submission.id).order_by(Submission.id.desc())).first()
    client.post(f"/archive/{item_id}/submit", data={"csrf_token": token})
    response = client.post(f"/archive/{item_id}/submit", data={"csrf_token": token},
                           headers={"Accept-Language": language})
    assert response.status_code == 409
    return response.get_data(as_text=True)


SECOND_SUBMIT = ("This submission is %(status)s; only a submission that is %(allowed)s can be %(done)s.",
                 {"status": "submitted", "allowed": "draft or returned", "done": "submitted"})
BROWSE_COUNTRY = "A country is given as a two-letter ISO code."


def _shown(page: str, msgid: str, values: dict) -> bool:
    return html.escape(msgid % values if values else msgid) in page or (msgid % values if values else msgid) in page


@pytest.mark.parametrize(("name", "override", "msgid", "values"), LESSON_FORM_REFUSALS, ids=[r[0] for r in LESSON_FORM_REFUSALS])
def test_a_form_refusal_is_shown_and_marked_for_translation(author, marked_ids, name, override, msgid, values):
    page = _lesson_refusal(author, override, "en")
    assert _shown(page, msgid, values), name
    assert msgid in marked_ids, name


def test_a_workflow_refusal_and_a_browse_refusal_are_shown_and_marked(app, author, client, marked_ids):
    msgid, values = SECOND_SUBMIT
    assert _shown(_second_submit(app, author, "en"), msgid, values)
    assert {msgid, "draft", "returned", "submitted"} <= marked_ids
    page = client.get("/archive/?country=XYZ", headers={"Accept-Language": "en"})
    assert page.status_code == 400 and _shown(page.get_data(as_text=True), BROWSE_COUNTRY, {})
    assert BROWSE_COUNTRY in marked_ids


def _english_words(msgid: str) -> list[str]:
    """The runs of English words of a msgid between its placeholders (the parts a translation replaces)."""
    import re

    parts = re.split(r"%\([a-z_]+\)[sd]", msgid)
    return [part.strip(" .;:()") for part in parts if len(part.strip(" .;:()")) >= 12]


@pytest.mark.parametrize("language", ["fr", "ar"])
@pytest.mark.parametrize(("name", "override", "msgid", "values"), LESSON_FORM_REFUSALS, ids=[r[0] for r in LESSON_FORM_REFUSALS])
def test_a_form_refusal_reaches_the_reader_in_their_language(author, language, name, override, msgid, values):
    """Passes once the lead has translated the new msgids into the catalogues."""
    page = _lesson_refusal(author, override, language)
    assert f'<html lang="{language}"' in page
    left = [words for words in _english_words(msgid) if html.escape(words) in page or words in page]
    assert left == [], (language, name, left)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_workflow_and_browse_refusals_reach_the_reader_in_their_language(app, author, client, language):
    """Passes once the lead has translated the new msgids into the catalogues."""
    page = _second_submit(app, author, language)
    assert "only a submission that is" not in page and "draft or returned" not in page, language
    page = client.get("/archive/?country=XYZ", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f'<html lang="{language}"' in page and BROWSE_COUNTRY not in page, language


def test_the_check_sees_an_english_refusal(author):
    """The language test can fail: asked in English, the words it looks for are there."""
    _name, override, msgid, _values = LESSON_FORM_REFUSALS[1]
    page = _lesson_refusal(author, override, "en")
    assert [words for words in _english_words(msgid) if words in page]
