"""archive submissions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:28:44.777039
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lesson_learnt', 'good_practice', 'responsible_ai_policy', 'outcome_synthesis', name='submissionkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'published', 'withdrawn', 'archived', name='submissionstatus', native_enum=False, length=32), nullable=False),
    sa.Column('tier', webapp.models.types.TierType(), nullable=False),
    sa.Column('sharing_group_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('author_organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('observation_source', sa.Text(), nullable=False),
    sa.Column('observation_html', sa.Text(), nullable=False),
    sa.Column('discussion_source', sa.Text(), nullable=False),
    sa.Column('discussion_html', sa.Text(), nullable=False),
    sa.Column('conclusion_source', sa.Text(), nullable=False),
    sa.Column('conclusion_html', sa.Text(), nullable=False),
    sa.Column('recommendation_source', sa.Text(), nullable=False),
    sa.Column('recommendation_html', sa.Text(), nullable=False),
    sa.Column('application_area', sa.String(length=200), nullable=False),
    sa.Column('military_context', sa.String(length=200), nullable=False),
    sa.Column('lifecycle_stage', sa.Enum('design', 'development', 'test_evaluation', 'deployment', 'use', 'retirement', name='lifecyclestage', native_enum=False, length=32), nullable=True),
    sa.Column('lesson_status', sa.Enum('identified', 'remedial_action', 'learnt', name='lessonstatus', native_enum=False, length=32), nullable=True),
    sa.Column('remedial_action_source', sa.Text(), nullable=False),
    sa.Column('remedial_action_html', sa.Text(), nullable=False),
    sa.Column('evidence_source', sa.Text(), nullable=False),
    sa.Column('evidence_html', sa.Text(), nullable=False),
    sa.Column('challenge_source', sa.Text(), nullable=False),
    sa.Column('challenge_html', sa.Text(), nullable=False),
    sa.Column('practice_source', sa.Text(), nullable=False),
    sa.Column('practice_html', sa.Text(), nullable=False),
    sa.Column('evidence_of_effect_source', sa.Text(), nullable=False),
    sa.Column('evidence_of_effect_html', sa.Text(), nullable=False),
    sa.Column('transfer_conditions_source', sa.Text(), nullable=False),
    sa.Column('transfer_conditions_html', sa.Text(), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('scope_source', sa.Text(), nullable=False),
    sa.Column('scope_html', sa.Text(), nullable=False),
    sa.Column('principles_source', sa.Text(), nullable=False),
    sa.Column('principles_html', sa.Text(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('policy_series', sa.String(length=32), nullable=True),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('key_points', sa.JSON(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('chatham_house', sa.Boolean(), nullable=False),
    sa.Column('reviewer_comments_source', sa.Text(), nullable=False),
    sa.Column('reviewer_comments_html', sa.Text(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('published_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('archived_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_submissions_author_id_users')),
    sa.ForeignKeyConstraint(['author_organisation_id'], ['organisations.id'], name=op.f('fk_submissions_author_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_submissions_reviewer_id_users')),
    sa.ForeignKeyConstraint(['sharing_group_id'], ['sharing_groups.id'], name=op.f('fk_submissions_sharing_group_id_sharing_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_author_id_updated_at', ['author_id', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_author_organisation_id'), ['author_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_policy_series'), ['policy_series'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissions_sharing_group_id'), ['sharing_group_id'], unique=False)
        batch_op.create_index('ix_submissions_browse', ['status', 'kind', 'tier', 'published_at', 'lifecycle_stage', 'sharing_group_id', 'author_organisation_id', 'author_id', 'chatham_house', 'id'], unique=False)

    op.create_table('submission_paragraphs',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('paragraph_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['paragraph_number'], ['call_paragraphs.number'], name=op.f('fk_submission_paragraphs_paragraph_number_call_paragraphs')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_paragraphs_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'paragraph_number', name=op.f('pk_submission_paragraphs'))
    )
    with op.batch_alter_table('submission_paragraphs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_paragraphs_paragraph_number'), ['paragraph_number'], unique=False)

    op.create_table('submission_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_submission_revisions_author_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_revisions_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_revisions'))
    )
    with op.batch_alter_table('submission_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_submission_revisions_submission_id_number', ['submission_id', 'number'], unique=True)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('submission_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_revisions_submission_id_number')

    op.drop_table('submission_revisions')
    with op.batch_alter_table('submission_paragraphs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_paragraphs_paragraph_number'))

    op.drop_table('submission_paragraphs')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_browse')
        batch_op.drop_index(batch_op.f('ix_submissions_sharing_group_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_round_id'))
        batch_op.drop_index(batch_op.f('ix_submissions_policy_series'))
        batch_op.drop_index(batch_op.f('ix_submissions_author_organisation_id'))
        batch_op.drop_index('ix_submissions_author_id_updated_at')

    op.drop_table('submissions')
    # ### end Alembic commands ###
