"""the database's identity and search position (the index records which database and change it was built from),
and idempotency keys of form submissions

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 13:45:00
"""
import secrets

from alembic import op
import sqlalchemy as sa

import webapp.models.types


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    identity = op.create_table('database_identity',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('database_id', sa.String(length=32), nullable=False),
    sa.Column('search_position', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_database_identity'))
    )
    op.bulk_insert(identity, [{'id': 1, 'database_id': secrets.token_hex(16), 'search_position': 0}])
    op.create_table('form_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('form', sa.String(length=40), nullable=False),
    sa.Column('result_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_form_submissions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submissions')),
    sa.UniqueConstraint('user_id', 'key', name='uq_form_submissions_user_key')
    )
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submissions_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_submissions_created_at'))
    op.drop_table('form_submissions')
    op.drop_table('database_identity')
