"""tear lines: submissions keep a tier per section above the item's tier (section → tier code)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 13:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        # Every existing section keeps its item's tier: an empty map.
        batch_op.add_column(sa.Column('section_tiers', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.alter_column('section_tiers', server_default=None)


def downgrade() -> None:
    # Dropping the column would put every torn-off section at its item's tier, opening it to the item's readers:
    # refuse while any item has a tear line (raise those items' tiers, or clear their tear lines, first).
    torn = op.get_bind().execute(sa.text(
        "SELECT id, section_tiers FROM submissions")).all()
    marked = [row[0] for row in torn if row[1] not in (None, '', '{}', {}) and str(row[1]).strip() not in ('{}', 'null')]
    if marked:
        raise RuntimeError(
            f"{len(marked)} submissions have sections above their item's tier (e.g. #{marked[0]}); downgrading "
            "would open those sections to the item's readers. Clear the tear lines first.")
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('section_tiers')
