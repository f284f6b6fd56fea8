"""durable outgoing mail (queued in the event's transaction, delivered by the job engine) and job slot claims

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:08:48
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('slot', sa.String(length=32), nullable=False),
    sa.Column('node', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('name', 'slot', name='uq_job_runs_name_slot')
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_started_at'), ['started_at'], unique=False)

    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('dedup_key', sa.String(length=200), nullable=True),
    sa.Column('closing_notice', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', 'cancelled', name='mailstatus', native_enum=False, length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('claim_token', sa.String(length=36), nullable=True),
    sa.Column('lease_until', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('sent_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_outgoing_mail_recipient_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_outgoing_mail_dedup_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outgoing_mail_message_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_mail_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_mail_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_outgoing_mail_status_due', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_mail_status_due')
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_created_at'))

    op.drop_table('outgoing_mail')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_started_at'))

    op.drop_table('job_runs')
