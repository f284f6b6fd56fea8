"""submissions.key_points_html: key points of outcome syntheses rendered and sanitized on write

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 07:37:08.836551
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows get an empty mapping first, then syntheses are rendered from their stored sources.
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_points_html', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    from webapp.sanitize import markdown_to_html

    submissions = sa.table(
        'submissions', sa.column('id', sa.Integer), sa.column('key_points', sa.JSON),
        sa.column('key_points_html', sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(submissions.c.id, submissions.c.key_points)).all()
    for submission_id, points in rows:
        if points:
            rendered = {code: markdown_to_html(text) for code, text in points.items()}
            connection.execute(
                submissions.update().where(submissions.c.id == submission_id).values(key_points_html=rendered)
            )

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.alter_column('key_points_html', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('key_points_html')
