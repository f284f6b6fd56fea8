"""translations of submissions and the language of each item (issue 13)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 00:32:50
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.types


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('submission_translations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('sections_html', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('review_state', sa.String(length=16), nullable=False),
    sa.Column('reviewer_comments', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('reviewed_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('tier', webapp.models.types.TierType(), nullable=False),
    sa.Column('sharing_group_id', sa.Integer(), nullable=True),
    sa.Column('author_organisation_id', sa.Integer(), nullable=False),
    sa.Column('section_tiers', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_submission_translations_author_id_users')),
    sa.ForeignKeyConstraint(['author_organisation_id'], ['organisations.id'], name=op.f('fk_submission_translations_author_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_submission_translations_reviewer_id_users')),
    sa.ForeignKeyConstraint(['sharing_group_id'], ['sharing_groups.id'], name=op.f('fk_submission_translations_sharing_group_id_sharing_groups')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_translations_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_translations'))
    )
    with op.batch_alter_table('submission_translations', schema=None) as batch_op:
        batch_op.create_index('ix_submission_translations_submission_language', ['submission_id', 'language'], unique=False)

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='en', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('submission_translations', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_translations_submission_language')

    op.drop_table('submission_translations')
