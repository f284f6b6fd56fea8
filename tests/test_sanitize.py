"""Markdown rendering never lets active content through."""
from html.parser import HTMLParser

import pytest

from webapp.sanitize import clean_plain, markdown_to_html, markdown_to_text

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "<svg onload=alert(1)></svg>",
    "<iframe src=//evil></iframe>",
    "<form action=//evil><input></form>",
    "<style>body{display:none}</style>",
    '<a href="http://x" onclick="alert(1)">x</a>',
    "![img](http://evil/x.png)",
]


class _Elements(HTMLParser):
    """Collects the real elements and attributes of an HTML fragment (escaped text is not an element)."""

    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_is_neutralised(source):
    found = elements(markdown_to_html(source))
    assert not found.tags & {"script", "img", "svg", "iframe", "form", "input", "style"}, found.tags
    for name, value in found.attributes:
        assert not name.startswith("on"), (name, value)
        if name == "href":
            assert value.split(":")[0].lower() in {"http", "https", "mailto"} or value.startswith("/"), value


def test_markdown_features_survive():
    html = markdown_to_html("# Title\n\n**bold** and *em*, `code`\n\n- a\n- b\n\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    for tag in ("<h1>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>", "<li>a</li>", "<blockquote>", "<table>"):
        assert tag in html


def test_external_links_get_rel_and_internal_links_do_not():
    html = markdown_to_html("[out](https://example.org) and [in](/paragraphs/14)")
    assert 'href="https://example.org" rel="noopener noreferrer nofollow"' in html
    assert '<a href="/paragraphs/14">in</a>' in html


def test_plain_text_helpers():
    assert markdown_to_text("**Hello** <b>world</b>") == "Hello <b>world</b>"
    assert clean_plain("  a\x00b \n  c  ", 10) == "ab c"
    assert clean_plain("x" * 50, 10) == "x" * 10
