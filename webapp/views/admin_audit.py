"""The audit log for administrators: sentences for people, changes apart from reads, filters in a GET form.

What a row shows of who acted and of what it concerns is decided by the policy (webapp/policy/audit.py) through
queries_audit; this view only parses the filters."""
from __future__ import annotations

from datetime import date

from flask import abort, render_template, request
from flask_babel import gettext as _

from webapp import queries_audit
from webapp.audit_phrases import PHRASES, sentence
from webapp.auth import admin_required, current_viewer
from webapp.db import session
from webapp.ids import parse_number
from webapp.views.admin import bp


@bp.get("/audit")
@admin_required
def audit():
    """The audit log, newest first: changes or reads, filtered by person, action and date (a GET form); Older and
    Newer links carry the id next to which the next page starts (?before=, ?after=), so every page costs the same."""
    args = request.args
    before, after = _cursor_argument("before"), _cursor_argument("after")
    if before is not None and after is not None:
        abort(400, description=_("Ask for older or newer events, not both."))
    action = (args.get("action") or "").strip()[:64] or None
    person = (args.get("person") or "").strip()[:120]
    kind = args.get("kind") or "changes"
    if kind not in ("changes", "reads", "all"):
        abort(400, description=_("Show changes, reads or both."))
    since, until = _date_argument("since"), _date_argument("until")
    if since and until and since > until:
        abort(400, description=_("The first day comes after the last day."))
    db, viewer = session(), current_viewer()
    wanted = queries_audit.AuditFilter(
        action=action, kind=kind, since=since, until=until,
        actor_ids=queries_audit.people_matching(db, viewer, person) if person else None,
    )
    found = queries_audit.audit_page(db, viewer, before=before, after=after, wanted=wanted)
    filters = {"action": action, "person": person or None, "kind": kind, "since": args.get("since") or None,
               "until": args.get("until") or None}
    return render_template("admin/audit.html", rows=found.rows, older=found.older, newer=found.newer, filters=filters,
                           action=action or "", person=person, kind=kind, since=since, until=until,
                           actions=sorted(PHRASES), audit_sentence=sentence)


def _cursor_argument(name: str) -> int | None:
    """?before= or ?after=: an event id from the pager's links (any number 0..MAX_ID: a position in the log, which
    need not be a row the reader sees, so no 404 tells whether it exists), None when empty, else 400."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    number = parse_number(raw)
    if number is None:
        abort(400, description=_("Use the Newer and Older links of the log: this position is not an event number."))
    return number


def _date_argument(name: str):
    """A YYYY-MM-DD query argument, None when empty, else 400 with a clear message."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, description=_("Dates are written YYYY-MM-DD, for example 2026-12-01."))
