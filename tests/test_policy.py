"""The policy module: the Python predicate and the SQL filter agree everywhere, and both fail closed."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import Integer, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from webapp import policy
from webapp.db import session
from webapp.models import Tier, User
from webapp.models.types import TierType
from webapp.policy import ANONYMOUS, Viewer, can_view, tier_allows, tier_clause, viewer_for, visible


class ProbeBase(DeclarativeBase):
    """A separate metadata: the probe table never enters the app's schema or migrations."""


class Probe(ProbeBase):
    __tablename__ = "policy_probe_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[Tier] = mapped_column(TierType)
    sharing_group_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author_organisation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Unruled(ProbeBase):
    """An entity nobody registered a read rule for."""

    __tablename__ = "policy_probe_unruled"

    id: Mapped[int] = mapped_column(primary_key=True)


def _probe_clause(viewer: Viewer):
    return tier_clause(viewer, tier=Probe.tier, sharing_group_id=Probe.sharing_group_id,
                       author_organisation_id=Probe.author_organisation_id)


def _probe_predicate(viewer: Viewer, item: Probe) -> bool:
    return tier_allows(viewer, item.tier, item.sharing_group_id, item.author_organisation_id)


@pytest.fixture
def probe_table(app, ctx, monkeypatch):
    engine = app.extensions["db_engine"]
    ProbeBase.metadata.drop_all(engine)
    ProbeBase.metadata.create_all(engine)
    monkeypatch.setitem(policy._READ_RULES, Probe, policy.ReadRule(clause=_probe_clause, predicate=_probe_predicate))
    yield
    session().close()  # end the request's transaction: on PostgreSQL DROP TABLE waits for its locks
    ProbeBase.metadata.drop_all(engine)


@pytest.fixture
def world(app, ctx, probe_table, make_org, make_user, make_group):
    """Organisations A, B, C; group G (user x of B directly, organisation C wholesale); group H (nobody here)."""
    org_a, org_b, org_c = make_org(name="Org A"), make_org(name="Org B"), make_org(name="Org C")
    x = make_user(org=org_b, clearance="confidential", name="x in G directly")
    group_g = make_group(name="G", organisations=[org_c], users=[x])
    group_h = make_group(name="H")
    people = {
        "anonymous": None,
        "pending (confidential clearance)": make_user(org=org_a, clearance="confidential", status="pending"),
        "unverified org (confidential)": make_user(org=make_org(verified=False), clearance="confidential"),
        "deactivated (confidential)": make_user(org=org_a, clearance="confidential", status="deactivated"),
        "community A": make_user(org=org_a, clearance="community"),
        "restricted A": make_user(org=org_a, clearance="restricted"),
        "restricted B": make_user(org=org_b, clearance="restricted"),
        "confidential A (not in G)": make_user(org=org_a, clearance="confidential"),
        "confidential B in G directly": x,
        "confidential C in G via org": make_user(org=org_c, clearance="confidential"),
        "restricted C in G via org": make_user(org=org_c, clearance="restricted"),
        "admin (community)": make_user(org=org_a, roles=("admin",), clearance="community"),
        "admin (confidential, other org)": make_user(org=make_org(), roles=("admin",), clearance="confidential"),
        "facilitator (restricted B)": make_user(org=org_b, roles=("facilitator",), clearance="restricted"),
    }
    db = session()
    viewers = {
        label: ANONYMOUS if user is None else viewer_for(db.get(User, user.id), db) for label, user in people.items()
    }
    items = []
    for tier, group, author in itertools.product(
        Tier, (None, group_g.id, group_h.id), (None, org_a.id, org_b.id, org_c.id)
    ):
        items.append(Probe(tier=tier, sharing_group_id=group, author_organisation_id=author))
    db.add_all(items)
    db.commit()
    return {"viewers": viewers, "items": items, "orgs": (org_a, org_b, org_c), "groups": (group_g, group_h)}


