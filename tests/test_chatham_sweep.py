"""Chatham House, everywhere (issue 11 §5): the audit log, moderation log and queue, admin pages, exports, search
and notifications name the author of a post in a Chatham House round only to that round's facilitators — everyone
else, admins included, sees "a participant". One sweep over the viewer matrix and every page that could tell."""
from __future__ import annotations

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, viewer
from webapp.models import Tier

NAMES = ("Carl Company", "Sensor Systems GmbH")


@pytest.fixture
def sweep(app, make_org, make_user):
    from webapp.services import dialogue_rounds, moderation

    world = make_world(make_org, make_user)
    world.admin_facilitator = make_user("community", roles=("admin", "facilitator"), org=world.state_org,
                                        name="Alma Adminfac")
    world.admin_elsewhere = make_user("community", roles=("admin", "facilitator"), org=world.university,
                                      name="Elmer Elsewhere")
    make_round(app, world.admin_elsewhere, title="Their own round")
    make_round(app, world.other_facilitator, title="Another round")
    round_ = make_round(app, world.facilitator, tier=Tier.PUBLIC, chatham_house=True, title="Closed-door round",
                        facilitators=[world.admin_facilitator])
    thread = make_thread(app, world.company_member, round_=round_, title="Industry view", body="Opening SWEEP-1")
    post = make_post(app, world.company_member, thread, body="Frank statement SWEEP-2")
    with app.test_request_context():
        moderation.flag_post(viewer(app, world.member), post.id, reason="too frank")
        moderation.hide_post(viewer(app, world.facilitator), post.id, reason="cooling down")
        dialogue_rounds.close_round(viewer(app, world.facilitator), round_.id)
        dialogue_rounds.conclude_round(viewer(app, world.facilitator), round_.id, synthesis_source="We heard.",
                                       key_points={}, paragraphs=[16])
    with app.test_request_context():
        from webapp.db import session
        from webapp.queries_archive.detail import round_synthesis_id

        synthesis_id = round_synthesis_id(session(), viewer(app, world.facilitator), round_.id)
    return world, round_, thread, post, synthesis_id


def _viewers(world):
    return {"anonymous": None, "member": world.member, "admin": world.admin, "admin_elsewhere": world.admin_elsewhere,
            "other_facilitator": world.other_facilitator, "facilitator": world.facilitator,
            "admin_facilitator": world.admin_facilitator}


def test_only_the_rounds_facilitators_ever_read_the_authors_name(app, sweep, client_for):
    world, round_, thread, post, synthesis_id = sweep
    assert synthesis_id
    pages = ["/admin/audit", "/admin/audit?action=post", "/admin/audit?action=thread",
             f"/moderation/rounds/{round_.id}/log", "/moderation/", "/moderation/standalone/log",
             f"/dialogue/rounds/{round_.id}", f"/dialogue/threads/{thread.id}", f"/dialogue/posts/{post.id}",
             "/search?q=SWEEP", "/api/search?q=SWEEP", "/notifications/",
             f"/archive/{synthesis_id}", f"/archive/{synthesis_id}.md", f"/archive/{synthesis_id}.json",
             f"/archive/{synthesis_id}/citation", "/archive/feed.atom"]
    for name, user in _viewers(world).items():
        client = client_for(user)
        for path in pages:
            body = client.get(path, follow_redirects=True).get_data(as_text=True)
            for secret in NAMES:
                assert secret not in body or name in ("facilitator", "admin_facilitator"), (name, path, secret)
    # Admin pages list organisations and people (administration data), never what they wrote under the rule.
    for path in ("/admin/", "/admin/users", f"/admin/users/{world.company_member.id}", "/admin/mail"):
        body = client_for(world.admin).get(path).get_data(as_text=True)
        assert "SWEEP" not in body and "Industry view" not in body and "Closed-door round" not in body, path
    # The round's facilitators do read the name where the page is about the post; admins alone read "a participant".
    rows = client_for(world.admin_facilitator).get("/admin/audit?action=post").get_data(as_text=True)
    assert "Carl Company" in rows
    rows = client_for(world.admin).get("/admin/audit?action=post").get_data(as_text=True)
    assert "A participant" in rows and "SWEEP" not in rows
    assert "Carl Company" in client_for(world.facilitator).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
