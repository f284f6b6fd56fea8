"""sharing groups have an owner organisation (its facilitators are told of admins' membership changes)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sharing_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sharing_groups_owner_organisation_id'), ['owner_organisation_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sharing_groups_owner_organisation_id_organisations'),
                                    'organisations', ['owner_organisation_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('sharing_groups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sharing_groups_owner_organisation_id_organisations'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sharing_groups_owner_organisation_id'))
        batch_op.drop_column('owner_organisation_id')
