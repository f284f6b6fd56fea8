"""`flask seed --demo`, third part: dialogue rounds, so Dialogue and Moderation do not start empty — one open round,
one under the Chatham House rule, one concluded with its outcome synthesis — with threads, replies and one flag.
Written through the same services as the pages (audit rows, search outbox, notifications), never by hand."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from webapp.db import session
from webapp.models import DialogueRound, Post, Tier, User, utcnow
from webapp.policy import viewer_for
from webapp.services import dialogue_posts, dialogue_rounds, moderation
from webapp.services.seeding import SEEDS

FACILITATOR = "anna.devries@mod.example.nl"

ROUNDS = [
    {
        "title": "Testing and evaluating AI-enabled decision support",
        "questions": "1. What did your last test and evaluation campaign find that earlier tests missed?\n"
                     "2. How do you test a system that keeps learning after fielding?",
        "paragraphs": [16, 23], "tier": Tier.COMMUNITY, "chatham_house": False, "state": "open",
        "threads": [
            ("priya.raman@meridian.example.com", "Red-teaming before every software release",
             "We red-team every release with operators, not only developers. The operators found the failure modes "
             "that mattered.",
             [("s.jansen@hcss.example.nl", "Did the red team have access to the training data, or only the model?"),
              ("priya.raman@meridian.example.com", "Only the model and its documentation, on purpose.")]),
            ("d.fuentes@uchile.example.cl", "Small states and shared test ranges",
             "Few states can afford their own test ranges. Could endorsers share ranges and test protocols?",
             [("w.kamau@mod.example.ke", "We would take part in a regional arrangement.")]),
        ],
        "flag": ("ana.souza@stopharm.example.org", 1, "Off topic: this is about procurement, not testing."),
    },
    {
        "title": "Human judgement in targeting support (Chatham House rule)",
        "questions": "1. Where did operators over-trust a recommendation?\n2. What training changed that?",
        "paragraphs": [6, 16], "tier": Tier.RESTRICTED, "chatham_house": True, "state": "open",
        "threads": [
            ("minjun.park@mnd.example.kr", "Operators over-trusted a confidence score",
             "In one exercise operators accepted every recommendation above a confidence threshold without checking "
             "the sources behind it.",
             [("jonas.weber@aurora.example.de", "We now show the sources first and the score second."),
              ("w.kamau@mod.example.ke", "Training with deliberately wrong recommendations helped us most.")]),
        ],
        "flag": None,
    },
    {
        "title": "Sharing responsible-AI policies across stakeholder types",
        "questions": "1. What made your policy usable by other organisations?\n2. What should a shared template hold?",
        "paragraphs": [14, 16], "tier": Tier.PUBLIC, "chatham_house": False, "state": "concluded",
        "threads": [
            ("lea.martin@unidir.example.org", "A common template for policy summaries",
             "A one-page summary with scope, lifecycle stages covered and review dates would make policies comparable.",
             [("ana.souza@stopharm.example.org", "Add who is accountable, by role, and how to complain.")]),
        ],
        "flag": None,
        "synthesis": "Participants agreed that published policies are most useful when summarised on one page: scope, "
                     "lifecycle stages covered, accountable roles and review dates.\n\n"
                     "- A shared template is wanted by every stakeholder type.\n"
                     "- Civil society asked that complaint routes be part of it.",
        "key_points": {"state": "Summaries must not reveal classified annexes.",
                       "civil_society": "Complaint routes belong in every summary."},
    },
]


def load_demo_dialogue() -> int:
    """Create the demo rounds that are not there yet (matched by title); returns how many were created."""
    db = session()

    def viewer_of(email: str):
        user = db.scalar(select(User).where(User.email == email))
        return viewer_for(user, db) if user is not None else None

    facilitator = viewer_of(FACILITATOR)
    if facilitator is None:  # the demo world (people) is loaded first
        return 0
    created = 0
    now = utcnow()
    for spec in ROUNDS:
        if db.scalar(select(DialogueRound.id).where(DialogueRound.title == spec["title"])) is not None:
            continue
        round_ = dialogue_rounds.create_round(
            facilitator, title=spec["title"], questions_source=spec["questions"], paragraphs=spec["paragraphs"],
            tier=spec["tier"], sharing_group_id=None, opens_at=now - timedelta(days=2),
            closes_at=now + timedelta(days=12), chatham_house=spec["chatham_house"], invited_types=(),
            invited_organisation_ids=(), facilitator_ids=[],
        )
        first_posts = []
        for author_email, title, body, replies in spec["threads"]:
            author = viewer_of(author_email)
            if author is None:
                continue
            thread = dialogue_posts.create_thread(author, title=title, body_source=body, round_id=round_.id)
            first_posts.append(db.scalar(select(Post.id).where(Post.thread_id == thread.id).order_by(Post.id).limit(1)))
            parent_id = None
            for reply_email, reply_body in replies:
                replier = viewer_of(reply_email)
                if replier is not None:
                    parent_id = dialogue_posts.create_post(replier, thread.id, body_source=reply_body,
                                                           parent_id=parent_id).id
        if spec["flag"] and len(first_posts) > spec["flag"][1] and first_posts[spec["flag"][1]]:
            flagger = viewer_of(spec["flag"][0])
            if flagger is not None:
                moderation.flag_post(flagger, first_posts[spec["flag"][1]], reason=spec["flag"][2])
        if spec["state"] == "concluded":
            dialogue_rounds.close_round(facilitator, round_.id)
            dialogue_rounds.conclude_round(facilitator, round_.id, synthesis_source=spec["synthesis"],
                                           key_points=spec["key_points"], paragraphs=spec["paragraphs"])
        created += 1
    return created


def personas() -> list[tuple[str, str, str, str, str]]:
    """Each demo person's (name, e-mail, organisation, stakeholder type, country), for the seed command to print."""
    world = json.loads((SEEDS / "demo_world.json").read_text(encoding="utf-8"))
    emails = [row["email"] for row in world["users"]]
    users = session().scalars(select(User).where(User.email.in_(emails)).order_by(User.name))
    return [(user.name, user.email, user.organisation.name, user.organisation.stakeholder_type.label,
             user.organisation.country) for user in users]
