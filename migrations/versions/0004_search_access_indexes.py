"""search access covering indexes (search checks thousands of candidate ids against the read rules)

Re-chain when merging: needs the tables of 0002 (submissions) and 0003 (dialogue_posts).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 06:46:00.005913
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dialogue_posts', schema=None) as batch_op:
        batch_op.create_index('ix_dialogue_posts_search_access', ['thread_id', 'deleted_at', 'hidden_at'], unique=False)

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_search_access', ['status', 'tier', 'sharing_group_id', 'author_organisation_id', 'author_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_search_access')

    with op.batch_alter_table('dialogue_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogue_posts_search_access')

