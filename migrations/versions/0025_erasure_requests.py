"""erasure requests (issue 14): an erased person's request that their contributions be deleted waits for their
organisation's answer (a focal point, or an administrator with the organisation's documented agreement)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 17:00:00
"""
from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erasure_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', UTCDateTime(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_erasure_requests_user_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_erasure_requests_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_erasure_requests_asked_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_erasure_requests_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_requests'))
    )
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_requests_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasure_requests_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasure_requests_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_requests_state'))
        batch_op.drop_index(batch_op.f('ix_erasure_requests_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_erasure_requests_user_id'))
    op.drop_table('erasure_requests')
