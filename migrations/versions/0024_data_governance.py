"""data governance (issue 14): erased people keep a pseudonymous reference; personal data exports; review dates

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime


revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('erased_ref', sa.String(length=40), nullable=True))
    op.create_table('data_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('file_name', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('requested_at', UTCDateTime(), nullable=False),
    sa.Column('ready_at', UTCDateTime(), nullable=True),
    sa.Column('expires_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports'))
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_exports_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_exports_expires_at'), ['expires_at'], unique=False)
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('review_reminded_at', UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_submissions_review_on'), ['review_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_review_on'))
        batch_op.drop_column('review_reminded_at')
        batch_op.drop_column('review_on')
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_exports_expires_at'))
        batch_op.drop_index(batch_op.f('ix_data_exports_user_id'))
    op.drop_table('data_exports')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_ref')
        batch_op.drop_column('erased_at')