def test_predicate_and_sql_agree_for_every_viewer_and_item(world):
    db = session()
    assert len(world["items"]) == 4 * 3 * 4
    for label, viewer in world["viewers"].items():
        through_sql = set(db.scalars(visible(select(Probe.id), viewer, Probe)))
        through_python = {item.id for item in world["items"] if can_view(viewer, item)}
        assert through_sql == through_python, label
        count = db.scalar(visible(select(func.count(Probe.id)), viewer, Probe))
        assert count == len(through_python), label


def test_the_table_of_design_section_2(world):
    v = world["viewers"]
    org_a, org_b, org_c = (o.id for o in world["orgs"])
    group_g, group_h = (g.id for g in world["groups"])

    def allowed(label, tier, group=None, author=org_a):
        return tier_allows(v[label], tier, group, author)

    # public: anyone
    for label in v:
        assert allowed(label, Tier.PUBLIC), label
    # community: every verified member, nobody unverified
    assert allowed("community A", Tier.COMMUNITY, author=org_b)
    for label in ("anonymous", "pending (confidential clearance)", "unverified org (confidential)",
                  "deactivated (confidential)"):
        assert not allowed(label, Tier.COMMUNITY), label
    # restricted: clearance restricted or higher
    assert not allowed("community A", Tier.RESTRICTED)
    assert allowed("restricted B", Tier.RESTRICTED, author=org_a)
    # confidential without group: the author's organisation, with confidential clearance
    assert allowed("confidential A (not in G)", Tier.CONFIDENTIAL, author=org_a)
    assert not allowed("confidential B in G directly", Tier.CONFIDENTIAL, author=org_a)
    assert not allowed("restricted A", Tier.CONFIDENTIAL, author=org_a)
    # confidential with a group: the group only (directly or through the organisation), not even the author's org
    assert allowed("confidential B in G directly", Tier.CONFIDENTIAL, group=group_g, author=org_a)
    assert allowed("confidential C in G via org", Tier.CONFIDENTIAL, group=group_g, author=org_a)
    assert not allowed("confidential A (not in G)", Tier.CONFIDENTIAL, group=group_g, author=org_a)
    assert not allowed("restricted C in G via org", Tier.CONFIDENTIAL, group=group_g, author=org_a)
    assert not allowed("confidential C in G via org", Tier.CONFIDENTIAL, group=group_h, author=org_a)
    # below confidential a group narrows the audience to the group and the author's organisation
    assert allowed("restricted C in G via org", Tier.RESTRICTED, group=group_g, author=org_b)
    assert allowed("restricted A", Tier.RESTRICTED, group=group_g, author=org_a)
    assert not allowed("restricted B", Tier.RESTRICTED, group=group_h, author=org_a)


def test_admins_are_not_granted_confidential_reading(world):
    v = world["viewers"]
    org_a = world["orgs"][0].id
    group_g = world["groups"][0].id
    assert v["admin (community)"].is_admin
    assert not tier_allows(v["admin (community)"], Tier.CONFIDENTIAL, None, org_a)
    assert not tier_allows(v["admin (community)"], Tier.RESTRICTED, None, org_a)
    assert not tier_allows(v["admin (confidential, other org)"], Tier.CONFIDENTIAL, None, org_a)
    assert not tier_allows(v["admin (confidential, other org)"], Tier.CONFIDENTIAL, group_g, org_a)
    db = session()
    confidential = set(db.scalars(visible(select(Probe.id).where(Probe.tier == Tier.CONFIDENTIAL),
                                          v["admin (confidential, other org)"], Probe)))
    assert confidential == set()


def test_pending_roles_have_no_powers(ctx, make_user):
    db = session()
    for status in ("pending", "deactivated"):
        user = make_user(roles=("admin", "facilitator"), clearance="confidential", status=status)
        viewer = viewer_for(db.get(User, user.id), db)
        assert not viewer.is_admin and not viewer.is_facilitator and not viewer.is_verified
        assert viewer.clearance is Tier.PUBLIC and viewer.group_ids == frozenset()
        assert not policy.can_administer(viewer) and not policy.can_post(viewer)
        assert policy.max_authoring_tier(viewer) is Tier.PUBLIC


