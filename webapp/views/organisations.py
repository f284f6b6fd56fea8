"""The directory, organisation and person pages, and the focal points' page of their organisation."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import navigation, queries, queries_organisations
from webapp.auth import current_viewer, login_required
from webapp.db import session
from webapp.forms.admin import ActionForm
from webapp.forms.countries import country_choices, is_country
from webapp.forms.organisations import OwnedGroupForm, ProfileForm, ProposalForm, ReasonForm
from webapp.models import AccountStatus, Tier, User
from webapp.policy import organisations as rules
from webapp.services import organisation_groups
from webapp.services import organisations as service
from webapp.views.group_members import register_membership_routes

bp = Blueprint("organisations", __name__)
navigation.add("organisations.directory", _l("Organisations"), 50)


def _checked(form):
    """Validate a posted form or answer 400 with the fields' messages."""
    if not form.validate_on_submit():
        messages = "; ".join(
            f"{form[name].label.text if name in form else name}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        )
        abort(400, description=messages or _("The form is incomplete."))
    return form


@bp.get("/organisations/")
def directory():
    """Verified organisations, filterable by stakeholder type and country (open to everyone, Call ¶15)."""
    db, viewer = session(), current_viewer()
    types = queries.stakeholder_types(db)
    chosen_type = (request.args.get("type") or "").strip()
    chosen_country = (request.args.get("country") or "").strip().upper()
    if chosen_type and chosen_type not in {t.code for t in types}:
        abort(400, description=_("Unknown stakeholder type."))
    if chosen_country and not is_country(chosen_country):
        abort(400, description=_("Unknown country: use a two-letter ISO 3166 code."))
    return render_template(
        "organisations/directory.html",
        organisations=queries_organisations.directory(db, viewer, stakeholder_type=chosen_type or None,
                                                      country=chosen_country or None),
        types=types, countries=queries_organisations.directory_countries(db, viewer),
        chosen_type=chosen_type, chosen_country=chosen_country,
        country_names={code: name for code, name in country_choices()},
    )


def _organisation_or_404(organisation_id: int):
    found = queries_organisations.organisation(session(), current_viewer(), organisation_id)
    if found is None:
        abort(404)
    return found


@bp.get("/organisations/<id:organisation_id>")
def show(organisation_id: int):
    """An organisation's profile and what it shared that the reader may read."""
    db, viewer = session(), current_viewer()
    organisation = _organisation_or_404(organisation_id)
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        focal_points=queries_organisations.focal_points(db, viewer, organisation.id),
        submissions=queries_organisations.shared_submissions(db, viewer, organisation_id=organisation.id),
        threads=queries_organisations.shared_threads(db, viewer, organisation_id=organisation.id),
        manages=rules.can_manage_organisation_page(viewer, organisation.id),
    )


@bp.get("/people/<id:user_id>")
@login_required
def person(user_id: int):
    """A person's name, organisation and contributions the reader may read (verified members only)."""
    db, viewer = session(), current_viewer()
    if not rules.can_see_people(viewer):
        abort(403, description=_l("Person pages are for verified members."))
    found = queries_organisations.person(db, viewer, user_id)
    if found is None:
        abort(404)
    return render_template(
        "organisations/person.html",
        person=found,
        submissions=queries_organisations.shared_submissions(db, viewer, author_id=found.id),
        threads=queries_organisations.shared_threads(db, viewer, author_id=found.id),
        posts=queries_organisations.person_posts(db, viewer, found.id),
    )


# ---------------------------------------------------------------- the focal points' page


def _managed_or_403(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    if not rules.can_manage_organisation_page(current_viewer(), organisation.id):
        abort(403, description=_l("This page is for the organisation's focal points."))
    return organisation


@bp.get("/organisations/<id:organisation_id>/manage")
@login_required
def manage(organisation_id: int):
    """Pending colleagues, members, the profile and the owned sharing groups, for the focal points."""
    db = session()
    organisation = _managed_or_403(organisation_id)
    return render_template(
        "organisations/manage.html",
        organisation=organisation,
        pending=queries_organisations.colleagues(db, organisation.id, status=AccountStatus.PENDING),
        members=queries_organisations.colleagues(db, organisation.id, status=AccountStatus.ACTIVE),
        groups=queries_organisations.owned_groups(db, organisation.id),
        profile_form=ProfileForm(obj=organisation),
        reason_form=ReasonForm(),
        proposal_form=ProposalForm(),
        group_form=OwnedGroupForm(),
        action=ActionForm(),
        viewer_id=current_viewer().user_id,
    )


@bp.post("/organisations/<id:organisation_id>/profile")
@login_required
def update_profile(organisation_id: int):
    form = _checked(ProfileForm())
    service.update_profile(current_viewer(), organisation_id, description=form.description.data or "",
                           website=form.website.data or "")
    flash(_("Profile saved."), "success")
    return redirect(url_for("organisations.show", organisation_id=organisation_id))


@bp.post("/organisations/<id:organisation_id>/groups")
@login_required
def create_group(organisation_id: int):
    form = _checked(OwnedGroupForm())
    group = organisation_groups.create_owned_group(current_viewer(), organisation_id, name=form.name.data,
                                                   description=form.description.data or "")
    flash(_("Group %(name)s created.", name=group.name), "success")
    return redirect(url_for("groups.show", group_id=group.id))


def _back_to_manage(person: User):
    return redirect(url_for("organisations.manage", organisation_id=person.organisation_id))


@bp.post("/people/<id:user_id>/verify")
@login_required
def verify_person(user_id: int):
    _checked(ActionForm())
    person = service.verify_person(current_viewer(), user_id)
    flash(_("%(name)s is verified.", name=person.name), "success")
    return _back_to_manage(person)


@bp.post("/people/<id:user_id>/refuse")
@login_required
def refuse_person(user_id: int):
    form = _checked(ReasonForm())
    person = service.refuse_registration(current_viewer(), user_id, form.reason.data)
    flash(_("The registration of %(name)s is refused; they receive your reason by e-mail.", name=person.name),
          "success")
    return _back_to_manage(person)


@bp.post("/people/<id:user_id>/deactivate")
@login_required
def deactivate_person(user_id: int):
    _checked(ActionForm())
    person = service.deactivate_person(current_viewer(), user_id)
    flash(_("%(name)s is deactivated and signed out everywhere.", name=person.name), "success")
    return _back_to_manage(person)


@bp.post("/people/<id:user_id>/clearance-proposals")
@login_required
def propose_clearance(user_id: int):
    form = _checked(ProposalForm())
    proposal = service.propose_clearance(current_viewer(), user_id, Tier.from_code(form.clearance.data),
                                         form.reason.data or "")
    flash(_("Proposal sent to the administrators."), "success")
    return _back_to_manage(proposal.user)


# ---------------------------------------------------------------- owned sharing groups: members (views/group_members.py)

register_membership_routes(bp, login_required, as_admin=False, page="groups.show")
