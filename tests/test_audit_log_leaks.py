"""The admin audit log is a read path like any other (DESIGN.md §2.6, §2.7): an admin sees every row (action, time,
object), but Chatham House actors only as "a participant" unless she facilitates the round, and the details of what
she may not read as "details withheld". The rounds' moderation logs keep showing their facilitators everything."""
from __future__ import annotations

import re

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread, viewer
from tests.search_helpers import publish
from webapp.models import Tier
from webapp.services import moderation

MARK = "Quillfeather"  # planted in every restricted reason; must never reach a community-cleared admin


@pytest.fixture
def cast(make_org, make_user, make_group):
    home = make_org(name="Home Ministry")
    speaker_org = make_org(name="Quarterdeck Ministry")
    group = make_group(organisations=(home,))
    return {
        "home": home,
        "group": group,
        "author": make_user("confidential", org=home, name="Aurelio Author", groups=(group,)),
        "reviewer": make_user("confidential", roles=("facilitator",), org=home, name="Renata Reviewer", groups=(group,)),
        "facilitator": make_user("restricted", roles=("facilitator", "admin"), org=home, name="Fenella Facilitator"),
        "speaker": make_user("restricted", org=speaker_org, name="Wilhelmina Quarterdeck"),
        "member": make_user("restricted", org=home, name="Rupert Restricted"),
        "flagger": make_user("restricted", org=speaker_org, name="Bartholomew Flagg"),
        "admin": make_user("community", roles=("admin",), org=make_org(name="Admin Office"), name="Ada Admin"),
    }


def _plant(app, cast) -> dict:
    """Marked reasons in a restricted round, a confidential group item, and a Chatham House round (community tier)."""
    fac = cast["facilitator"]
    restricted = make_round(app, fac, tier=Tier.RESTRICTED, facilitators=(fac,), title="Closed-door round")
    thread = make_thread(app, cast["member"], round_=restricted, title=f"{MARK} restricted thread")
    post = make_post(app, cast["member"], thread, body=f"{MARK} restricted post")
    standalone = make_thread(app, cast["member"], title="Wandering", tier=Tier.RESTRICTED)
    secret = publish(app, cast["author"], cast["reviewer"], tier="confidential", group=cast["group"],
                     title=f"{MARK} confidential lesson")
    chatham = make_round(app, fac, chatham_house=True, facilitators=(fac,), title="Under the rule")
    ch_thread = make_thread(app, cast["speaker"], round_=chatham, title="Open questions", body="Platypus thoughts")
    ch_post = make_post(app, cast["speaker"], ch_thread, body="The platypus sensor drifted in heat.")
    with app.test_request_context():
        moderation.hide_post(viewer(app, fac), post.id, reason=f"{MARK} hide reason")
        moderation.lock_thread(viewer(app, fac), thread.id, reason=f"{MARK} lock reason")
        moderation.move_thread(viewer(app, fac), standalone.id, target_round_id=restricted.id,
                               reason=f"{MARK} move reason")
        moderation.flag_post(viewer(app, cast["flagger"]), ch_post.id, reason="Off topic")
        moderation.hide_post(viewer(app, fac), ch_post.id, reason="Chatham hide reason")
    return {"restricted": restricted, "thread": thread, "post": post, "standalone": standalone, "secret": secret,
            "chatham": chatham, "ch_thread": ch_thread, "ch_post": ch_post}


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr>.*?</tr>", page.split("<tbody>", 1)[1], flags=re.S)


def _row(page: str, action: str, object_label: str) -> str:
    [row] = [r for r in _rows(page) if f"<code>{action}</code>" in r and object_label in r]
    return row


def test_a_community_admin_reads_no_mark_and_no_chatham_house_name(app, cast, client_for):
    planted = _plant(app, cast)
    page = client_for(cast["admin"]).get("/admin/audit").get_data(as_text=True)
    for secret in (MARK, "Wilhelmina", "Quarterdeck", "Bartholomew", "Chatham hide reason"):
        assert secret not in page, secret
    assert "Fenella" not in _row(page, "post.hidden", f"dialogue_post #{planted['ch_post'].id}")
    # The rows are kept: what happened, when, to which object.
    for action, label in [
        ("post.hidden", f"dialogue_post #{planted['post'].id}"),
        ("thread.locked", f"dialogue_thread #{planted['thread'].id}"),
        ("thread.moved", f"dialogue_thread #{planted['standalone'].id}"),
        ("submission.published", f"submission #{planted['secret'].id}"),
    ]:
        row = _row(page, action, label)
        assert "details withheld" in row, row
    for action, label in [
        ("thread.created", f"dialogue_thread #{planted['ch_thread'].id}"),
        ("post.created", f"dialogue_post #{planted['ch_post'].id}"),
        ("post.flagged", f"dialogue_post #{planted['ch_post'].id}"),
        ("post.hidden", f"dialogue_post #{planted['ch_post'].id}"),
    ]:
        row = _row(page, action, label)
        assert "A participant" in row and "127.0.0.1" not in row, row
        # The round is community: she may read what was written there, but not a moderator's reasons.
        assert ("details withheld" in row) is (action == "post.hidden"), row
    # Not under the rule: who acted is administration data (the details are not).
    assert "Aurelio Author" in _row(page, "submission.created", f"submission #{planted['secret'].id}")
    assert "Rupert Restricted" in _row(page, "thread.created", f"dialogue_thread #{planted['thread'].id}")


