"""the data generation of counts and facets (issue 15): one row every content write bumps in its transaction

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 16:50:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    generation = op.create_table('content_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('generation', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_generation'))
    )
    op.bulk_insert(generation, [{'id': 1, 'token': secrets.token_hex(16), 'generation': 0}])


def downgrade() -> None:
    op.drop_table('content_generation')
