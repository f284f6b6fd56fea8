"""The archive, read side: browse with counts, a submission page, revisions and diffs, exports, Atom feeds.

Writing routes live in archive_write.py on the same blueprint. Every lookup goes through queries_archive (and so
through policy.visible()); anything the viewer may not read answers the generic 404.
"""
from __future__ import annotations

from datetime import timezone

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from webapp import navigation, paragraph_listing, queries
from webapp.auth import current_viewer
from webapp.db import session
from webapp.forms.archive import ActionForm
from webapp.ids import id_arg
from webapp.links import public_url
from webapp.locale_names import call_title, country_name
from webapp.models import Submission, utcnow
from webapp.policy.archive import (
    can_archive,
    can_create_policy_version,
    can_create_submission,
    can_edit_submission,
    can_review,
    can_see_review_queue,
    can_submit,
    can_withdraw,
    can_review_revision,
    offers_tier_change,
    sees_pending_revision,
    shows_author,
)
from webapp.policy.translations import can_translate
from webapp.policy.audience_preview import item_audience, may_preview_audience, section_audiences
from webapp.queries_archive import browse as browse_queries
from webapp.queries_archive import detail, exports, listing
from webapp.queries_archive import translations as translation_queries
from webapp.queries_archive.diff import diff_snapshots
from webapp.queries_archive.sections import reader_item, reader_snapshot
from webapp.queries_dialogue.rounds import synthesis_key_points
from webapp.queries_archive.labels import (
    FIELD_LABELS,
    KIND_LABELS,
    LESSON_STATUS_LABELS,
    REVIEW_STATE_LABELS,
    STAGE_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
)
from webapp.services.submission_fields import missing_for_submission, snapshot
from webapp.services.submission_workflow import TRANSITIONS
from webapp.services.submissions import record_submission_read

bp = Blueprint("archive", __name__, url_prefix="/archive")
navigation.add("archive.browse", _l("Archive"), 30)
navigation.add("archive.mine", _l("My submissions"), 31, shown_to=can_create_submission)
navigation.add("archive.review", _l("Review"), 32, shown_to=can_see_review_queue,
               count=lambda viewer: listing.review_waiting(session(), viewer))
paragraph_listing.register("archive", listing.paragraph_section)


@bp.app_context_processor
def _labels() -> dict:
    return {
        "archive_labels": {
            "kind": KIND_LABELS, "status": STATUS_LABELS, "stage": STAGE_LABELS, "lesson_status": LESSON_STATUS_LABELS,
            "tier": TIER_LABELS, "field": FIELD_LABELS,
        },
        "review_state_labels": REVIEW_STATE_LABELS,
        "shows_author": shows_author,
    }


@bp.app_template_filter("atom_time")
def atom_time(value) -> str:
    """RFC 3339 UTC time for Atom (now, for an empty feed)."""
    return (value or utcnow()).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def visible_or_404(submission_id: int) -> Submission:
    """The submission as the current viewer may read it, or the generic 404."""
    item = detail.submission(session(), current_viewer(), submission_id)
    if item is None:
        abort(404)
    return item


def _stakeholder_labels() -> dict[str, str]:
    return {t.code: t.display_label for t in queries.stakeholder_types(session())}


@bp.get("/")
def browse():
    """Browse published items with filters and counts over what the viewer may read."""
    try:
        filters = browse_queries.parse_filters(request.args)
    except browse_queries.BadFilter as error:
        abort(400, description=str(error))
    result = browse_queries.browse(session(), current_viewer(), filters)
    return render_template(
        "archive/browse.html", result=result, filters=filters, stakeholder_labels=_stakeholder_labels(),
        paragraph_labels={str(p.number): f"¶{p.number} {call_title(p.title)}"
                          for p in queries.all_paragraphs(session())},
        country_labels={code: country_name(code) for code in [*filters.codes("country"),
                                                              *(code for code, _count in result.facets["country"].counts)]},
    )


