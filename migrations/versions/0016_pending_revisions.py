"""pending revisions: an edit of a published item waits for a reviewer (DESIGN.md rule 9)

`submission_revisions.review_state`: '' for an ordinary revision (drafts, workflow steps), 'published' for a
revision readers were shown, 'pending' for a proposed edit of a published item, 'returned' when a reviewer sent it
back, 'replaced' when its author proposed a newer one before review. Existing rows become '' (they were all live
at once, as the rule was until now); the revisions written by publishing become 'published'.

`submissions.superseded_by_id`: the published newer version of a responsible-AI policy that replaces this one in
lists, paragraph pages and search. Left empty for existing rows (every version stays listed, as until now).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 11:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_state', sa.String(length=16), nullable=False, server_default=''))
    op.execute("UPDATE submission_revisions SET review_state = 'published' WHERE note = 'published'")
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_submissions_superseded_by_id_submissions'),
                                    'submissions', ['superseded_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submissions_superseded_by_id_submissions'), type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
    with op.batch_alter_table('submission_revisions', schema=None) as batch_op:
        batch_op.drop_column('review_state')
