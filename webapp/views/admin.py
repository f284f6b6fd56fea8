"""Administration of people: verification, roles, clearance, sharing groups, deactivation, audit log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import navigation, policy, queries, queries_audit, queries_organisations
from webapp.auth import admin_required, current_viewer
from webapp.db import session
from webapp.forms.admin import ActionForm, ClearanceForm, GroupForm, RolesForm
from webapp.forms.organisations import OrganisationForm, PickForm, ReasonForm
from webapp.ids import parse_number
from webapp.models import AccountStatus, MailStatus, Organisation, SharingGroup, Tier, User
from webapp.security import safe_next
from webapp.views.group_members import member_forms, register_membership_routes
from webapp.services import mail_delivery, people
from webapp.services import organisations as organisation_service

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAIL_STATUS_LABELS = {
    MailStatus.QUEUED: _l("queued"),
    MailStatus.SENDING: _l("sending"),
    MailStatus.SENT: _l("sent"),
    MailStatus.FAILED: _l("failed"),
    MailStatus.CANCELLED: _l("cancelled"),
}
navigation.add("admin.index", _l("Administration"), 80, shown_to=policy.can_administer)


def _checked_form(form_class):
    """Validate a posted form or answer 400 (CSRF failures are answered by the CSRF handler)."""
    form = form_class()
    if not form.validate_on_submit():
        messages = "; ".join(
            f"{form[name].label.text if name in form else name}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        )
        abort(400, description=messages or _("The form is incomplete."))
    return form


def _page_arg() -> int:
    page = parse_number(request.args.get("page", "1").strip())
    if page is None or not 1 <= page <= 100_000:
        abort(400, description=_("Page numbers are whole numbers from 1."))
    return page


def _q_arg() -> str:
    q = (request.args.get("q") or "").strip()
    if len(q) > 100:
        abort(400, description=_("Search for at most 100 characters."))
    return q


@bp.get("/")
@admin_required
def index():
    """Pending verifications at a glance (searchable with q=, paginated)."""
    db, q, page = session(), _q_arg(), _page_arg()
    pending_organisations, more_organisations = queries_organisations.organisations_page(db, q=q, verified=False,
                                                                                         page=page)
    pending_users, more_users = queries_organisations.people_page(db, q=q, status=AccountStatus.PENDING, page=page)
    return render_template(
        "admin/index.html",
        pending_organisations=pending_organisations,
        pending_users=pending_users,
        has_next=more_organisations or more_users, page=page, q=q,
        action=ActionForm(),
        reason_form=ReasonForm(),
    )


@bp.get("/organisations")
@admin_required
def organisations():
    """Every organisation, verified or not (merged duplicates left out), searchable and paginated."""
    q, page = _q_arg(), _page_arg()
    rows, has_next = queries_organisations.organisations_page(session(), q=q, page=page)
    return render_template("admin/organisations.html", organisations=rows, has_next=has_next, page=page, q=q,
                           action=ActionForm())


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = session().get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _organisation_forms(organisation: Organisation) -> dict:
    db = session()
    merge_form = PickForm(prefix="merge")
    merge_form.choice.choices = [(str(o.id), o.name) for o in queries_organisations.organisations_page(
        db, page=1)[0] if o.id != organisation.id]
    focal_form = PickForm(prefix="focal")
    focal_form.choice.choices = [(str(u.id), u.name) for u in queries_organisations.colleagues(
        db, organisation.id, status=AccountStatus.ACTIVE)]
    return {"merge_form": merge_form, "focal_form": focal_form,
            "focal_points": organisation_service.focal_points(db, organisation.id), "action": ActionForm()}


@bp.route("/organisations/<id:organisation_id>", methods=["GET", "POST"])
@admin_required
def organisation(organisation_id: int):
    """One organisation: correct its name, stakeholder type and country; focal points; merge it into another."""
    target = _organisation_or_404(organisation_id)
    form = OrganisationForm(obj=target, stakeholder_types=queries.stakeholder_types(session()))
    if request.method == "GET":
        form.stakeholder_type.data, form.country.data = target.stakeholder_type_code, target.country
    if form.validate_on_submit():
        organisation_service.edit_organisation(current_viewer(), organisation_id, name=form.name.data,
                                               stakeholder_type=form.stakeholder_type.data, country=form.country.data)
        flash(_("Organisation saved."), "success")
        return redirect(url_for("admin.organisation", organisation_id=organisation_id))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/organisation.html", organisation=target, form=form,
                           **_organisation_forms(target)), status


@bp.post("/organisations/<id:organisation_id>/merge")
@admin_required
def merge_organisation(organisation_id: int):
    form = _checked_form(lambda: PickForm(prefix="merge"))
    target_id = form.chosen_id()
    if target_id is None:
        abort(400, description=_("Choose the organisation to keep from the list."))
    kept = organisation_service.merge_organisations(current_viewer(), organisation_id, target_id)
    flash(_("Merged into %(name)s.", name=kept.name), "success")
    return redirect(url_for("admin.organisation", organisation_id=kept.id))


@bp.post("/organisations/<id:organisation_id>/focal-points")
@admin_required
def grant_focal_point(organisation_id: int):
    form = _checked_form(lambda: PickForm(prefix="focal"))
    user_id = form.chosen_id()
    if user_id is None:
        abort(400, description=_("Choose a member from the list."))
    person = organisation_service.grant_focal_point(current_viewer(), organisation_id, user_id)
    flash(_("%(name)s is a focal point now.", name=person.name), "success")
    return redirect(url_for("admin.organisation", organisation_id=organisation_id))


@bp.post("/organisations/<id:organisation_id>/focal-points/<id:user_id>/revoke")
@admin_required
def revoke_focal_point(organisation_id: int, user_id: int):
    _checked_form(ActionForm)
    organisation_service.revoke_focal_point(current_viewer(), organisation_id, user_id)
    flash(_("Focal point role revoked."), "success")
    return redirect(url_for("admin.organisation", organisation_id=organisation_id))


@bp.post("/users/<id:user_id>/refuse")
@admin_required
def refuse_user(user_id: int):
    form = _checked_form(ReasonForm)
    person = organisation_service.refuse_registration(current_viewer(), user_id, form.reason.data)
    flash(_("The registration of %(name)s is refused; they receive the reason by e-mail.", name=person.name),
          "success")
    return redirect(url_for("admin.index"))


@bp.get("/clearance-proposals")
@admin_required
def clearance_proposals():
    """Clearances proposed by focal points, waiting for a decision."""
    return render_template("admin/clearance_proposals.html",
                           proposals=queries_organisations.pending_proposals(session()), action=ActionForm())


@bp.post("/clearance-proposals/<id:proposal_id>/grant")
@admin_required
def grant_clearance_proposal(proposal_id: int):
    _checked_form(ActionForm)
    organisation_service.decide_clearance_proposal(current_viewer(), proposal_id, grant=True)
    flash(_("Clearance granted."), "success")
    return redirect(url_for("admin.clearance_proposals"))


@bp.post("/clearance-proposals/<id:proposal_id>/decline")
@admin_required
def decline_clearance_proposal(proposal_id: int):
    _checked_form(ActionForm)
    organisation_service.decide_clearance_proposal(current_viewer(), proposal_id, grant=False)
    flash(_("Proposal declined."), "success")
    return redirect(url_for("admin.clearance_proposals"))


@bp.post("/organisations/<id:organisation_id>/verify")
@admin_required
def verify_organisation(organisation_id: int):
    _checked_form(ActionForm)
    organisation = people.verify_organisation(current_viewer(), organisation_id)
    flash(_("%(name)s is verified.", name=organisation.name), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("admin.organisations"))


@bp.get("/users")
@admin_required
def users():
    """Every account, searchable (name, e-mail, organisation) and paginated."""
    q, page = _q_arg(), _page_arg()
    rows, has_next = queries_organisations.people_page(session(), q=q, page=page)
    return render_template("admin/users.html", users=rows, has_next=has_next, page=page, q=q)


def _user_or_404(user_id: int) -> User:
    user = session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<id:user_id>")
@admin_required
def user(user_id: int):
    """One account: status, roles, clearance, groups."""
    target = _user_or_404(user_id)
    return render_template(
        "admin/user.html",
        user=target,
        roles_form=RolesForm(facilitator=target.is_facilitator, admin=target.is_admin),
        clearance_form=ClearanceForm(clearance=target.clearance.code),
        action=ActionForm(),
        reason_form=ReasonForm(),
    )


@bp.post("/users/<id:user_id>/verify")
@admin_required
def verify_user(user_id: int):
    _checked_form(ActionForm)
    target = people.verify_user(current_viewer(), user_id)
    flash(_("%(name)s is verified.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<id:user_id>/roles")
@admin_required
def set_roles(user_id: int):
    form = _checked_form(RolesForm)
    people.set_roles(current_viewer(), user_id, facilitator=form.facilitator.data, admin=form.admin.data)
    flash(_("Roles saved."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<id:user_id>/clearance")
@admin_required
def set_clearance(user_id: int):
    form = _checked_form(ClearanceForm)
    people.set_clearance(current_viewer(), user_id, Tier.from_code(form.clearance.data))
    flash(_("Clearance saved."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<id:user_id>/deactivate")
@admin_required
def deactivate(user_id: int):
    _checked_form(ActionForm)
    target = people.deactivate_user(current_viewer(), user_id)
    flash(_("%(name)s is deactivated and signed out everywhere.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<id:user_id>/reactivate")
@admin_required
def reactivate(user_id: int):
    _checked_form(ActionForm)
    target = people.reactivate_user(current_viewer(), user_id)
    flash(_("%(name)s is active again.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password-reset")
@admin_required
def send_password_reset(user_id: int):
    _checked_form(ActionForm)
    target = people.send_password_reset(current_viewer(), user_id)
    flash(_("A password reset link was mailed to %(name)s.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/second-factor/reset")
@admin_required
def reset_second_factor(user_id: int):
    _checked_form(ActionForm)
    target = people.reset_second_factor(current_viewer(), user_id)
    flash(_("The second factor of %(name)s was removed; they were told by e-mail.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/groups", methods=["GET", "POST"])
@admin_required
def groups():
    """Sharing groups, and a form to create one."""
    form = GroupForm()
    form.owner.choices = [("", _("No owner"))] + [(str(o.id), o.name) for o in queries.organisations(session(), verified=True)]
    if form.validate_on_submit():
        try:
            owner_id = form.owner_id()
        except ValueError:
            abort(400, description=_("Choose the owner from the list of verified organisations."))
        group = people.create_group(current_viewer(), name=form.name.data, description=form.description.data or "",
                                    owner_organisation_id=owner_id)
        flash(_("Group %(name)s created.", name=group.name), "success")
        return redirect(url_for("admin.group", group_id=group.id))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/groups.html", groups=queries.sharing_groups(session()), form=form), status


def _group_or_404(group_id: int) -> SharingGroup:
    group = session().get(SharingGroup, group_id)
    if group is None:
        abort(404)
    return group


@bp.get("/groups/<id:group_id>")
@admin_required
def group(group_id: int):
    """One group's people and organisations."""
    target = _group_or_404(group_id)
    return render_template("admin/group.html", group=target, **member_forms(target, as_admin=True))


