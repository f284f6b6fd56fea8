"""organisations: focal points, a profile (description, website), merged duplicates; clearance proposals

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:00:00
"""
from alembic import op
import sqlalchemy as sa

import webapp.models.types


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('website', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_organisations_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_organisations_merged_into_id_organisations'),
                                    'organisations', ['merged_into_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column('description', server_default=None)
        batch_op.alter_column('website', server_default=None)

    op.create_table(
        'organisation_focal_points',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_organisation_focal_points_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_organisation_focal_points_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organisation_id', 'user_id', name=op.f('pk_organisation_focal_points')),
    )
    with op.batch_alter_table('organisation_focal_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_focal_points_user_id'), ['user_id'], unique=False)

    op.create_table(
        'clearance_proposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=True),
        sa.Column('clearance', webapp.models.types.TierType(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('status', sa.Enum('pending', 'granted', 'declined', name='proposalstatus', native_enum=False,
                                    length=20), nullable=False),
        sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', webapp.models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_clearance_proposals_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'],
                                name=op.f('fk_clearance_proposals_proposed_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_clearance_proposals_decided_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance_proposals')),
    )
    with op.batch_alter_table('clearance_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_proposals_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearance_proposals_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('clearance_proposals')
    op.drop_table('organisation_focal_points')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_organisations_merged_into_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_organisations_merged_into_id'))
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('website')
        batch_op.drop_column('description')
