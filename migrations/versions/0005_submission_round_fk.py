"""submissions.round_id references dialogue_rounds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 07:32:39.494062
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_submissions_round_id_dialogue_rounds'), 'dialogue_rounds', ['round_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submissions_round_id_dialogue_rounds'), type_='foreignkey')

