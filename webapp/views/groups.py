"""Sharing groups as their members and owners see them (issue 11 §3): members read the roster (organisations and
people); the focal points of the owner organisation also change it (views/group_members.py). Anyone else gets 404,
as if the group did not exist; admins manage every group from the admin pages."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from webapp import queries
from webapp.auth import current_viewer, login_required
from webapp.db import session
from webapp.policy.organisations import manages_group
from webapp.views.group_members import member_forms

bp = Blueprint("groups", __name__, url_prefix="/groups")


@bp.get("/")
@login_required
def index():
    """The groups the viewer is in or owns."""
    return render_template("groups/index.html", groups=queries.readable_groups(session(), current_viewer()))


@bp.get("/<id:group_id>")
@login_required
def show(group_id: int):
    """A group's owner and roster, for its members and owners (owners may change it); 404 for everyone else."""
    viewer = current_viewer()
    group = queries.owned_group(session(), viewer, group_id)
    if group is None:
        abort(404)
    forms = member_forms(group, as_admin=False) if manages_group(viewer, group) else {"member_routes": None}
    return render_template("groups/show.html", group=group, **forms)
