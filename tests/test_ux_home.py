"""Home: the newest items and open rounds a visitor may read; signed in, what waits (drafts, returned items, flags).
A lower tier sees nothing of a higher one, neither titles nor counts."""
from __future__ import annotations

from tests.archive_helpers import practice_data
from tests.dialogue_helpers import make_post, make_round, make_thread, send, viewer
from tests.search_helpers import publish
from webapp.models import Tier
from webapp.services.submission_workflow import return_submission, submit_submission
from webapp.services.submissions import create_submission


def _cast(make_org, make_user):
    org = make_org("academia", "FR", name="Sorbonne AI Lab")
    return {
        "author": make_user("restricted", org=org, name="Anna de Vries"),
        "reviewer": make_user("restricted", roles=("facilitator",), name="Rafael Reviewer"),
        "member": make_user("community", name="Maria Member"),
        "flagger": make_user("restricted", name="Frank Flagger"),
    }


def test_visitors_see_only_what_they_may_read(app, make_org, make_user, client_for):
    people = _cast(make_org, make_user)
    publish(app, people["author"], people["reviewer"], title="Public PUBL-1 lesson", tier="public")
    publish(app, people["author"], people["reviewer"], title="Restricted REST-2 lesson", tier="restricted")
    make_round(app, people["reviewer"], tier=Tier.PUBLIC, title="Public round PR-3")
    make_round(app, people["reviewer"], tier=Tier.RESTRICTED, title="Restricted round RR-4")
    anonymous = client_for(None).get("/").get_data(as_text=True)
    assert "Latest in the archive" in anonymous and "PUBL-1" in anonymous and "PR-3" in anonymous
    assert "REST-2" not in anonymous and "RR-4" not in anonymous
    member = client_for(people["member"]).get("/").get_data(as_text=True)
    assert "PUBL-1" in member and "REST-2" not in member and "RR-4" not in member
    restricted = client_for(people["flagger"]).get("/").get_data(as_text=True)
    assert "REST-2" in restricted and "RR-4" in restricted


def test_what_waits_for_a_signed_in_person(app, make_org, make_user, client_for):
    people = _cast(make_org, make_user)
    with app.test_request_context():
        create_submission(viewer(app, people["author"]), "good_practice", practice_data(title="Draft DR-5"))
        returned = create_submission(viewer(app, people["author"]), "good_practice",
                                     practice_data(title="Returned RT-6", tier="restricted"))
        submit_submission(viewer(app, people["author"]), returned.id)
        return_submission(viewer(app, people["reviewer"]), returned.id, "Add evidence.")
    author = client_for(people["author"]).get("/").get_data(as_text=True)
    assert "Your drafts" in author and "DR-5" in author and "Returned to you with comments" in author
    assert "RT-6" in author
    for other in ("member", "flagger"):
        page = client_for(people[other]).get("/").get_data(as_text=True)
        assert "DR-5" not in page and "RT-6" not in page


def test_open_flags_count_only_for_who_moderates(app, make_org, make_user, client_for):
    people = _cast(make_org, make_user)
    round_ = make_round(app, people["reviewer"], tier=Tier.RESTRICTED, title="Flag round")
    thread = make_thread(app, people["author"], round_=round_, tier=Tier.RESTRICTED)
    post = make_post(app, people["author"], thread, body="A claim")
    send(client_for(people["flagger"]), f"/dialogue/posts/{post.id}/flag", {"reason": "attack"})
    page = client_for(people["reviewer"]).get("/").get_data(as_text=True)
    assert "1 flagged post waits for moderation" in page
    other = make_user("restricted", roles=("facilitator",), name="Other Facilitator")
    for user in (other, people["member"], people["flagger"]):
        assert "flagged post" not in client_for(user).get("/").get_data(as_text=True)
