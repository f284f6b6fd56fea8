"""Erasure requests (issue 14): an erased person asked that their contributions be deleted; their organisation
answers. Until it does, and if it declines, the contributions stay credited to "a former member of ORGANISATION".
Who answers is policy/data_rights.py: a focal point of that organisation, or an administrator recording the
organisation's written agreement (the note says where). Opening, agreeing and declining are audited; the focal
points (or, when the organisation has none, the administrators) are told of a new request, the administrators of
the answer."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import ErasureRequest, Submission, User, utcnow
from webapp.models.erasure_request import AGREED, DECLINED, PENDING
from webapp.policy import Viewer
from webapp.policy.data_rights import can_decide_erasure_request, can_see_erasure_requests
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services.notification_events import active_admins
from webapp.services.notifications import notify_users, register_target

register_target(
    "erasure_request", ErasureRequest,
    title=lambda r: str(_l("Contributions of %(reference)s", reference=r.person.erased_ref or "")),
    endpoint="data_rights.erasure_request", url_args=lambda r: {"request_id": r.id},
)


def open_request(db: Session, actor: Viewer, person: User, *, reason: str = "") -> ErasureRequest:
    """Inside the erasure's transaction (the person is already a tombstone): ask their organisation."""
    from webapp.services.organisations import focal_points

    request = ErasureRequest(user_id=person.id, organisation_id=person.organisation_id, asked_by_id=actor.user_id,
                             asked_at=utcnow(), reason=reason[:2000], state=PENDING, note="")
    db.add(request)
    db.flush()
    request.person = person
    record(db, actor.user_id, "erasure_request.opened", "erasure_request", request.id,
           reference=person.erased_ref, organisation_id=person.organisation_id)
    answering = [fp for fp in focal_points(db, person.organisation_id) if fp.id != person.id] or active_admins(db)
    notify_users(db, answering, "erasure_request", request, actor_id=actor.user_id)
    return request


def requests_for(db: Session, viewer: Viewer) -> list[ErasureRequest]:
    """The requests the viewer answers for, newest first: their organisation's (focal points), all (admins)."""
    if not can_see_erasure_requests(viewer):
        raise Forbidden(_l("Only focal points and administrators answer erasure requests."))
    stmt = select(ErasureRequest).order_by(ErasureRequest.state != PENDING, ErasureRequest.asked_at.desc())
    return list(db.scalars(policy.visible(stmt, viewer, ErasureRequest)))


def load(db: Session, viewer: Viewer, request_id: int) -> ErasureRequest:
    """One request, if the viewer answers for its organisation; otherwise the missing-id 404."""
    request = db.get(ErasureRequest, request_id)
    if request is None or not policy.can_view(viewer, request):
        raise NotFound(_l("No such request."))
    return request


def readable_contributions(db: Session, viewer: Viewer, request: ErasureRequest) -> list[Submission]:
    """What the answering person may read of the contributions in question (the rest they are not shown)."""
    stmt = select(Submission).where(Submission.author_id == request.user_id).order_by(Submission.id)
    return list(db.scalars(policy.visible(stmt, viewer, Submission)))


def decide(actor: Viewer, request_id: int, *, agree: bool, note: str = "") -> ErasureRequest:
    """The organisation's answer: agreeing deletes the contributions now; declining keeps them credited."""
    from webapp.services.erasure import delete_contributions_of

    note = (note or "").strip()
    if len(note) > 500:
        raise ServiceError(_l("Keep the note under 500 characters."))
    with unit_of_work() as db:
        request = load(db, actor, request_id)
        if not can_decide_erasure_request(actor, request):  # the read rule is the same: kept for clarity
            raise NotFound(_l("No such request."))
        if request.state != PENDING:
            raise Conflict(_l("This request was answered already."))
        by_focal_point = policy.organisations.is_focal_point_of(actor, request.organisation_id)
        if not by_focal_point and not note:
            raise ServiceError(_l("Say where the organisation gave its answer (letter, e-mail, reference): an "
                                  "administrator records the organisation's answer, it does not give it."))
        counts = delete_contributions_of(db, request.user_id) if agree else {"submissions": 0, "posts": 0}
        request.state = AGREED if agree else DECLINED
        request.decided_by_id, request.decided_at, request.note = actor.user_id, utcnow(), note
        record(db, actor.user_id, "erasure_request.agreed" if agree else "erasure_request.declined",
               "erasure_request", request.id, reference=request.person.erased_ref,
               by="focal_point" if by_focal_point else "administrator", note=note, **counts)
        notify_users(db, active_admins(db), "erasure_request_answered", request, actor_id=actor.user_id)
    return request
