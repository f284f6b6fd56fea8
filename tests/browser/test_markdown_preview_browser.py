"""The Markdown preview in a real browser, as an author uses it: the "Preview the text" button shows the heading,
emphasis, list and link as they will read, shows a typed <script> as text and never runs it, keeps what was typed,
saves nothing, passes axe and fits a 390 px phone; on a new lesson learnt and on a reply in a dialogue thread."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.archive_helpers import lesson_data
from tests.browser.conftest import assert_accessible
from tests.browser.test_archive_browser import sign_in
from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import viewer_of
from webapp.services.submissions import create_submission

pytestmark = pytest.mark.browser

LONG_ADDRESS = "https://example.org/reports/" + "a-very-long-path-segment-without-any-break" * 3
LONG_CODE = "decision_aid_offline_fallback_" * 6
TEXT = f"""## Findings from the drill

Operators *over-trusted* the aid.

- no fallback was practised
- the outage lasted 40 minutes

Read [the guidance](https://example.org/guidance) and {LONG_ADDRESS}

```
{LONG_CODE}
```

<script>alert(1)</script>"""


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _no_dialogs(page) -> list[str]:
    """Record every dialog (an alert the typed script would open) and dismiss it; the test asserts none came."""
    opened: list[str] = []

    def record(dialog) -> None:
        opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def _assert_rendered(page, field_label: str) -> None:
    """The preview of `field_label` shows the text as it will read, and the script only as text."""
    preview = page.locator("section.markdown-preview", has=page.get_by_role("heading", name=f"Preview: {field_label}"))
    expect(preview.get_by_role("heading", level=2, name="Findings from the drill")).to_be_visible()
    expect(preview.locator("em")).to_have_text("over-trusted")
    expect(preview.get_by_role("listitem")).to_have_text(["no fallback was practised", "the outage lasted 40 minutes"])
    expect(preview.get_by_role("link", name="the guidance")).to_have_attribute("href", "https://example.org/guidance")
    expect(preview.locator("pre")).to_contain_text(LONG_CODE)
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as the author typed it
    expect(preview.locator("script")).to_have_count(0)
    # Playwright's text matching skips <script> elements: ask the document itself (the page above has loaded)
    assert not page.evaluate("[...document.scripts].some(s => s.textContent.includes('alert(1)'))")


def _assert_fits_a_phone(page, name: str, tmp_path: Path) -> None:
    """At 390 px the page, preview included, scrolls only downwards; axe passes there too."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_load_state("load")  # measured with the stylesheet, which makes the page fit
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    shots = _shots(tmp_path)
    page.screenshot(path=str(shots / f"preview_{name}_390.png"), full_page=True)
    page.locator("section.markdown-preview").first.screenshot(path=str(shots / f"preview_{name}_390_section.png"))
    assert overflow <= 0, f"the page is {overflow} px wider than a 390 px phone"
    preview = page.locator("section.markdown-preview").first.bounding_box()
    assert preview is not None and preview["x"] >= 0 and preview["x"] + preview["width"] <= 390, preview
    assert_accessible(page)


def test_an_author_previews_a_new_lesson_and_nothing_is_saved(app, page, live_server, make_user, tmp_path):
    author = make_user(clearance="restricted", name="Mia Member")
    with app.test_request_context():
        create_submission(viewer_of(app, author), "lesson_learnt", lesson_data(title="An earlier draft"))
    dialogs = _no_dialogs(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    sign_in(page, live_server, author)
    page.get_by_role("link", name="My submissions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My submissions")
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Contribute").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contribute to the archive")
    page.get_by_role("link", name="Lesson learnt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New lesson learnt")
    page.get_by_label("Title", exact=True).fill("Fallback when the aid fails")
    page.get_by_label("Observation", exact=True).fill(TEXT)
    page.get_by_role("button", name="Preview the text").click()

    expect(page.get_by_role("heading", name="Preview: Observation")).to_be_visible()  # only the previewed form has it
    _assert_rendered(page, "Observation")
    expect(page.get_by_label("Observation", exact=True)).to_have_value(TEXT)  # nothing typed is lost
    expect(page.get_by_label("Title", exact=True)).to_have_value("Fallback when the aid fails")
    page.screenshot(path=str(_shots(tmp_path) / "preview_lesson_1280.png"), full_page=True)
    assert_accessible(page)
    _assert_fits_a_phone(page, "lesson", tmp_path)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="My submissions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My submissions")
    expect(page.locator("tbody tr")).to_have_count(1)  # the preview saved no draft
    expect(page.get_by_role("link", name="An earlier draft")).to_be_visible()
    expect(page.get_by_role("link", name="Fallback when the aid fails")).to_have_count(0)
    assert dialogs == [], dialogs


def test_a_member_previews_a_reply_in_a_thread_and_nothing_is_posted(app, page, live_server, make_org, make_user,
                                                                       tmp_path):
    company = make_org("private_sector", "DE", name="Sensor Systems GmbH")
    facilitator = make_user("restricted", roles=("facilitator",), name="Fatima Facilitator")
    member = make_user("community", org=company, name="Carl Company")
    round_ = make_round(app, facilitator, title="Human control in targeting")
    thread = make_thread(app, member, round_=round_, title="Operator training", body="How long should they train?")
    make_post(app, member, thread, body="Two weeks at least.")
    dialogs = _no_dialogs(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    sign_in(page, live_server, member)
    page.goto(f"{live_server}/dialogue/threads/{thread.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Operator training")
    posts = page.locator("ol.post-tree > li")
    expect(posts).to_have_count(2)
    page.get_by_label("Your post", exact=True).fill(TEXT)
    page.get_by_role("button", name="Preview the text").click()

    # the preview comes back on the reply page, whose heading the thread page does not have
    expect(page.get_by_role("heading", level=1)).to_have_text("Reply")
    expect(page.get_by_role("heading", name="Preview: Your post")).to_be_visible()
    _assert_rendered(page, "Your post")
    expect(page.get_by_label("Your post", exact=True)).to_have_value(TEXT)
    page.screenshot(path=str(_shots(tmp_path) / "preview_reply_1280.png"), full_page=True)
    assert_accessible(page)
    _assert_fits_a_phone(page, "reply", tmp_path)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Operator training").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operator training")
    expect(posts).to_have_count(2)  # the preview posted nothing
    expect(page.get_by_text("Findings from the drill")).to_have_count(0)
    assert dialogs == [], dialogs
