"""the PostgreSQL search backend's index in the database: search documents (weighted tsvector, GIN index)
and the lexeme table for "did you mean"

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 13:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import webapp.models.types


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# tsvector (and so the GIN index's operator class) exists only on PostgreSQL; elsewhere the column is unused text.
VECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql')


def upgrade() -> None:
    op.create_table('search_documents',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('date', sa.BigInteger(), nullable=False),
    sa.Column('tier', sa.SmallInteger(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('paragraphs', sa.JSON(), nullable=False),
    sa.Column('stakeholder', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('country', sa.String(length=8), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.Column('vector', VECTOR, nullable=True),
    sa.Column('updated_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_search_documents'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_search_documents_source_object', ['source', 'object_id'], unique=False)
        batch_op.create_index('ix_search_documents_vector', ['vector'], unique=False, postgresql_using='gin')
    op.create_table('search_terms',
    sa.Column('term', sa.Text(), nullable=False),
    sa.Column('initial', sa.String(length=4), nullable=False),
    sa.Column('length', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_search_terms'))
    )
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_search_terms_initial_length', ['initial', 'length'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_initial_length')
    op.drop_table('search_terms')
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_vector', postgresql_using='gin')
        batch_op.drop_index('ix_search_documents_source_object')
    op.drop_table('search_documents')
