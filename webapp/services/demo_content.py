"""`flask seed --demo`, second part: a few published archive items, so the demo's first visitor finds a living
archive. Written through the same services as the forms (revisions, audit rows, search outbox), never by hand."""
from __future__ import annotations

import json

from sqlalchemy import select

from webapp.db import session
from webapp.models import Submission, SubmissionTranslation, User
from webapp.policy import viewer_for
from webapp.services.seeding import SEEDS
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission
from webapp.services.translations import propose_translation, publish_translation


def load_demo_content() -> int:
    """Publish the demo items not there yet (matched by title); returns how many were published."""
    content = json.loads((SEEDS / "demo_content.json").read_text(encoding="utf-8"))
    db = session()

    def viewer_of(email: str):
        user = db.scalar(select(User).where(User.email == email))
        return viewer_for(user, db) if user is not None else None

    reviewer = viewer_of(content["reviewer"])
    if reviewer is None:  # the demo world (people) is loaded first
        return 0
    published = 0
    for item in content["items"]:
        author = viewer_of(item["author"])
        if author is None or db.scalar(select(Submission.id).where(Submission.title == item["title"])) is not None:
            continue
        data = {key: value for key, value in item.items() if key not in ("kind", "author")}
        created = create_submission(author, item["kind"], {"sharing_group_id": None, **data})
        submit_submission(author, created.id)
        publish_submission(reviewer, created.id)
        published += 1
    for translation in content.get("translations", []):
        _translate(db, viewer_of, reviewer, translation)
    return published


def _translate(db, viewer_of, reviewer, translation: dict) -> None:
    """Propose and publish a demo translation, unless its item has one into that language already."""
    item_id = db.scalar(select(Submission.id).where(Submission.title == translation["of"]))
    translator = viewer_of(translation["translator"])
    if item_id is None or translator is None or db.scalar(select(SubmissionTranslation.id).where(
            SubmissionTranslation.submission_id == item_id,
            SubmissionTranslation.language == translation["language"])) is not None:
        return
    data = {key: value for key, value in translation.items() if key not in ("of", "language", "translator")}
    proposed = propose_translation(translator, item_id, translation["language"], data, "demo")
    publish_translation(reviewer, item_id, proposed.id)
