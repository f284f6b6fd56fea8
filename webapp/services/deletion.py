"""Deleting a submission or a post for good (issue 14): by its originator, or an administrator on a documented
request. The words go (text, revisions, search entries, notifications, quotes in syntheses); the audit row says
what kind of thing was deleted, by whom and why — never its content."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import Post, Submission
from webapp.policy import Viewer
from webapp.policy.data_rights import can_delete_on_request, can_delete_own_item
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services import content_deletion
from webapp.services.audit import record


def _reason(actor: Viewer, author_id: int | None, reason: str) -> tuple[str, str]:
    """('originator'|'administrator', reason), refusing whoever may not, and an administrator without a reason."""
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ServiceError(_l("Keep the reason under 500 characters."))
    if can_delete_own_item(actor, author_id):
        return "originator", reason
    if can_delete_on_request(actor):
        if not reason:
            raise ServiceError(_l("Say whose request this is and why (it is kept in the audit log)."))
        return "administrator", reason
    raise Forbidden(_l("Only its originator, or an administrator on a documented request, can delete this."))


def _submission(db, actor: Viewer, submission_id: int) -> Submission:
    submission = db.get(Submission, submission_id)
    if submission is None or not (policy.can_view(actor, submission) or can_delete_on_request(actor)):
        raise NotFound(_l("No such item; it may have been deleted already."))
    if not (can_delete_own_item(actor, submission.author_id) or can_delete_on_request(actor)):
        raise Forbidden(_l("Only its originator, or an administrator on a documented request, can delete this."))
    return submission


def check_may_delete_submission(actor: Viewer, submission_id: int) -> None:
    """Raise unless the actor may delete this submission (for the confirmation page)."""
    from webapp.db import session

    _submission(session(), actor, submission_id)


def delete_submission(actor: Viewer, submission_id: int, *, reason: str = "") -> None:
    """Delete a submission with everything of it; the audit row keeps only its id, kind, who and why."""
    with unit_of_work() as db:
        submission = _submission(db, actor, submission_id)
        by, why = _reason(actor, submission.author_id, reason)
        kind = submission.kind.value
        content_deletion.remove_quotes_in_syntheses(db, content_deletion.words_of_submission(submission))
        content_deletion.delete_submission_rows(db, submission)
        record(db, actor.user_id, "submission.deleted_for_good", "submission", submission_id, kind=kind, by=by,
               reason=why)


def _post(db, actor: Viewer, post_id: int) -> Post:
    post = db.get(Post, post_id)
    if post is None or not (policy.can_view(actor, post) or can_delete_on_request(actor)):
        raise NotFound(_l("No such post."))
    if post.is_deleted and not post.body_source:
        raise Conflict(_l("This post was deleted already."))
    return post


def check_may_delete_post(actor: Viewer, post_id: int) -> None:
    """Raise unless the post exists for the actor and still has words (for the confirmation page)."""
    from webapp.db import session

    _post(session(), actor, post_id)


def delete_post(actor: Viewer, post_id: int, *, reason: str = "") -> None:
    """Delete a post's words for good (the placeholder keeps the replies in place); audited without content."""
    with unit_of_work() as db:
        post = _post(db, actor, post_id)
        by, why = _reason(actor, post.author_id, reason)
        content_deletion.remove_quotes_in_syntheses(db, post.body_source)
        content_deletion.purge_post_text(db, post)
        record(db, actor.user_id, "post.deleted_for_good", "dialogue_post", post.id, thread_id=post.thread_id,
               by=by, reason=why)
