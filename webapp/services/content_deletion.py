"""Deletion that deletes (issue 14): a submission's or a post's words leave the database, the search index and
the notifications; only an audit row remains, saying that something was deleted, by whom and why.

These helpers run inside the caller's transaction and write no audit row of their own: the named service that
calls them (erasure, deletion on request) records one act for the whole.
"""
from __future__ import annotations

from sqlalchemy import delete, event, or_, select, update
from sqlalchemy.orm import Session

from webapp.models import (
    Notification,
    Post,
    PostFlag,
    PostRevision,
    ScheduledRelease,
    Submission,
    SubmissionRevision,
    TierProposal,
    submission_paragraphs,
    utcnow,
)
from webapp.db import register_after_commit
from webapp.search.outbox import enqueue

REMOVED = "[removed]"
_MAIL_LOG_PHRASES = "content_deletion_mail_log_phrases"  # session.info key: what to drop from the mail log


def _forget_notifications(db: Session, kind: str, object_id: int, phrases: list[str]) -> None:
    """The item's notifications, the mail sent or queued for them, and digests quoting it."""
    from webapp.models import OutgoingMail

    ids = list(db.scalars(select(Notification.id).where(Notification.object_kind == kind,
                                                        Notification.object_id == object_id)))
    if ids:
        db.execute(delete(OutgoingMail).where(OutgoingMail.dedup_key.in_([f"notification:{i}" for i in ids])))
    db.execute(delete(Notification).where(Notification.object_kind == kind, Notification.object_id == object_id))
    phrases = [p for p in (" ".join(phrase.split()) for phrase in phrases) if len(p) >= 8]
    if phrases:
        db.execute(delete(OutgoingMail).where(or_(*[column.contains(phrase) for phrase in phrases
                                                    for column in (OutgoingMail.subject, OutgoingMail.body)])))
        db.info.setdefault(_MAIL_LOG_PHRASES, []).extend(phrases)


def _forget_in_mail_log(app) -> None:
    """After-commit hook: drop from the development mail log the messages that quoted deleted items."""
    from webapp.db import session
    from webapp.services.erasure import scrub_mail_log_file

    phrases = session().info.pop(_MAIL_LOG_PHRASES, [])
    if phrases:
        scrub_mail_log_file(app.config.get("MAIL_OUTBOX_FILE", ""), phrases)


@event.listens_for(Session, "after_soft_rollback")
def _forget_phrases(session: Session, _previous_transaction) -> None:
    session.info.pop(_MAIL_LOG_PHRASES, None)


register_after_commit(_forget_in_mail_log)


def _excerpt(source: str) -> str:
    from webapp.sanitize import markdown_to_text

    return markdown_to_text(source or "")[:60]


def purge_post_text(db: Session, post: Post) -> None:
    """Empty a post's text and drop every revision of it; the row stays (replies hang off it) marked deleted."""
    _forget_notifications(db, "post", post.id, [_excerpt(post.body_source)])
    post.body_source, post.body_html = "", ""
    post.deleted_at = post.deleted_at or utcnow()
    post.hidden_reason = ""
    db.execute(delete(PostRevision).where(PostRevision.post_id == post.id))
    db.execute(update(PostFlag).where(PostFlag.post_id == post.id).values(reason=""))
    enqueue(db, "post", post.id)


def delete_submission_rows(db: Session, submission: Submission) -> None:
    """Remove a submission with its revisions, paragraphs, proposals, releases and notifications."""
    submission_id = submission.id
    db.execute(update(Submission).where(Submission.superseded_by_id == submission_id).values(superseded_by_id=None))
    db.execute(delete(SubmissionRevision).where(SubmissionRevision.submission_id == submission_id))
    db.execute(delete(submission_paragraphs).where(submission_paragraphs.c.submission_id == submission_id))
    db.execute(delete(TierProposal).where(TierProposal.submission_id == submission_id))
    db.execute(delete(ScheduledRelease).where(or_(ScheduledRelease.submission_id == submission_id,
                                                  ScheduledRelease.item_id == submission_id)))
    _forget_notifications(db, "submission", submission_id, [submission.title or ""])
    db.delete(submission)
    db.flush()
    enqueue(db, "submission", submission_id)


def submissions_by(db: Session, user_id: int) -> list[Submission]:
    """Every submission a person wrote (any status)."""
    return list(db.scalars(select(Submission).where(Submission.author_id == user_id)))


