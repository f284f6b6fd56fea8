"""Audit sentences are markup built with Markup % (webapp/audit_phrases.py): a person's display name and an object's
title are text, escaped wherever a sentence is shown (the admin audit log is the one page that renders them)."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from markupsafe import escape

from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import publish
from webapp.policy.audit import SHOWN, WITHHELD

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def _dangerous(page: str) -> list[str]:
    """Markup an injected name or title would have produced, had it not been escaped."""
    return re.findall(r"<script>alert|<img src=x|onerror=alert\(1\)>", page)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_names_and_titles_are_escaped_in_the_audit_log(app, make_org, make_user, client_for, payload):
    org = make_org()
    author = make_user("community", org=org, name=f"Author {payload}")
    reviewer = make_user("community", roles=("facilitator", "admin"), org=org, name=f"Reviewer {payload}")
    item = publish(app, author, reviewer, tier="community", title=f"Lesson {payload}")
    round_ = make_round(app, reviewer, facilitators=(reviewer,), title=f"Round {payload}")
    thread = make_thread(app, author, round_=round_, title=f"Thread {payload}", body="A first post.")
    make_post(app, author, thread, body="A reply.")
    client = client_for(reviewer)
    for kind in ("changes", "all"):
        page = client.get("/admin/audit", query_string={"kind": kind}).get_data(as_text=True)
        assert _dangerous(page) == [], kind
        # The sentences name the people and the objects, as text.
        assert f">Author {escape(payload)}</a> started the draft <a href=\"/archive/{item.id}\">" \
               f"Lesson {escape(payload)}</a>" in page
        assert f">Reviewer {escape(payload)}</a> published" in page
        assert f"created the round <a href=\"/dialogue/rounds/{round_.id}\">Round {escape(payload)}</a>" in page
        assert f"a post in “Thread {escape(payload)}”" in page  # the label of a post, built with _()
    # The person filter echoes what was asked, escaped too.
    page = client.get("/admin/audit", query_string={"person": payload}).get_data(as_text=True)
    assert _dangerous(page) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sentence_escapes_every_piece(app, payload):
    from webapp.audit_phrases import sentence

    actor = SimpleNamespace(id=7, name=payload)
    with app.test_request_context():
        for action in ("submission.edited", "mystery.happened"):  # a phrase, and the fallback for unknown codes
            event = SimpleNamespace(actor=actor, action=action, object_type="submission")
            for access, url in ((SHOWN, "/archive/1"), (SHOWN, None), (WITHHELD, None)):
                text = str(sentence(SimpleNamespace(event=event, access=access, object_label=payload,
                                                    object_url=url)))
                assert _dangerous(text) == [], (action, access, url)
                assert str(escape(payload)) in text
        forged = SimpleNamespace(actor=actor, action=payload, object_type="x")  # an action code is text as well
        text = str(sentence(SimpleNamespace(event=forged, access=SHOWN, object_label="", object_url=None)))
        assert _dangerous(text) == [] and str(escape(payload)) in text
