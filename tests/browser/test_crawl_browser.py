"""Every page of the demo world as every persona (issue 13, "Proof"): at 320, 390 and 1366 px no horizontal
overflow, axe 0 violations, the Nu HTML checker 0 errors, every page ≤ 50 kB compressed with its stylesheet; and a
screenshot of each page shape at 390 px under test-artefacts/screenshots/ (ignored by git) to look at.

The crawl runs once per module (a module-scoped app and server); each test judges one aspect of its result.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.browser.crawl import WIDTHS, axe_violations, crawl, gzip_size, run_vnu
from tests.browser.crawl_world import served_demo_world

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"
PAGE_BUDGET = 50 * 1024


@pytest.fixture(scope="module")
def crawled(database_url, tmp_path_factory, browser):
    """Seed the demo world, crawl it as each persona; returns (visits, the stylesheets' bytes by URL)."""
    shots = ARTEFACTS / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    pages = ARTEFACTS / "pages"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir()
    visits, shapes = [], set()
    with served_demo_world(database_url, tmp_path_factory.mktemp("crawl")) as (app, base, personas):
        for persona in personas:
            visits += crawl(browser, base, persona, pages, shots, shapes, axe_violations)
        stylesheets = {}
        client = app.test_client()
        for visit in visits:
            for href in re.findall(rb'<link rel="stylesheet" href="([^"]+)"', visit.html):
                if href not in stylesheets:
                    stylesheets[href] = client.get(href.decode()).get_data()
        (ARTEFACTS / "crawl.json").write_text(json.dumps(
            [{"persona": v.persona, "url": v.url, "shape": v.shape, "status": v.status, "widths": v.widths,
              "axe": v.axe, "file": v.saved_as.name, "gzip": gzip_size(v.html)} for v in visits], indent=1))
    return visits, stylesheets


def test_the_crawl_reaches_every_part_of_the_site_as_every_persona(crawled):
    visits, _ = crawled
    by_persona = {}
    for visit in visits:
        by_persona.setdefault(visit.persona, []).append(visit.shape)
    assert len(by_persona) == 8
    admin_shapes = set(by_persona["admin"])
    assert {"/admin/users", "/admin/audit", "/dialogue/"} <= admin_shapes, sorted(admin_shapes)
    assert len(by_persona["anonymous"]) >= 8 and len(by_persona["admin"]) >= 25
    failures = [f"{v.persona} {v.url}: {v.status}" for v in visits if v.status >= 400]
    assert not failures, "\n".join(failures)


def test_no_page_scrolls_sideways_at_any_width(crawled):
    visits, _ = crawled
    too_wide = [f"{v.persona} {v.url}: {w} px → {v.widths[w]} px" for v in visits for w in WIDTHS if v.widths[w] > w]
    assert not too_wide, "\n".join(too_wide)


def test_every_page_passes_axe_at_phone_width(crawled):
    visits, _ = crawled
    failing = [f"{v.persona} {v.url}: {problem}" for v in visits for problem in v.axe]
    assert not failing, "\n".join(failing)


def test_every_page_is_valid_html(crawled):
    """The Nu HTML checker, started once for all saved pages."""
    visits, _ = crawled
    by_file = {str(v.saved_as): v for v in visits}
    errors = run_vnu([v.saved_as for v in visits])
    report = sorted({f"{by_file[m['url'].removeprefix('file:')].shape}: {m['message']} «{m.get('extract', '')[:80]}»"
                     for m in errors})
    assert not errors, f"{len(errors)} errors on {len({m['url'] for m in errors})} pages:\n" + "\n".join(report)


def test_every_page_weighs_at_most_50_kb_compressed_with_its_stylesheet(crawled):
    visits, stylesheets = crawled
    css = sum(gzip_size(body) for body in stylesheets.values())
    assert stylesheets and css < PAGE_BUDGET / 2
    heavy = [f"{v.persona} {v.url}: {gzip_size(v.html) + css} B" for v in visits if gzip_size(v.html) + css > PAGE_BUDGET]
    assert not heavy, "\n".join(heavy)
    assert not any(b"<script" in v.html for v in visits), "a page ships JavaScript"
