"""submissions read-rule index also covers the browse counts' columns (kind, stage, published_at, chatham_house)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 10:30:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

NARROW = ['status', 'tier', 'sharing_group_id', 'author_organisation_id', 'author_id']
COVERING = NARROW + ['kind', 'lifecycle_stage', 'published_at', 'chatham_house']


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_search_access')
        batch_op.create_index('ix_submissions_search_access', COVERING, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_search_access')
        batch_op.create_index('ix_submissions_search_access', NARROW, unique=False)