def _permissions(item: Submission) -> dict[str, bool]:
    viewer = current_viewer()
    status = item.status
    return {
        "edit": can_edit_submission(viewer, item),
        "submit": can_submit(viewer, item) and status in TRANSITIONS["submit"] and not missing_for_submission(item),
        "complete_to_submit": (
            missing_for_submission(item) if can_submit(viewer, item) and status in TRANSITIONS["submit"] else []
        ),
        "review": can_review(viewer, item) and status in TRANSITIONS["publish"],
        "withdraw": can_withdraw(viewer, item) and status in TRANSITIONS["withdraw"],
        "archive": can_archive(viewer, item) and status in TRANSITIONS["archive"],
        "change_tier": offers_tier_change(viewer, item) and status.value != "withdrawn",
        "new_version": (
            item.kind.value == "responsible_ai_policy" and can_create_policy_version(viewer, item)
        ),
    }


def _shown_translation(item: Submission, translations: dict):
    """The translation a reader is shown: the one asked for (?lang=), else the page's language when the item was
    written in another; none when they ask for the original (?original=1) or there is none to read."""
    if request.args.get("original"):
        return None
    asked = request.args.get("lang")
    if asked in translations:
        return translations[asked]
    locale = str(get_locale() or "")
    return translations.get(locale) if locale != item.language else None


@bp.get("/<id:submission_id>")
def show(submission_id: int):
    """One submission: structured fields, TLP label, author organisation, paragraphs, revisions, exports."""
    item = visible_or_404(submission_id)
    viewer = current_viewer()
    revisions = detail.revision_list(session(), viewer, item)
    record_submission_read(viewer, item, "page", [revision.tier for revision in revisions])  # their notes are shown
    proposal = detail.open_proposal(session(), viewer, item.id) if sees_pending_revision(viewer, item) else None
    round_id = detail.synthesis_round_id(session(), viewer, item)
    if proposal is not None and not sees_pending_revision(viewer, item, proposal):
        proposal = None
    translations, translation_proposals = translation_queries.for_page(session(), viewer, item)
    shown = _shown_translation(item, translations)
    return render_template(
        "archive/show.html",
        # The sections this reader may read, and nothing of the others; in their language when a translation is.
        item=translation_queries.translated_item(viewer, item, shown) if shown else reader_item(viewer, item),
        translation=shown,
        translations=translations,
        translation_proposals=translation_proposals,
        can_translate=can_translate(viewer, item),
        last_changed=detail.last_changed(item, revisions),
        revisions=revisions,
        proposal=proposal,
        reviews_proposal=proposal is not None and can_review_revision(viewer, item, proposal),
        versions=detail.policy_versions(session(), viewer, item),
        can=_permissions(item),
        action=ActionForm(),
        stakeholder_labels=_stakeholder_labels() if item.key_points_html else {},
        key_points=synthesis_key_points(session(), viewer, item, item.key_points_html),
        round_id=round_id,
        round_audience_link=declassification.synthesis_decides_in_round(round_id),
        proposals=declassification.pending_proposals(item),
        answer_form=declassification.answer_form(),
        audience=item_audience(session(), item) if may_preview_audience(viewer, item) else None,
        section_audiences=section_audiences(session(), viewer, item) if may_preview_audience(viewer, item) else [],
    )


@bp.get("/<id:submission_id>/audience")
def audience(submission_id: int):
    """Who can read an item (organisations and counts): for its author and the reviewers who read it; anyone else
    gets the generic 404, as if the item did not exist."""
    item = visible_or_404(submission_id)
    if not may_preview_audience(current_viewer(), item):
        abort(404)
    return render_template("archive/audience.html", item=item, audience=item_audience(session(), item))


@bp.get("/<id:submission_id>.md")
def export_markdown(submission_id: int):
    """The submission as Markdown, headed and closed by its TLP label."""
    item = visible_or_404(submission_id)
    record_submission_read(current_viewer(), item, "markdown")
    body = exports.to_markdown(reader_item(current_viewer(), item), public_url("archive.show", submission_id=item.id),
                               _stakeholder_labels() if item.key_points else None,
                               key_points=synthesis_key_points(session(), current_viewer(), item, item.key_points))
    return Response(body, mimetype="text/markdown", headers={
        "Content-Disposition": f'attachment; filename="reaim-submission-{item.id}.md"',
    })


