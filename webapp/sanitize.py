"""The only importer of bleach: Markdown source → safe HTML, done once, on write.

Raw HTML in Markdown is not interpreted (markdown-it `html=False`), then bleach cleans the rendered HTML with an
allowlist as a second line of defence: no event handlers, no javascript:/data: URLs, no script/style/svg/iframe/
form. External links get rel="noopener noreferrer nofollow".
"""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import bleach
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
        "a", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
MAX_SOURCE_CHARS = 100_000

_EXTERNAL_REL = "noopener noreferrer nofollow"


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def _set_rel(attrs: dict, new: bool = False) -> dict:
    href = attrs.get((None, "href"), "")
    if urlsplit(href).scheme in {"http", "https"}:
        attrs[(None, "rel")] = _EXTERNAL_REL
    else:
        attrs.pop((None, "rel"), None)
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True
)


def markdown_to_html(source: str) -> str:
    """Render Markdown to sanitized HTML (store the result in a `*_html` column)."""
    rendered = _markdown().render(source or "")
    cleaned = _cleaner.clean(rendered)
    # linkify with no new links: only runs the callback over existing <a> to set rel on external links.
    return bleach.linkify(cleaned, callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False).strip()


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def html_to_text(html: str) -> str:
    """Plain text of sanitized HTML (for summaries, feeds, search documents)."""
    text = bleach.clean(_TAG.sub(" ", html or ""), tags=set(), strip=True)
    return _SPACE.sub(" ", text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")).strip()


def markdown_to_text(source: str) -> str:
    """Plain text of a Markdown source."""
    return html_to_text(markdown_to_html(source))


def clean_plain(value: str, max_length: int) -> str:
    """Normalise a plain-text field (title, keyword): strip control characters and surrounding space, cap length."""
    value = "".join(ch for ch in (value or "") if ch in "\t\n" or ord(ch) >= 32)
    return _SPACE.sub(" ", value).strip()[:max_length]
