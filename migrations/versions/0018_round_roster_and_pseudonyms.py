"""dialogue rounds may hide their roster of invited organisations (participants see counts by type) and give
Chatham House threads stored per-thread pseudonyms

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 11:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dialogue_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_roster', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('thread_pseudonyms', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('dialogue_rounds', schema=None) as batch_op:
        batch_op.alter_column('hidden_roster', server_default=None)
        batch_op.alter_column('thread_pseudonyms', server_default=None)
    op.create_table('thread_pseudonyms',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['dialogue_threads.id'], name=op.f('fk_thread_pseudonyms_thread_id_dialogue_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_thread_pseudonyms_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'user_id', name=op.f('pk_thread_pseudonyms')),
    sa.UniqueConstraint('thread_id', 'position', name='uq_thread_pseudonyms_thread_position')
    )
    with op.batch_alter_table('thread_pseudonyms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_pseudonyms_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('thread_pseudonyms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_pseudonyms_user_id'))
    op.drop_table('thread_pseudonyms')
    with op.batch_alter_table('dialogue_rounds', schema=None) as batch_op:
        batch_op.drop_column('thread_pseudonyms')
        batch_op.drop_column('hidden_roster')