@bp.get("/<id:submission_id>.json")
def export_json(submission_id: int):
    """The submission as JSON (sources, tier and TLP label)."""
    item = visible_or_404(submission_id)
    record_submission_read(current_viewer(), item, "json")
    return jsonify(exports.to_json(reader_item(current_viewer(), item), public_url("archive.show", submission_id=item.id),
                                   key_points=synthesis_key_points(session(), current_viewer(), item, item.key_points)))


@bp.get("/<id:submission_id>/citation")
def citation(submission_id: int):
    """A plain-text citation including the tier label."""
    item = visible_or_404(submission_id)
    record_submission_read(current_viewer(), item, "citation")
    text = exports.citation(item, public_url("archive.show", submission_id=item.id))
    return Response(text + "\n", mimetype="text/plain")


def _required_id_arg(name: str) -> int:
    number = id_arg(name, _l("Choose two revisions to compare."))
    if number is None:
        abort(400, description=_l("Choose two revisions to compare."))
    return number


@bp.get("/<id:submission_id>/diff")
def diff(submission_id: int):
    """The differences between any two revisions of a submission."""
    item = visible_or_404(submission_id)
    old_number, new_number = _required_id_arg("from"), _required_id_arg("to")
    viewer = current_viewer()
    found = detail.revisions(session(), viewer, item, [old_number, new_number])
    if old_number not in found or new_number not in found:
        abort(404)
    record_submission_read(viewer, item, "diff", [found[old_number].tier, found[new_number].tier])
    # Each side as this reader may read it: sections above their level (as written, or now) are not compared.
    return render_template(
        "archive/diff.html", item=item, old=found[old_number], new=found[new_number],
        changes=diff_snapshots(reader_snapshot(viewer, item, found[old_number]),
                               reader_snapshot(viewer, item, found[new_number])),
        revisions=detail.revision_list(session(), viewer, item),
    )


@bp.get("/<id:submission_id>/compare")
def compare_versions(submission_id: int):
    """Compare two versions of a responsible-AI policy (both readable by the viewer, same series)."""
    item = visible_or_404(submission_id)
    other = visible_or_404(_required_id_arg("with"))
    if item.kind.value != "responsible_ai_policy" or not item.policy_series or other.policy_series != item.policy_series:
        abort(404)
    record_submission_read(current_viewer(), item, "compare")
    record_submission_read(current_viewer(), other, "compare")
    older, newer = sorted((item, other), key=lambda s: (s.created_at, s.id))
    return render_template(
        "archive/compare.html", older=older, newer=newer,
        changes=diff_snapshots(snapshot(reader_item(current_viewer(), older)),
                               snapshot(reader_item(current_viewer(), newer))),
        versions=detail.policy_versions(session(), current_viewer(), item),
    )


def _atom(items, title: str, self_url: str, alternate_url: str):
    body = render_template("archive/feed.xml", items=items, title=title, self_url=self_url,
                           alternate_url=alternate_url)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/feed.atom")
def feed():
    """Atom feed of newly published public items (never anything else)."""
    return _atom(
        listing.public_feed(session()), str(_l("REAIM Exchange archive: newly published")),
        public_url("archive.feed"), public_url("archive.browse"),
    )


@bp.get("/paragraphs/<id:number>/feed.atom")
def paragraph_feed(number: int):
    """Atom feed of newly published public items under one Call paragraph."""
    paragraph = queries.paragraph(session(), number)
    if paragraph is None:
        abort(404)
    return _atom(
        listing.public_feed(session(), paragraph=number),
        str(_l("REAIM Exchange archive: paragraph %(n)s", n=number)),
        public_url("archive.paragraph_feed", number=number),
        public_url("paragraphs.show", number=number),
    )


from webapp.views import archive_write  # noqa: E402,F401  (adds the writing routes to bp)
from webapp.views import archive_confirm  # noqa: E402,F401  (publish, withdraw, retire: confirm, then act)
from webapp.views import declassification  # noqa: E402,F401  (adds the declassification routes to bp)
from webapp.views import archive_translations  # noqa: E402,F401  (adds the translation routes to bp)