register_membership_routes(bp, admin_required, as_admin=True, page="admin.group")


def _page_argument() -> int:
    """The ?page= of an admin list: a whole number from 1 (ASCII digits only), else 400."""
    page = parse_number(request.args.get("page", "1").strip())
    if page is None or not 1 <= page <= 100_000:
        abort(400, description=_("Page numbers are whole numbers from 1."))
    return page


@bp.get("/mail")
@admin_required
def mail_queue():
    """Outgoing mail, newest first, filterable by status: recipient, attempts, last error, times (no subject or
    body: admins manage people, not content)."""
    page = _page_argument()
    raw_status = (request.args.get("status") or "").strip()
    try:
        status = MailStatus(raw_status) if raw_status else None
    except ValueError:
        abort(400, description=_("Unknown mail status; choose one from the list."))
    db = session()
    mails = queries.outgoing_mail_page(db, page=page, status=status)
    return render_template(
        "admin/mail.html", mails=mails[:50], has_next=len(mails) > 50, page=page, status=raw_status,
        statuses=MAIL_STATUS_LABELS, counts=queries.outgoing_mail_counts(db), action=ActionForm(),
    )


@bp.post("/mail/<id:mail_id>/retry")
@admin_required
def retry_mail(mail_id: int):
    _checked_form(ActionForm)
    mail_delivery.retry(current_viewer(), mail_id)
    flash(_("The mail is queued again."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("admin.mail_queue"))


from webapp.views import admin_audit  # noqa: E402,F401  (adds the audit log to bp)
