"""The archive's read rule as SQL (policy.visible) and as a predicate (policy.can_view) agree on a full
viewer × item matrix: every tier, status, sharing group and authorship combination — and, for revisions, every
audience a revision may have been written under (DESIGN.md §7)."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, update

from tests.archive_helpers import practice_data, viewer
from webapp import policy
from webapp.db import session, unit_of_work
from webapp.models import Submission, SubmissionRevision, SubmissionStatus, Tier
from webapp.policy import tier_allows
from webapp.policy.archive import (
    can_change_tier,
    can_declassify,
    can_edit_submission,
    can_review,
    can_withdraw,
    is_originator,
)
from webapp.services.submissions import create_submission


@pytest.fixture
def grid(app, make_user, make_org, make_group):
    org = make_org()
    other_org = make_org()
    author = make_user(clearance="confidential", org=org)
    colleague = make_user(clearance="confidential", org=org)
    group_member = make_user(clearance="confidential")
    group = make_group(users=(author, group_member))
    viewers = {
        "anonymous": None,
        "pending": make_user(status="pending", clearance="confidential"),
        "community": make_user(clearance="community"),
        "restricted": make_user(clearance="restricted"),
        "confidential": make_user(clearance="confidential"),
        "group_member": group_member,
        "colleague": colleague,
        "author": author,
        "facilitator": make_user(clearance="confidential", roles=("facilitator",)),
        "group_facilitator": None,
        "admin": make_user(clearance="confidential", roles=("admin",)),
    }
    viewers["group_facilitator"] = make_user(clearance="restricted", roles=("facilitator",))
    items = []
    with app.test_request_context():
        for tier, with_group in itertools.product(("public", "community", "restricted", "confidential"), (False, True)):
            legacy = tier == "public" and with_group  # the services refuse public + group; rows may still exist
            made = create_submission(viewer(author), "good_practice", practice_data(
                tier="community" if legacy else tier, sharing_group_id=group.id if with_group else None))
            if legacy:
                with unit_of_work() as db:
                    db.get(Submission, made.id).tier = Tier.PUBLIC
            items.append(made.id)
    # Every status for every tier/group combination (set directly: this test is about reading, not the workflow).
    ids_by_status = {}
    with app.test_request_context():
        for status in SubmissionStatus:
            with unit_of_work() as db:
                for item_id in items:
                    source = db.get(Submission, item_id)
                    copy = Submission(**{c.key: getattr(source, c.key) for c in Submission.__table__.columns
                                         if c.key != "id"})
                    copy.status = status
                    db.add(copy)
                    db.flush()
                    ids_by_status.setdefault(status, []).append(copy.id)
                    db.add(SubmissionRevision(submission_id=copy.id, number=1, author_id=author.id, snapshot={},
                                              tier=copy.tier, sharing_group_id=copy.sharing_group_id,
                                              author_organisation_id=copy.author_organisation_id))
                    # Revisions written under every other audience: before a raise, a lowering or a regrouping.
                    audiences = itertools.product(Tier, (None, group.id), (org.id, other_org.id))
                    for number, (tier, group_id, org_id) in enumerate(audiences, start=2):
                        db.add(SubmissionRevision(submission_id=copy.id, number=number, author_id=author.id,
                                                  snapshot={}, note=f"{tier.code}/{group_id}/{org_id}", tier=tier,
                                                  sharing_group_id=group_id, author_organisation_id=org_id))
        with unit_of_work() as db:
            db.execute(update(Submission).where(Submission.id.in_(items)).values(status=SubmissionStatus.WITHDRAWN))
    return viewers


def test_clause_and_predicate_agree(grid, app):
    with app.test_request_context():
        db = session()
        everything = list(db.scalars(select(Submission)))
        assert len(everything) >= 48
        for name, user in grid.items():
            v = viewer(user)
            by_sql = set(db.scalars(policy.visible(select(Submission.id), v, Submission)))
            by_predicate = {s.id for s in everything if policy.can_view(v, s)}
            assert by_sql == by_predicate, name
            revisions = set(db.scalars(policy.visible(select(SubmissionRevision.submission_id), v, SubmissionRevision)))
            assert revisions <= by_sql and {r for r in by_sql if r in revisions} == revisions, name
            every_revision = list(db.scalars(select(SubmissionRevision)))
            revisions_by_sql = set(db.scalars(policy.visible(select(SubmissionRevision.id), v, SubmissionRevision)))
            assert revisions_by_sql == {r.id for r in every_revision if policy.can_view(v, r)}, name
            for revision in every_revision:
                # Readable exactly when the item is now AND the audience it was written under admits the viewer.
                expected = revision.submission_id in by_sql and tier_allows(
                    v, revision.tier, revision.sharing_group_id, revision.author_organisation_id)
                assert (revision.id in revisions_by_sql) is expected, (name, revision.note)
            for item in everything:
                # write predicates never grant more than reading
                for predicate in (can_edit_submission, can_review, can_withdraw, can_declassify, can_change_tier,
                                  is_originator):
                    if predicate(v, item):
                        assert item.id in by_sql, (name, predicate.__name__, item.id)


def test_expected_visibility_samples(grid, app):
    with app.test_request_context():
        db = session()
        rows = list(db.scalars(select(Submission)))

        def sees(name, tier, status, grouped):
            v = viewer(grid[name])
            return [s for s in rows if s.tier.code == tier and s.status is status
                    and (s.sharing_group_id is not None) == grouped and policy.can_view(v, s)] != []

        published, draft, submitted = SubmissionStatus.PUBLISHED, SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED
        assert sees("anonymous", "public", published, False)
        assert not sees("anonymous", "community", published, False)
        assert not sees("pending", "community", published, False)
        assert sees("community", "community", published, False)
        assert not sees("community", "community", published, True)  # group narrows below confidential too
        assert sees("colleague", "community", published, True)  # ... but the author's organisation keeps it
        assert not sees("confidential", "confidential", published, False)  # another organisation
        assert sees("colleague", "confidential", published, False)  # no group: the author's organisation
        assert not sees("colleague", "confidential", published, True)  # group set: exactly the group
        assert sees("group_member", "confidential", published, True)
        assert not sees("admin", "confidential", published, True)  # admins manage people, not content
        assert sees("author", "public", draft, False) and not sees("colleague", "public", draft, False)
        assert not sees("facilitator", "public", draft, False)
        assert sees("facilitator", "restricted", submitted, False)
        assert not sees("group_facilitator", "confidential", submitted, False)  # reviewers keep the tier rule
        assert not sees("facilitator", "public", SubmissionStatus.RETURNED, False)
        assert not sees("facilitator", "public", SubmissionStatus.WITHDRAWN, False)
        assert sees("community", "public", SubmissionStatus.ARCHIVED, False)


def test_revisions_keep_the_audience_they_were_written_under(grid, app):
    """Lowering an item never lowers its past; raising it raises its past with it."""
    with app.test_request_context():
        db = session()
        published = [s for s in db.scalars(select(Submission)) if s.status is SubmissionStatus.PUBLISHED]

        def audience(revision, item) -> str:
            """'tier/group|none/own|other' of a revision made by the grid (its note holds tier/group/org)."""
            tier, group_id, org_id = revision.note.split("/")
            return "/".join((tier, "none" if group_id == "None" else "group",
                             "own" if org_id == str(item.author_organisation_id) else "other"))

        def reads(name, item_tier, grouped, written_under):
            item = next(s for s in published if s.tier.code == item_tier and (s.sharing_group_id is not None) == grouped)
            [revision] = [r for r in item.revisions if "/" in r.note and audience(r, item) == written_under]
            return policy.can_view(viewer(grid[name]), revision)

        # A public item whose earlier revisions were written at higher tiers.
        assert reads("anonymous", "public", False, "public/none/own")
        assert not reads("anonymous", "public", False, "community/none/own")
        assert not reads("community", "public", False, "restricted/none/own")
        assert reads("restricted", "public", False, "restricted/none/own")
        assert not reads("confidential", "public", False, "confidential/none/own")  # another organisation
        assert reads("colleague", "public", False, "confidential/none/own")  # the author's organisation
        assert not reads("colleague", "public", False, "confidential/none/other")  # ... of that revision
        assert reads("group_member", "public", False, "confidential/group/own")
        assert not reads("colleague", "public", False, "confidential/group/own")  # group set: exactly the group
        assert not reads("community", "public", False, "community/group/own")  # the group narrowed it then
        assert not reads("admin", "public", False, "confidential/group/own")
        # An item raised since: its public past is read at the item's tier now, never below it.
        assert not reads("community", "restricted", False, "public/none/own")
        assert reads("restricted", "restricted", False, "public/none/own")
        assert not reads("confidential", "confidential", True, "public/none/own")  # not in the group now
        assert reads("group_member", "confidential", True, "public/none/own")
