"""Reach (DESIGN.md §6): every user-facing string is marked for translation and pybabel can extract them."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.config import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
TEXT_ATTRIBUTES = re.compile(r'\b(?:title|alt|placeholder|aria-label|label)="([^"]*)"')


def test_pybabel_extracts_python_and_template_messages(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "_l",
         "-o", str(pot), "."],
        cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=120,
    )
    from babel.messages.pofile import read_po

    with pot.open("rb") as handle:
        ids = {message.id for message in read_po(handle) if message.id}
    for message in ("Sign in", "Please sign in to see this page.", "Page not found",  # templates, auth.py, errors.py
                    "Work e-mail address",  # forms
                    "Your account is waiting for verification by an administrator. Until then you can read public "
                    "material only."):
        assert message in ids, message
    assert len(ids) > 150


def _unmarked(source: str) -> list[str]:
    without_jinja = JINJA.sub(" ", source)
    problems = [value for value in TEXT_ATTRIBUTES.findall(without_jinja) if re.search(r"[^\W\d_]", value)]
    text = TAG.sub(" ", without_jinja)
    problems += [word for word in re.findall(r"[^\s<>]*[^\W\d_][^\s<>]*", text)]
    return problems


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_unmarked_text(template: Path):
    assert _unmarked(template.read_text(encoding="utf-8")) == []


def test_the_check_finds_unmarked_text():
    assert _unmarked("<p>Hello {{ _('world') }}</p>") == ["Hello"]
    assert _unmarked('<input placeholder="Search">') == ["Search"]
    assert _unmarked("<p>{{ _('Fine') }} · {{ n }} — #{{ id }}</p>") == []


def test_pages_switch_direction_for_right_to_left_languages(app, monkeypatch):
    app.config["LANGUAGES"] = ["en", "ar"]
    page = app.test_client().get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    page = app.test_client().get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
