"""dialogue rounds, threads, posts, moderation, notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 06:27:56.110035
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dialogue_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('questions_source', sa.Text(), nullable=False),
    sa.Column('questions_html', sa.Text(), nullable=False),
    sa.Column('tier', webapp.models.types.TierType(), nullable=False),
    sa.Column('sharing_group_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('chatham_house', sa.Boolean(), nullable=False),
    sa.Column('opens_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('closes_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('closed_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('concluded_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('synthesis_source', sa.Text(), nullable=False),
    sa.Column('synthesis_html', sa.Text(), nullable=False),
    sa.Column('synthesis_key_points', sa.JSON(), nullable=False),
    sa.Column('synthesis_paragraphs', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dialogue_rounds_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_dialogue_rounds_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['sharing_group_id'], ['sharing_groups.id'], name=op.f('fk_dialogue_rounds_sharing_group_id_sharing_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_rounds'))
    )
    with op.batch_alter_table('dialogue_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_rounds_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_rounds_sharing_group_id'), ['sharing_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_rounds_tier'), ['tier'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('object_kind', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('read_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('watches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_watches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watches')),
    sa.UniqueConstraint('user_id', 'target_kind', 'target_id', name='uq_watches_user_target')
    )
    with op.batch_alter_table('watches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watches_user_id'), ['user_id'], unique=False)

    op.create_table('dialogue_round_facilitators',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['dialogue_rounds.id'], name=op.f('fk_dialogue_round_facilitators_round_id_dialogue_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dialogue_round_facilitators_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'user_id', name=op.f('pk_dialogue_round_facilitators'))
    )
    with op.batch_alter_table('dialogue_round_facilitators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_round_facilitators_user_id'), ['user_id'], unique=False)

    op.create_table('dialogue_round_invited_organisations',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_dialogue_round_invited_organisations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['dialogue_rounds.id'], name=op.f('fk_dialogue_round_invited_organisations_round_id_dialogue_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'organisation_id', name=op.f('pk_dialogue_round_invited_organisations'))
    )
    with op.batch_alter_table('dialogue_round_invited_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_round_invited_organisations_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('dialogue_round_invited_types',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('stakeholder_type_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['dialogue_rounds.id'], name=op.f('fk_dialogue_round_invited_types_round_id_dialogue_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stakeholder_type_code'], ['stakeholder_types.code'], name=op.f('fk_dialogue_round_invited_types_stakeholder_type_code_stakeholder_types')),
    sa.PrimaryKeyConstraint('round_id', 'stakeholder_type_code', name=op.f('pk_dialogue_round_invited_types'))
    )
    op.create_table('dialogue_round_paragraphs',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('paragraph_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['paragraph_number'], ['call_paragraphs.number'], name=op.f('fk_dialogue_round_paragraphs_paragraph_number_call_paragraphs')),
    sa.ForeignKeyConstraint(['round_id'], ['dialogue_rounds.id'], name=op.f('fk_dialogue_round_paragraphs_round_id_dialogue_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'paragraph_number', name=op.f('pk_dialogue_round_paragraphs'))
    )
    with op.batch_alter_table('dialogue_round_paragraphs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_round_paragraphs_paragraph_number'), ['paragraph_number'], unique=False)

    op.create_table('dialogue_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('tier', webapp.models.types.TierType(), nullable=False),
    sa.Column('sharing_group_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('last_post_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_dialogue_threads_author_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_dialogue_threads_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['round_id'], ['dialogue_rounds.id'], name=op.f('fk_dialogue_threads_round_id_dialogue_rounds')),
    sa.ForeignKeyConstraint(['sharing_group_id'], ['sharing_groups.id'], name=op.f('fk_dialogue_threads_sharing_group_id_sharing_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_threads'))
    )
    with op.batch_alter_table('dialogue_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_threads_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_threads_last_post_at'), ['last_post_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_threads_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_threads_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_threads_sharing_group_id'), ['sharing_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_threads_tier'), ['tier'], unique=False)

    op.create_table('dialogue_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('quoted_post_id', sa.Integer(), nullable=True),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('edited_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('deleted_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('hidden_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('hidden_reason', sa.String(length=500), nullable=False),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_dialogue_posts_author_id_users')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_dialogue_posts_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['dialogue_posts.id'], name=op.f('fk_dialogue_posts_parent_id_dialogue_posts')),
    sa.ForeignKeyConstraint(['quoted_post_id'], ['dialogue_posts.id'], name=op.f('fk_dialogue_posts_quoted_post_id_dialogue_posts')),
    sa.ForeignKeyConstraint(['thread_id'], ['dialogue_threads.id'], name=op.f('fk_dialogue_posts_thread_id_dialogue_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_posts'))
    )
    with op.batch_alter_table('dialogue_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_posts_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_posts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_posts_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_posts_quoted_post_id'), ['quoted_post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_posts_thread_id'), ['thread_id'], unique=False)

    op.create_table('dialogue_thread_paragraphs',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('paragraph_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['paragraph_number'], ['call_paragraphs.number'], name=op.f('fk_dialogue_thread_paragraphs_paragraph_number_call_paragraphs')),
    sa.ForeignKeyConstraint(['thread_id'], ['dialogue_threads.id'], name=op.f('fk_dialogue_thread_paragraphs_thread_id_dialogue_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'paragraph_number', name=op.f('pk_dialogue_thread_paragraphs'))
    )
    with op.batch_alter_table('dialogue_thread_paragraphs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_thread_paragraphs_paragraph_number'), ['paragraph_number'], unique=False)

    op.create_table('dialogue_moderation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_dialogue_moderation_events_actor_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['dialogue_posts.id'], name=op.f('fk_dialogue_moderation_events_post_id_dialogue_posts')),
    sa.ForeignKeyConstraint(['round_id'], ['dialogue_rounds.id'], name=op.f('fk_dialogue_moderation_events_round_id_dialogue_rounds')),
    sa.ForeignKeyConstraint(['thread_id'], ['dialogue_threads.id'], name=op.f('fk_dialogue_moderation_events_thread_id_dialogue_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_moderation_events'))
    )
    with op.batch_alter_table('dialogue_moderation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_moderation_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_moderation_events_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_moderation_events_thread_id'), ['thread_id'], unique=False)

    op.create_table('dialogue_post_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['dialogue_posts.id'], name=op.f('fk_dialogue_post_flags_post_id_dialogue_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_dialogue_post_flags_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dialogue_post_flags_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_post_flags')),
    sa.UniqueConstraint('post_id', 'user_id', name='uq_dialogue_post_flags_post_user')
    )
    with op.batch_alter_table('dialogue_post_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_post_flags_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_post_flags_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogue_post_flags_user_id'), ['user_id'], unique=False)

    op.create_table('dialogue_post_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_dialogue_post_revisions_editor_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['dialogue_posts.id'], name=op.f('fk_dialogue_post_revisions_post_id_dialogue_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogue_post_revisions'))
    )
    with op.batch_alter_table('dialogue_post_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogue_post_revisions_post_id'), ['post_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('dialogue_post_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_post_revisions_post_id'))

    op.drop_table('dialogue_post_revisions')
    with op.batch_alter_table('dialogue_post_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_post_flags_user_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_post_flags_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_dialogue_post_flags_post_id'))

    op.drop_table('dialogue_post_flags')
    with op.batch_alter_table('dialogue_moderation_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_moderation_events_thread_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_moderation_events_round_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_moderation_events_occurred_at'))

    op.drop_table('dialogue_moderation_events')
    with op.batch_alter_table('dialogue_thread_paragraphs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_thread_paragraphs_paragraph_number'))

    op.drop_table('dialogue_thread_paragraphs')
    with op.batch_alter_table('dialogue_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_posts_thread_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_posts_quoted_post_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_posts_parent_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_posts_created_at'))
        batch_op.drop_index(batch_op.f('ix_dialogue_posts_author_id'))

    op.drop_table('dialogue_posts')
    with op.batch_alter_table('dialogue_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_tier'))
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_sharing_group_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_round_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_last_post_at'))
        batch_op.drop_index(batch_op.f('ix_dialogue_threads_author_id'))

    op.drop_table('dialogue_threads')
    with op.batch_alter_table('dialogue_round_paragraphs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_round_paragraphs_paragraph_number'))

    op.drop_table('dialogue_round_paragraphs')
    op.drop_table('dialogue_round_invited_types')
    with op.batch_alter_table('dialogue_round_invited_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_round_invited_organisations_organisation_id'))

    op.drop_table('dialogue_round_invited_organisations')
    with op.batch_alter_table('dialogue_round_facilitators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_round_facilitators_user_id'))

    op.drop_table('dialogue_round_facilitators')
    with op.batch_alter_table('watches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watches_user_id'))

    op.drop_table('watches')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')
        batch_op.drop_index(batch_op.f('ix_notifications_created_at'))

    op.drop_table('notifications')
    with op.batch_alter_table('dialogue_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogue_rounds_tier'))
        batch_op.drop_index(batch_op.f('ix_dialogue_rounds_sharing_group_id'))
        batch_op.drop_index(batch_op.f('ix_dialogue_rounds_organisation_id'))

    op.drop_table('dialogue_rounds')
    # ### end Alembic commands ###
