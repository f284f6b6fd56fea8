"""notification preferences, digest delivery, announced-event marks, per-thread read marks

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:30:00
"""
import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.add_column(sa.Column('delivery', sa.String(length=10), server_default='in_app', nullable=False))
        batch_op.add_column(sa.Column('mailed_at', UTCDateTime(), nullable=True))
        batch_op.create_index('ix_notifications_digest', ['delivery', 'mailed_at'], unique=False)
    op.create_table(
        'notification_preferences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('delivery', sa.String(length=10), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
        sa.UniqueConstraint('user_id', 'event', name='uq_notification_preferences_user_event'),
    )
    op.create_index(op.f('ix_notification_preferences_user_id'), 'notification_preferences', ['user_id'], unique=False)
    op.create_table(
        'notification_marks',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_notification_marks')),
    )
    op.create_table(
        'thread_reads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('last_post_id', sa.Integer(), nullable=False),
        sa.Column('read_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['thread_id'], ['dialogue_threads.id'],
                                name=op.f('fk_thread_reads_thread_id_dialogue_threads'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_thread_reads_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_reads')),
        sa.UniqueConstraint('user_id', 'thread_id', name='uq_thread_reads_user_thread'),
    )
    op.create_index(op.f('ix_thread_reads_thread_id'), 'thread_reads', ['thread_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_thread_reads_thread_id'), table_name='thread_reads')
    op.drop_table('thread_reads')
    op.drop_table('notification_marks')
    op.drop_index(op.f('ix_notification_preferences_user_id'), table_name='notification_preferences')
    op.drop_table('notification_preferences')
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.drop_index('ix_notifications_digest')
        batch_op.drop_column('mailed_at')
        batch_op.drop_column('delivery')
