"""Navigation: at most one current entry, and counts where something waits — only what the viewer may see."""
from __future__ import annotations

import re

from tests.archive_helpers import practice_data
from tests.dialogue_helpers import make_post, make_round, make_thread, send, viewer
from webapp.models import Tier
from webapp.services.submission_workflow import submit_submission
from webapp.services.submissions import create_submission


def _nav(body: str) -> str:
    return re.search(r'<nav class="wrap main-nav".*?</nav>', body, re.S).group(0)


def test_one_current_entry_on_the_review_queue(make_user, client_for):
    reviewer = client_for(make_user("restricted", roles=("facilitator",)))
    nav = _nav(reviewer.get("/archive/review").get_data(as_text=True))
    assert nav.count("aria-current") == 1 and re.search(r'href="/archive/review" aria-current="page"', nav)
    nav = _nav(reviewer.get("/archive/").get_data(as_text=True))
    assert nav.count("aria-current") == 1 and 'href="/archive/" aria-current="page"' in nav


def test_counts_for_review_and_flags_follow_the_tiers(app, make_user, client_for):
    author = make_user("restricted", name="Anna Author")
    reviewer = make_user("restricted", roles=("facilitator",))
    low_reviewer = make_user("community", roles=("facilitator",))
    with app.test_request_context():
        item = create_submission(viewer(app, author), "good_practice", practice_data(tier="restricted"))
        submit_submission(viewer(app, author), item.id)
    round_ = make_round(app, reviewer, tier=Tier.RESTRICTED)
    thread = make_thread(app, author, round_=round_, tier=Tier.RESTRICTED)
    post = make_post(app, author, thread)
    send(client_for(make_user("restricted")), f"/dialogue/posts/{post.id}/flag", {"reason": "attack"})
    nav = _nav(client_for(reviewer).get("/about").get_data(as_text=True))
    assert re.search(r'Review <span class="nav-count">1<span class="visually-hidden"> waiting', nav)
    assert re.search(r'Moderation <span class="nav-count">1<span', nav)
    low = _nav(client_for(low_reviewer).get("/about").get_data(as_text=True))
    assert "nav-count" not in low  # the restricted item and the restricted round's flag are not hers to count
