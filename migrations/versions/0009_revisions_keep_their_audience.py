"""revisions keep the tier, sharing group and organisation they were written under

Until now a revision was readable whenever its item was, so lowering an item published the text removed before
(issue 8, defect 1). Each submission revision and post revision now records its audience; the read rule checks it
on top of the item's (DESIGN.md §7).

Backfill of existing rows, chosen to never grant more than the rule allows:

* Submission revisions take the tier and sharing group from their own snapshot, which has always recorded the
  submission's tier and group right after that edit, i.e. exactly the audience the revision was written under, and
  the organisation from the submission (set at creation, never changed). Copying the item's *current* audience
  instead would keep every past leak open: the old revisions of an item already lowered would stay readable at the
  lowered tier. Reading needs the item's rule as well, so a snapshot audience can only narrow, never widen, what
  is readable today. Only where a snapshot lacks a valid tier is the item's current audience used (what readers
  could see until now, no wider); a snapshot group that no longer exists becomes the narrowest audience there is,
  confidential to the author's organisation (fail closed).
* Post revisions take their thread's current audience: nothing recorded which audience a thread had when an older
  version was written (the audit log has the tier changes, but not in a form safe to replay). Post revisions of
  rounds or threads lowered or moved before this migration stay readable as they were until now; every version
  written from now on keeps its audience.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import webapp.models.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TIER_CODES = {'public': 0, 'community': 1, 'restricted': 2, 'confidential': 3}
CONFIDENTIAL = 3
BATCH = 500


def _add_columns(table: str, organisation_column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier', webapp.models.types.TierType(), nullable=True))
        batch_op.add_column(sa.Column('sharing_group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column(organisation_column, sa.Integer(), nullable=True))


def _finish_columns(table: str, organisation_column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column('tier', existing_type=webapp.models.types.TierType(), nullable=False)
        batch_op.alter_column(organisation_column, existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f(f'fk_{table}_sharing_group_id_sharing_groups'),
                                    'sharing_groups', ['sharing_group_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f(f'fk_{table}_{organisation_column}_organisations'),
                                    'organisations', [organisation_column], ['id'])


def _snapshot_audience(snapshot, current_tier: int, current_group, groups: set[int]) -> tuple[int, int | None]:
    """The (tier, group) a submission revision was written under, from its snapshot; see the module docstring."""
    if not isinstance(snapshot, dict) or snapshot.get('tier') not in TIER_CODES:
        return current_tier, current_group
    group = snapshot.get('sharing_group_id')
    if group is not None and (not isinstance(group, int) or group not in groups):
        return CONFIDENTIAL, None
    return TIER_CODES[snapshot['tier']], group


def _backfill_submission_revisions(conn) -> None:
    revisions = sa.table('submission_revisions', sa.column('id', sa.Integer()), sa.column('submission_id', sa.Integer()),
                         sa.column('snapshot', sa.JSON()), sa.column('tier', sa.Integer()),
                         sa.column('sharing_group_id', sa.Integer()), sa.column('author_organisation_id', sa.Integer()))
    submissions = sa.table('submissions', sa.column('id', sa.Integer()), sa.column('tier', sa.Integer()),
                           sa.column('sharing_group_id', sa.Integer()), sa.column('author_organisation_id', sa.Integer()))
    groups = set(conn.scalars(sa.select(sa.table('sharing_groups', sa.column('id', sa.Integer())).c.id)))
    update = (
        sa.update(revisions).where(revisions.c.id == sa.bindparam('revision_id'))
        .values(tier=sa.bindparam('new_tier'), sharing_group_id=sa.bindparam('new_group'),
                author_organisation_id=sa.bindparam('new_org'))
    )
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(revisions.c.id, revisions.c.snapshot, submissions.c.tier, submissions.c.sharing_group_id,
                      submissions.c.author_organisation_id)
            .join(submissions, submissions.c.id == revisions.c.submission_id)
            .where(revisions.c.id > last_id).order_by(revisions.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for revision_id, snapshot, tier, group, organisation in rows:
            new_tier, new_group = _snapshot_audience(snapshot, tier, group, groups)
            values.append({'revision_id': revision_id, 'new_tier': new_tier, 'new_group': new_group,
                           'new_org': organisation})
        conn.execute(update, values)
        last_id = rows[-1][0]


def _backfill_post_revisions(conn) -> None:
    def from_thread(column: str):
        return sa.text(
            f'(SELECT t.{column} FROM dialogue_posts p JOIN dialogue_threads t ON t.id = p.thread_id '
            'WHERE p.id = dialogue_post_revisions.post_id)'
        )

    conn.execute(sa.text(
        'UPDATE dialogue_post_revisions SET '
        f'tier = {from_thread("tier")}, sharing_group_id = {from_thread("sharing_group_id")}, '
        f'organisation_id = {from_thread("organisation_id")}'
    ))


def upgrade() -> None:
    _add_columns('submission_revisions', 'author_organisation_id')
    _add_columns('dialogue_post_revisions', 'organisation_id')
    conn = op.get_bind()
    _backfill_submission_revisions(conn)
    _backfill_post_revisions(conn)
    _finish_columns('submission_revisions', 'author_organisation_id')
    _finish_columns('dialogue_post_revisions', 'organisation_id')


def downgrade() -> None:
    for table, organisation_column in (('dialogue_post_revisions', 'organisation_id'),
                                       ('submission_revisions', 'author_organisation_id')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_{organisation_column}_organisations'), type_='foreignkey')
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_sharing_group_id_sharing_groups'), type_='foreignkey')
            batch_op.drop_column(organisation_column)
            batch_op.drop_column('sharing_group_id')
            batch_op.drop_column('tier')