def posts_by(db: Session, user_id: int) -> list[Post]:
    """Every post a person wrote."""
    return list(db.scalars(select(Post).where(Post.author_id == user_id)))


def _normalised(text: str) -> str:
    return " ".join(text.split()).lower()


def _quotes_deleted(quote: str, deleted: str) -> bool:
    quote = _normalised(quote)
    return len(quote) >= 12 and quote in deleted


def _quote_texts(source: str) -> list[tuple[list[str], str]]:
    """The block quotes of a Markdown text: (their lines, their plain text)."""
    groups, group = [], []
    for line in source.split("\n") + [""]:
        if line.lstrip().startswith(">"):
            group.append(line)
        elif group:
            groups.append((group, " ".join(" ".join(l.lstrip()[1:] for l in group).split())))
            group = []
    return groups


def without_quotes_of_markdown(source: str, deleted: str) -> tuple[str, list[str]]:
    """(Markdown with every block quote of the deleted words replaced by "> [removed]", the quotes removed)."""
    removed = []
    for lines, text in _quote_texts(source):
        if _quotes_deleted(text, deleted):
            source = source.replace("\n".join(lines), f"> {REMOVED}", 1)
            removed.append(text)
    return source, removed


def _without(text: str, removed: list[str]) -> str:
    """`text` (a summary, a snapshot value) with every removed quote, even cut short, replaced."""
    for quote in removed:
        text = text.replace(quote, REMOVED)
        head = quote[:24]
        if head in text:  # cut short by a summary's length: everything from its start goes
            text = text[: text.index(head)] + REMOVED
    return text


def without_quotes_of_html(html: str, deleted: str) -> str:
    """Sanitized HTML with every <blockquote> of the deleted words replaced by one saying "[removed]"."""
    import re

    from webapp.sanitize import html_to_text

    def replace(match):
        return f"<blockquote><p>{REMOVED}</p></blockquote>" if _quotes_deleted(html_to_text(match.group(0)),
                                                                              deleted) else match.group(0)

    return re.sub(r"<blockquote>.*?</blockquote>", replace, html, flags=re.S)


def _scrub_strings(value, deleted: str, removed: list[str]):
    if isinstance(value, str):
        return _without(without_quotes_of_html(without_quotes_of_markdown(value, deleted)[0], deleted), removed)
    if isinstance(value, list):
        return [_scrub_strings(v, deleted, removed) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_strings(v, deleted, removed) for k, v in value.items()}
    return value


def remove_quotes_in_syntheses(db: Session, deleted_text: str) -> int:
    """Syntheses (of rounds, and outcome syntheses in the archive with their revisions) that quote the deleted
    words show "[removed]" in the quote's place; returns how many texts changed."""
    from webapp.models import DialogueRound, SubmissionKind
    from webapp.sanitize import markdown_to_html

    deleted = _normalised(deleted_text)
    if len(deleted) < 12:
        return 0
    changed = 0
    for round_ in db.scalars(select(DialogueRound).where(DialogueRound.synthesis_source != "")):
        source, removed = without_quotes_of_markdown(round_.synthesis_source, deleted)
        if removed:
            round_.synthesis_source, round_.synthesis_html = source, markdown_to_html(source)
            round_.synthesis_key_points = _scrub_strings(round_.synthesis_key_points, deleted, removed)
            enqueue(db, "round", round_.id)
            changed += 1
    for synthesis in db.scalars(select(Submission).where(Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS)):
        source, removed = without_quotes_of_markdown(synthesis.body_source or "", deleted)
        if removed:
            synthesis.body_source, synthesis.body_html = source, markdown_to_html(source)
            synthesis.summary = _without(synthesis.summary or "", removed)
            for revision in db.scalars(select(SubmissionRevision)
                                       .where(SubmissionRevision.submission_id == synthesis.id)):
                revision.snapshot = _scrub_strings(revision.snapshot, deleted, removed)
            enqueue(db, "submission", synthesis.id)
            changed += 1
    return changed


def words_of_submission(submission: Submission) -> str:
    """Every text of a submission, joined (what a synthesis may have quoted)."""
    parts = [submission.title or "", submission.summary or ""]
    parts += [getattr(submission, column.key) or "" for column in Submission.__table__.columns
              if column.key.endswith("_source")]
    return "\n".join(parts)
