"""The crawl in other languages (issue 13, "Proof"): Arabic (right to left) and Chinese at 390 px, as a few
personas, each page judged like the English crawl (no sideways scroll, axe, the Nu HTML checker) and for its
language: `lang` and `dir` on <html>, and no string of the catalogue left in English (the demo content, written in
English, is not judged). Fewer pages per persona than the English crawl: the page shapes are the same, what differs
is the text and the direction, and the suite shares two cores.

Screenshots of each page shape go to test-artefacts/screenshots-<language>/ (ignored by git).
"""
from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.crawl import axe_violations, crawl, run_vnu
from tests.browser.crawl_world import served_demo_world
from tests.i18n_helpers import untranslated
from webapp.db import session
from webapp.models import DialogueRound, Organisation, Submission, Thread

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"
PHONE = 390
# language → (direction, pages per persona)
LANGUAGES = {"ar": ("rtl", 16), "zh": ("ltr", 8)}
PERSONAS = ("anonymous", "community member", "facilitator", "admin")
# The demo world's own words (titles and names, written in English): content, not interface, so not judged.
DEMO_CONTENT: list[str] = []


def _demo_content(app) -> list[str]:
    """Titles of rounds, threads and items and organisation names in the demo world, longest first."""
    with app.app_context():
        db = session()
        found = {title for model in (DialogueRound, Thread, Submission) for title in db.scalars(
            select(model.title))}
        found |= set(db.scalars(select(Organisation.name)))
    return sorted((text for text in found if text), key=len, reverse=True)


@pytest.fixture(scope="module")
def crawled(database_url, tmp_path_factory, browser):
    """The demo world crawled in each language as each of PERSONAS at 390 px; returns the visits."""
    visits = []
    with served_demo_world(database_url, tmp_path_factory.mktemp("crawl-languages")) as (app, base, personas):
        DEMO_CONTENT[:] = _demo_content(app)
        for language, (_direction, max_pages) in LANGUAGES.items():
            shots, pages = ARTEFACTS / f"screenshots-{language}", ARTEFACTS / f"pages-{language}"
            for folder in (shots, pages):
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
            shapes: set[str] = set()
            for persona in personas:
                if persona.label in PERSONAS:
                    visits += crawl(browser, base, persona, pages, shots, shapes, axe_violations,
                                    language=language, widths=(PHONE,), max_pages=max_pages)
    return visits


def test_each_language_is_crawled_as_each_persona(crawled):
    reached = {(v.language, v.persona) for v in crawled}
    assert reached == {(language, persona) for language in LANGUAGES for persona in PERSONAS}
    for language, (_direction, max_pages) in LANGUAGES.items():
        admin_pages = [v for v in crawled if v.language == language and v.persona == "admin"]
        assert len(admin_pages) == max_pages, language
    failures = [f"{v.language} {v.persona} {v.url}: {v.status}" for v in crawled if v.status >= 400]
    assert not failures, "\n".join(failures)


def test_every_page_says_its_language_and_direction(crawled):
    wrong = [f"{v.language} {v.persona} {v.url}: {v.html_lang_dir}" for v in crawled
             if v.html_lang_dir != (v.language, LANGUAGES[v.language][0])]
    assert not wrong, "\n".join(wrong)


def test_no_page_scrolls_sideways_on_a_phone(crawled):
    too_wide = [f"{v.language} {v.persona} {v.url}: {v.widths[PHONE]} px" for v in crawled if v.widths[PHONE] > PHONE]
    assert not too_wide, "\n".join(too_wide)


def test_every_page_passes_axe(crawled):
    for language in LANGUAGES:
        shapes = {v.shape for v in crawled if v.language == language}
        assert shapes == {v.shape for v in crawled if v.language == language and v.axe_checked}, language
    failing = [f"{v.language} {v.persona} {v.url}: {problem}" for v in crawled for problem in v.axe]
    assert not failing, "\n".join(failing)


def test_every_page_is_valid_html(crawled):
    errors = run_vnu([v.saved_as for v in crawled])
    by_file = {str(v.saved_as): v for v in crawled}
    report = sorted({f"{by_file[m['url'].removeprefix('file:')].language} "
                     f"{by_file[m['url'].removeprefix('file:')].shape}: {m['message']}" for m in errors})
    assert not errors, f"{len(errors)} errors:\n" + "\n".join(report)


def test_no_interface_string_is_left_in_english(crawled):
    left = {}
    for visit in crawled:
        page = visit.html.decode()
        for text in DEMO_CONTENT:
            page = page.replace(html.escape(text, quote=False), " ")
        found = untranslated(page, visit.language)
        if found:
            left.setdefault(f"{visit.language} {visit.shape}", set()).update(found)
    assert not left, "\n".join(f"{page}: {sorted(strings)}" for page, strings in sorted(left.items()))