def test_the_rounds_facilitator_sees_names_and_reasons(app, cast, client_for):
    planted = _plant(app, cast)
    client = client_for(cast["facilitator"])  # facilitates both rounds, restricted clearance, and is an admin
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Wilhelmina Quarterdeck" in _row(page, "post.created", f"dialogue_post #{planted['ch_post'].id}")
    assert "Bartholomew Flagg" in _row(page, "post.flagged", f"dialogue_post #{planted['ch_post'].id}")
    assert f"{MARK} hide reason" in _row(page, "post.hidden", f"dialogue_post #{planted['post'].id}")
    assert f"{MARK} move reason" in _row(page, "thread.moved", f"dialogue_thread #{planted['standalone'].id}")
    # She is not in the confidential group: that item's details stay withheld even for her.
    assert "details withheld" in _row(page, "submission.published", f"submission #{planted['secret'].id}")
    log = client.get(f"/moderation/rounds/{planted['chatham'].id}/log").get_data(as_text=True)
    assert "Fenella Facilitator" in log and "Chatham hide reason" in log
    log = client.get(f"/moderation/rounds/{planted['restricted'].id}/log").get_data(as_text=True)
    assert f"{MARK} hide reason" in log and f"{MARK} move reason" in log


def test_an_admin_who_is_the_actor_sees_her_own_name(app, cast, client_for, make_user):
    chatham = make_round(app, cast["facilitator"], chatham_house=True, facilitators=(cast["facilitator"],))
    participant_admin = make_user("community", roles=("admin",), name="Petronella Participant")
    thread = make_thread(app, participant_admin, round_=chatham)
    page = client_for(participant_admin).get("/admin/audit").get_data(as_text=True)
    assert "Petronella Participant" in _row(page, "thread.created", f"dialogue_thread #{thread.id}")
    other = client_for(cast["admin"]).get("/admin/audit").get_data(as_text=True)
    assert "Petronella" not in _row(other, "thread.created", f"dialogue_thread #{thread.id}")


def test_the_page_resolves_objects_in_batch(app, cast, client_for, query_counter):
    def queries_for_page() -> int:
        client = client_for(cast["admin"])
        client.get("/admin/audit")  # warm up (session, templates)
        query_counter.reset()
        assert client.get("/admin/audit").status_code == 200
        return query_counter.value

    _plant(app, cast)
    few = queries_for_page()
    _plant(app, cast)
    _plant(app, cast)
    assert queries_for_page() == few


def test_rows_about_unknown_or_missing_objects_are_withheld(app, cast, client_for):
    from webapp.db import unit_of_work
    from webapp.services.audit import record

    with app.test_request_context(), unit_of_work() as db:
        record(db, cast["speaker"].id, "post.created", "dialogue_post", 999_999, thread_id=1)
        record(db, cast["speaker"].id, "mystery.happened", "mystery", 1, secret=MARK)
        record(db, cast["speaker"].id, "thread.moved", "dialogue_thread", None, round_id=888_888)
    page = client_for(cast["admin"]).get("/admin/audit").get_data(as_text=True)
    assert MARK not in page and "Wilhelmina" not in page
    planted = [row for row in _rows(page) if re.search(r"<code>(post.created|mystery.happened|thread.moved)</code>", row)]
    assert len(planted) == 3 and all("details withheld" in row and "A participant" in row for row in planted)


def test_policy_withholds_everything_from_non_admins(app, cast):
    from webapp.db import session
    from webapp.models import AuditEvent
    from webapp.policy.audit import WITHHELD, audit_row_access

    with app.test_request_context():
        event = session().query(AuditEvent).first() or AuditEvent(action="x", object_type="user", details={})
        assert audit_row_access(viewer(app, cast["reviewer"]), event, None, {}) == WITHHELD
