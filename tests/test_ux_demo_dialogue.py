"""`flask seed --demo` also holds dialogue rounds (open, Chatham House, concluded with its synthesis) with threads,
replies and a flag, and prints each demo person's organisation and stakeholder type; a second run adds nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.test_seeds_cli import _run, emptied_app  # noqa: F401  (emptied_app is a fixture)
from webapp.db import session
from webapp.models import DialogueRound, Post, PostFlag, Submission, SubmissionKind, Thread


def test_seed_demo_holds_dialogue_and_prints_organisations(emptied_app, row_counts):  # noqa: F811
    output = _run(emptied_app, "seed", "--demo")
    assert "Demo dialogue: 3 round(s) created" in output
    assert "Anna de Vries" in output and "Ministry of Defence of the Netherlands · State · NL" in output
    assert "Stop Harm Coalition · Civil society · BR" in output
    with emptied_app.app_context():
        db = session()
        rounds = {r.title: r for r in db.scalars(select(DialogueRound))}
        assert len(rounds) == 3 and sum(r.chatham_house for r in rounds.values()) == 1
        concluded = [r for r in rounds.values() if r.concluded_at is not None]
        assert len(concluded) == 1
        synthesis = db.scalar(select(Submission).where(Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS))
        assert synthesis is not None and synthesis.round_id == concluded[0].id
        assert db.scalar(select(func.count()).select_from(Thread)) == 4
        assert db.scalar(select(func.count()).select_from(Post)) > 4  # replies too
        assert db.scalar(select(func.count()).select_from(PostFlag)) == 1
    # Visitors see the public rounds, not the restricted Chatham House one.
    index = emptied_app.test_client().get("/dialogue/").get_data(as_text=True)
    assert "Sharing responsible-AI policies across stakeholder types" in index
    assert "Human judgement in targeting support" not in index
    before = row_counts()
    again = _run(emptied_app, "seed", "--demo")
    assert "Demo dialogue: 0 round(s) created" in again and row_counts() == before
