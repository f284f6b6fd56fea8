"""Every catalogue in webapp/translations/ is complete for the current source and keeps its placeholders."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.i18n_helpers import extracted_ids
from webapp.config import PROJECT_ROOT
from webapp.locale_names import CALL_TITLES

TRANSLATIONS = PROJECT_ROOT / "webapp" / "translations"
LANGUAGE_DIRECTORIES = sorted(path.parent.parent for path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
# %(name)s / %(count)d (with their conversion), {name}, and Markdown or HTML that must survive translation.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdif]|%[sdif]|\{[a-z_]*\}")
MARKUP = re.compile(r"</?[a-zA-Z][^>]*>|\*\*|https?://|@\[")


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory) -> set:
    """The msgids of a fresh extraction (so a catalogue that misses a newly marked string fails)."""
    return extracted_ids(tmp_path_factory.mktemp("pot"))


def _catalogue(directory: Path):
    with (directory / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=directory.name)


def _forms(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def test_every_offered_language_but_english_has_a_catalogue():
    from webapp.config import DEFAULT_LANGUAGES

    assert set(DEFAULT_LANGUAGES) == {"ar", "zh", "en", "fr", "ru", "es"}
    assert "ar" in {directory.name for directory in LANGUAGE_DIRECTORIES}


@pytest.mark.parametrize("directory", LANGUAGE_DIRECTORIES, ids=lambda d: d.name)
def test_catalogue_is_complete_and_keeps_placeholders(directory: Path, source_ids: set):
    catalogue = _catalogue(directory)
    messages = {message.id: message for message in catalogue if message.id}
    problems = [f"missing: {msgid!r}" for msgid in sorted(source_ids - messages.keys(), key=str)]
    for msgid, message in messages.items():
        if msgid not in source_ids:
            continue  # obsolete entries are harmless; `make translations` drops them
        forms = _forms(message.string)
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        if not all(form.strip() for form in forms):
            problems.append(f"empty: {msgid!r}")
            continue
        if isinstance(msgid, tuple) and len(forms) != catalogue.num_plurals:
            problems.append(f"{len(forms)} plural forms, not {catalogue.num_plurals}: {msgid!r}")
        expected = sorted(set().union(*(PLACEHOLDER.findall(part) for part in _forms(msgid))))
        expected_markup = sorted(MARKUP.findall(_forms(msgid)[0]))
        for form in forms:
            if sorted(set(PLACEHOLDER.findall(form))) != expected:
                problems.append(f"placeholders {PLACEHOLDER.findall(form)} != {expected}: {msgid!r}")
            if sorted(MARKUP.findall(form)) != expected_markup:
                problems.append(f"markup {MARKUP.findall(form)} != {expected_markup}: {msgid!r}")
    assert problems == []


@pytest.mark.parametrize("directory", LANGUAGE_DIRECTORIES, ids=lambda d: d.name)
def test_catalogue_keeps_tlp_labels_as_first_defines_them(directory: Path):
    for message in _catalogue(directory):
        for label in re.findall(r"TLP:[A-Z]+", str(message.id)):
            assert all(label in form for form in _forms(message.string)), (message.id, message.string)


@pytest.mark.parametrize("directory", LANGUAGE_DIRECTORIES, ids=lambda d: d.name)
def test_catalogue_has_a_glossary(directory: Path):
    assert (directory / "GLOSSARY.md").is_file()


def test_call_titles_are_the_seeded_titles():
    import json

    seeded = json.loads((PROJECT_ROOT / "seeds" / "call_paragraphs.json").read_text(encoding="utf-8"))["paragraphs"]
    assert [row["title"] for row in seeded] == [title._args[0] for title in CALL_TITLES]


def test_the_check_finds_broken_placeholders():
    assert PLACEHOLDER.findall("%(name)s has %(count)d {link}") == ["%(name)s", "%(count)d", "{link}"]
    assert MARKUP.findall("Markdown: **bold**, https://x") == ["**", "**", "https://"]
