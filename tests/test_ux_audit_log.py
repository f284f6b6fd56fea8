"""The audit log written for people: named sentences through the read policy, links only to what the reader may read,
reads apart from changes, filters by person, action and day (bad input → 400)."""
from __future__ import annotations

import re

from tests.test_audit_log_leaks import MARK, _plant, cast  # noqa: F401  (cast is a fixture)


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr>.*?</tr>", page.split("<tbody>", 1)[1], flags=re.S)


def test_sentences_name_the_actor_and_link_what_may_be_read(app, cast, client_for):  # noqa: F811
    planted = _plant(app, cast)
    page = client_for(cast["facilitator"]).get("/admin/audit").get_data(as_text=True)
    [row] = [r for r in _rows(page) if "<code>post.hidden</code>" in r and f"#{planted['post'].id}<" in r]
    assert ">Fenella Facilitator</a> hid" in row
    assert f'href="/dialogue/posts/{planted["post"].id}"' in row and f"{MARK} restricted thread" in row


def test_a_lower_tier_admin_reads_neither_titles_nor_links_of_higher_tiers(app, cast, client_for):  # noqa: F811
    planted = _plant(app, cast)
    page = client_for(cast["admin"]).get("/admin/audit?kind=all").get_data(as_text=True)
    assert MARK not in page
    assert f'href="/dialogue/posts/{planted["post"].id}"' not in page
    assert f'href="/archive/{planted["secret"].id}"' not in page
    [row] = [r for r in _rows(page) if "<code>post.hidden</code>" in r and f"#{planted['post'].id}<" in r]
    assert "hid a post" in row  # the kind of object, not its title
    # Chatham House: the actor stays "A participant", the round's own title is readable (community tier).
    [ch] = [r for r in _rows(page) if "<code>thread.created</code>" in r and f"#{planted['ch_thread'].id}<" in r]
    assert ch.count("A participant started the thread") == 1 and "Wilhelmina" not in ch


def test_filtering_by_person_never_reveals_a_chatham_house_actor(app, cast, client_for):  # noqa: F811
    _plant(app, cast)
    admin = client_for(cast["admin"])
    page = admin.get("/admin/audit?person=Wilhelmina&kind=all").get_data(as_text=True)
    assert "No events." in page and 'rel="next"' not in page
    # Her own acts outside the rule would be listed: Rupert created a thread in a restricted round.
    rupert = admin.get("/admin/audit?person=rupert").get_data(as_text=True)
    assert "<code>thread.created</code>" in rupert and "<code>post.hidden</code>" not in rupert


def test_reads_are_apart_from_changes(app, cast, client_for):  # noqa: F811
    planted = _plant(app, cast)
    reader = client_for(cast["facilitator"])
    reader.get(f"/dialogue/threads/{planted['ch_thread'].id}")
    admin = client_for(cast["facilitator"])
    changes = admin.get("/admin/audit").get_data(as_text=True)
    reads = admin.get("/admin/audit?kind=reads").get_data(as_text=True)
    assert ".read</code>" not in changes.split("<tbody>", 1)[1]
    assert all(".read</code>" in row for row in _rows(reads) if "No events." not in row)


def test_filter_by_action_and_day(app, cast, client_for):  # noqa: F811
    _plant(app, cast)
    admin = client_for(cast["facilitator"])
    locked = admin.get("/admin/audit?action=thread.locked").get_data(as_text=True)
    assert [r for r in _rows(locked)] and all("<code>thread.locked</code>" in r for r in _rows(locked))
    assert "<code>thread.locked</code>" in admin.get("/admin/audit?since=2000-01-01").get_data(as_text=True)
    assert "No events." in admin.get("/admin/audit?until=2000-01-01").get_data(as_text=True)


def test_bad_filters_are_400_with_a_message(cast, client_for):  # noqa: F811
    admin = client_for(cast["admin"])
    for query, message in (("since=yesterday", "YYYY-MM-DD"), ("until=2026-13-01", "YYYY-MM-DD"),
                           ("since=2026-02-02&until=2026-01-01", "first day comes after"),
                           ("kind=secrets", "changes, reads or both")):
        response = admin.get(f"/admin/audit?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True), query
    assert client_for(cast["member"]).get("/admin/audit?person=x").status_code == 403
