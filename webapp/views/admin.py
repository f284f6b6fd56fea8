"""Administration of people: verification, roles, clearance, sharing groups, deactivation, audit log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import navigation, policy, queries
from webapp.auth import admin_required, current_viewer
from webapp.db import session
from webapp.forms.admin import ActionForm, ClearanceForm, GroupForm, GroupMemberForm, RolesForm
from webapp.models import AccountStatus, SharingGroup, Tier, User
from webapp.security import safe_next
from webapp.services import people

bp = Blueprint("admin", __name__, url_prefix="/admin")
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


@bp.get("/")
@admin_required
def index():
    """Pending verifications at a glance."""
    db = session()
    return render_template(
        "admin/index.html",
        pending_organisations=queries.organisations(db, verified=False),
        pending_users=queries.users(db, status=AccountStatus.PENDING),
        action=ActionForm(),
    )


@bp.get("/organisations")
@admin_required
def organisations():
    """Every organisation, verified or not."""
    return render_template("admin/organisations.html", organisations=queries.organisations(session()), action=ActionForm())


@bp.post("/organisations/<int:organisation_id>/verify")
@admin_required
def verify_organisation(organisation_id: int):
    _checked_form(ActionForm)
    organisation = people.verify_organisation(current_viewer(), organisation_id)
    flash(_("%(name)s is verified.", name=organisation.name), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("admin.organisations"))


@bp.get("/users")
@admin_required
def users():
    """Every account."""
    return render_template("admin/users.html", users=queries.users(session()))


def _user_or_404(user_id: int) -> User:
    user = session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<int:user_id>")
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
    )


@bp.post("/users/<int:user_id>/verify")
@admin_required
def verify_user(user_id: int):
    _checked_form(ActionForm)
    target = people.verify_user(current_viewer(), user_id)
    flash(_("%(name)s is verified.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/roles")
@admin_required
def set_roles(user_id: int):
    form = _checked_form(RolesForm)
    people.set_roles(current_viewer(), user_id, facilitator=form.facilitator.data, admin=form.admin.data)
    flash(_("Roles saved."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/clearance")
@admin_required
def set_clearance(user_id: int):
    form = _checked_form(ClearanceForm)
    people.set_clearance(current_viewer(), user_id, Tier.from_code(form.clearance.data))
    flash(_("Clearance saved."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id: int):
    _checked_form(ActionForm)
    target = people.deactivate_user(current_viewer(), user_id)
    flash(_("%(name)s is deactivated and signed out everywhere.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def reactivate(user_id: int):
    _checked_form(ActionForm)
    target = people.reactivate_user(current_viewer(), user_id)
    flash(_("%(name)s is active again.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/groups", methods=["GET", "POST"])
@admin_required
def groups():
    """Sharing groups, and a form to create one."""
    form = GroupForm()
    if form.validate_on_submit():
        group = people.create_group(current_viewer(), name=form.name.data, description=form.description.data or "")
        flash(_("Group %(name)s created.", name=group.name), "success")
        return redirect(url_for("admin.group", group_id=group.id))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/groups.html", groups=queries.sharing_groups(session()), form=form), status


def _member_forms(group: SharingGroup) -> tuple[GroupMemberForm, GroupMemberForm]:
    db = session()
    user_form = GroupMemberForm(prefix="user")
    user_form.member.choices = [(str(u.id), f"{u.name} — {u.organisation.name}") for u in queries.users(db) if u not in group.users]
    organisation_form = GroupMemberForm(prefix="organisation")
    organisation_form.member.choices = [
        (str(o.id), o.name) for o in queries.organisations(db) if o not in group.organisations
    ]
    return user_form, organisation_form


def _group_or_404(group_id: int) -> SharingGroup:
    group = session().get(SharingGroup, group_id)
    if group is None:
        abort(404)
    return group


@bp.get("/groups/<int:group_id>")
@admin_required
def group(group_id: int):
    """One group's people and organisations."""
    target = _group_or_404(group_id)
    user_form, organisation_form = _member_forms(target)
    return render_template(
        "admin/group.html", group=target, user_form=user_form, organisation_form=organisation_form, action=ActionForm()
    )


def _posted_member(prefix: str, message: str) -> int:
    form = GroupMemberForm(prefix=prefix)
    member_id = form.member_id() if form.validate_on_submit() else None
    if member_id is None:
        abort(400, description=message)
    return member_id


@bp.post("/groups/<int:group_id>/users")
@admin_required
def add_group_user(group_id: int):
    user_id = _posted_member("user", _("Choose a person from the list."))
    people.add_user_to_group(current_viewer(), group_id, user_id)
    flash(_("Added to the group."), "success")
    return redirect(url_for("admin.group", group_id=group_id))


@bp.post("/groups/<int:group_id>/users/<int:user_id>/remove")
@admin_required
def remove_group_user(group_id: int, user_id: int):
    _checked_form(ActionForm)
    people.remove_user_from_group(current_viewer(), group_id, user_id)
    flash(_("Removed from the group."), "success")
    return redirect(url_for("admin.group", group_id=group_id))


@bp.post("/groups/<int:group_id>/organisations")
@admin_required
def add_group_organisation(group_id: int):
    organisation_id = _posted_member("organisation", _("Choose an organisation from the list."))
    people.add_organisation_to_group(current_viewer(), group_id, organisation_id)
    flash(_("Organisation added to the group."), "success")
    return redirect(url_for("admin.group", group_id=group_id))


@bp.post("/groups/<int:group_id>/organisations/<int:organisation_id>/remove")
@admin_required
def remove_group_organisation(group_id: int, organisation_id: int):
    _checked_form(ActionForm)
    people.remove_organisation_from_group(current_viewer(), group_id, organisation_id)
    flash(_("Organisation removed from the group."), "success")
    return redirect(url_for("admin.group", group_id=group_id))


@bp.get("/audit")
@admin_required
def audit():
    """The audit log, newest first, filterable by action prefix."""
    raw_page = request.args.get("page", "1").strip()
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= 100_000:
        abort(400, description=_("Page numbers are whole numbers from 1."))
    page = int(raw_page)
    action = (request.args.get("action") or "").strip()[:64] or None
    events = queries.audit_page(session(), page=page, action=action)
    return render_template(
        "admin/audit.html", events=events[:50], has_next=len(events) > 50, page=page, action=action or ""
    )

