"""Who is in a sharing group, one view path for both who change it (issue 11 §3): the group's owners on its page
(/groups/<id>) and admins on theirs (/admin/groups/<id>). `register_membership_routes` adds the same four routes to
each blueprint, calling the one service (services/group_membership.py) with `as_admin` saying which path;
`member_forms` builds the same add forms for the one template (templates/groups/_members.html)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _

from webapp import queries
from webapp.auth import current_viewer
from webapp.db import session
from webapp.forms.admin import ActionForm, GroupMemberForm
from webapp.models import SharingGroup
from webapp.policy.groups import can_add_to_group
from webapp.services import group_membership


def member_forms(group: SharingGroup, *, as_admin: bool) -> dict:
    """The add-a-person and add-an-organisation forms, offering only whom this path may add."""
    db, viewer = session(), current_viewer()
    user_form, organisation_form = GroupMemberForm(prefix="user"), GroupMemberForm(prefix="organisation")
    user_form.member.choices = [
        (str(u.id), f"{u.name} — {u.organisation.name}") for u in queries.users(db)
        if u not in group.users and (can_add_to_group(viewer, user_id=u.id) if as_admin else u.is_verified)]
    organisation_form.member.choices = [
        (str(o.id), o.name) for o in queries.organisations(db, verified=not as_admin)
        if o not in group.organisations and (not as_admin or can_add_to_group(viewer, organisation_id=o.id))]
    return {"user_form": user_form, "organisation_form": organisation_form, "action": ActionForm(),
            "member_routes": _prefix(as_admin)}


def _prefix(as_admin: bool) -> str:
    return "admin" if as_admin else "organisations"


def _posted_member(prefix: str, message: str) -> int:
    form = GroupMemberForm(prefix=prefix)
    member_id = form.member_id() if form.validate_on_submit() else None
    if member_id is None:
        abort(400, description=message)
    return member_id


def _checked_action() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form is incomplete."))


def register_membership_routes(bp: Blueprint, guard: Callable, *, as_admin: bool, page: str) -> None:
    """Add the four membership routes to `bp`, behind `guard`, redirecting to the group's page `page`."""

    def done(group_id: int, message: str):
        flash(message, "success")
        return redirect(url_for(page, group_id=group_id))

    def add_group_user(group_id: int):
        user_id = _posted_member("user", _("Choose a person from the list."))
        group_membership.add_user(current_viewer(), group_id, user_id, as_admin=as_admin)
        return done(group_id, _("Added to the group."))

    def remove_group_user(group_id: int, user_id: int):
        _checked_action()
        group_membership.remove_user(current_viewer(), group_id, user_id, as_admin=as_admin)
        return done(group_id, _("Removed from the group."))

    def add_group_organisation(group_id: int):
        organisation_id = _posted_member("organisation", _("Choose an organisation from the list."))
        group_membership.add_organisation(current_viewer(), group_id, organisation_id, as_admin=as_admin)
        return done(group_id, _("Organisation added to the group."))

    def remove_group_organisation(group_id: int, organisation_id: int):
        _checked_action()
        group_membership.remove_organisation(current_viewer(), group_id, organisation_id, as_admin=as_admin)
        return done(group_id, _("Organisation removed from the group."))

    for rule, view in (("/groups/<id:group_id>/users", add_group_user),
                       ("/groups/<id:group_id>/users/<id:user_id>/remove", remove_group_user),
                       ("/groups/<id:group_id>/organisations", add_group_organisation),
                       ("/groups/<id:group_id>/organisations/<id:organisation_id>/remove", remove_group_organisation)):
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=guard(view), methods=["POST"])