def test_unknown_entity_yields_nothing(app, ctx, probe_table):
    db = session()
    db.add_all([Unruled(), Unruled()])
    db.commit()
    superuser = Viewer(user_id=1, organisation_id=1, clearance=Tier.CONFIDENTIAL, group_ids=frozenset({1, 2}),
                       is_verified=True, is_facilitator=True, is_admin=True)
    assert db.scalar(select(func.count(Unruled.id))) == 2
    assert list(db.scalars(visible(select(Unruled), superuser, Unruled))) == []
    assert can_view(superuser, db.scalars(select(Unruled)).first()) is False
    assert can_view(superuser, None) is False


def test_predicate_that_raises_denies(ctx, probe_table, monkeypatch):
    def broken(viewer, item):
        raise RuntimeError("boom")

    monkeypatch.setitem(policy._READ_RULES, Probe, policy.ReadRule(clause=_probe_clause, predicate=broken))
    viewer = Viewer(user_id=1, organisation_id=1, clearance=Tier.CONFIDENTIAL, is_verified=True)
    assert can_view(viewer, Probe(tier=Tier.PUBLIC)) is False


def test_item_with_missing_tier_is_denied(ctx, probe_table):
    viewer = Viewer(user_id=1, organisation_id=1, clearance=Tier.CONFIDENTIAL, is_verified=True)
    assert can_view(viewer, Probe(tier=None, sharing_group_id=None, author_organisation_id=1)) is False


def test_empty_group_list_never_means_no_filter(ctx, probe_table):
    db = session()
    db.add_all([
        Probe(tier=Tier.CONFIDENTIAL, sharing_group_id=7, author_organisation_id=2),
        Probe(tier=Tier.RESTRICTED, sharing_group_id=7, author_organisation_id=2),
        Probe(tier=Tier.RESTRICTED, sharing_group_id=None, author_organisation_id=2),
    ])
    db.commit()
    lonely = Viewer(user_id=1, organisation_id=1, clearance=Tier.CONFIDENTIAL, group_ids=frozenset(),
                    is_verified=True)
    rows = list(db.scalars(visible(select(Probe), lonely, Probe)))
    assert [(r.tier, r.sharing_group_id) for r in rows] == [(Tier.RESTRICTED, None)]
    assert not tier_allows(lonely, Tier.CONFIDENTIAL, 7, 2)
    # and a viewer without an organisation does not match items without an author organisation
    orphan = Viewer(user_id=1, organisation_id=None, clearance=Tier.CONFIDENTIAL, is_verified=True)
    db.add(Probe(tier=Tier.CONFIDENTIAL, sharing_group_id=None, author_organisation_id=None))
    db.commit()
    assert not any(r.tier is Tier.CONFIDENTIAL for r in db.scalars(visible(select(Probe), orphan, Probe)))


def test_clearance_change_takes_effect_on_next_viewer(ctx, make_user):
    from webapp.db import unit_of_work

    user = make_user(clearance="community")
    db = session()
    assert viewer_for(db.get(User, user.id), db).clearance is Tier.COMMUNITY
    with unit_of_work() as work:
        work.get(User, user.id).clearance = Tier.RESTRICTED
    assert viewer_for(db.get(User, user.id), db).clearance is Tier.RESTRICTED


def test_authors_may_only_use_their_own_groups(ctx):
    viewer = Viewer(user_id=1, organisation_id=1, clearance=Tier.RESTRICTED, group_ids=frozenset({3}), is_verified=True)
    assert policy.may_use_group(viewer, 3) and not policy.may_use_group(viewer, 4)
    assert policy.max_authoring_tier(viewer) is Tier.RESTRICTED
