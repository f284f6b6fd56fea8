"""The "no untranslated string" check shared by the page tests and the browser crawl in other languages."""
from __future__ import annotations

import html
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from webapp.config import PROJECT_ROOT

TRANSLATED_LANGUAGES = sorted(path.parent.parent.name
                              for path in (PROJECT_ROOT / "webapp/translations").glob("*/LC_MESSAGES/messages.po"))


@lru_cache
def english_only_messages(language: str = "ar") -> set[str]:
    """The English strings whose translation differs from them, long enough not to be a name or an acronym."""
    with (PROJECT_ROOT / f"webapp/translations/{language}/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    found = set()
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or message.string == message.id:
            continue
        plain = re.split(r"%\(|\{", message.id)[0].strip()
        if len(plain) >= 4 and re.search(r"[a-z]", plain):
            found.add(plain)
    return found


def visible_text(page: str) -> str:
    """The page's visible text and text attributes, without quoted English (`lang="en"`), scripts or styles."""
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    page = (title.group(1) if title else "") + "\n" + page[page.find("<body"):]  # <html lang> is not quoted English
    page = re.sub(r'<(blockquote|[a-z]+)[^>]* lang="en"[^>]*>.*?</\1>', " ", page, flags=re.S)  # quoted English
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    attributes = " ".join(re.findall(r'\b(?:title|alt|placeholder|aria-label)="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]+>", "\n", page) + "\n" + attributes)


def untranslated(page: str, language: str = "ar") -> list[str]:
    """Catalogue strings left in English: a whole line, or a phrase of several words anywhere in the text."""
    text = visible_text(page)
    lines = {line.strip() for line in text.split("\n") if line.strip()}
    # The substring test first: it is cheap, and the word-boundary search only runs where the words occur at all.
    return sorted(message for message in english_only_messages(language)
                  if message in lines or (" " in message and message in text
                                          and re.search(rf"(^|\W){re.escape(message)}(\W|$)", text)))


def extracted_ids(folder: Path) -> set:
    """The msgids of a fresh extraction of the source into `folder` (so a newly marked string is known)."""
    pot = folder / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "."], cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=180)
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}
