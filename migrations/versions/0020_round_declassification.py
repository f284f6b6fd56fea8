"""declassification proposals and scheduled releases also for dialogue rounds (a target kind and a round id)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 13:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tier_proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_kind', sa.String(length=12), nullable=False,
                                      server_default='submission'))
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.alter_column('submission_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_tier_proposals_round_id'), ['round_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tier_proposals_round_id_dialogue_rounds'), 'dialogue_rounds',
                                    ['round_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('scheduled_releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_kind', sa.String(length=12), nullable=False,
                                      server_default='submission'))
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_scheduled_releases_round_id'), ['round_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_scheduled_releases_round_id_dialogue_rounds'), 'dialogue_rounds',
                                    ['round_id'], ['id'], ondelete='SET NULL')
    for table in ('tier_proposals', 'scheduled_releases'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('target_kind', server_default=None)


def downgrade() -> None:
    # Round proposals and releases have no place in the older schema: they go with it.
    op.execute("DELETE FROM tier_proposals WHERE target_kind = 'round'")
    op.execute("DELETE FROM scheduled_releases WHERE target_kind = 'round'")
    with op.batch_alter_table('scheduled_releases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_scheduled_releases_round_id_dialogue_rounds'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_scheduled_releases_round_id'))
        batch_op.drop_column('round_id')
        batch_op.drop_column('target_kind')
    with op.batch_alter_table('tier_proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tier_proposals_round_id_dialogue_rounds'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tier_proposals_round_id'))
        batch_op.alter_column('submission_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('round_id')
        batch_op.drop_column('target_kind')
