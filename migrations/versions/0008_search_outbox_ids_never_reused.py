"""search_outbox ids are never reused (SQLite AUTOINCREMENT)

An applier deleting the ids it read must never delete a newer entry that received a reused id.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 11:00:00
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _recreate(autoincrement: bool) -> None:
    # PostgreSQL: a sequence never reuses values; only SQLite needs the table rebuilt with AUTOINCREMENT.
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('search_outbox', recreate='always',
                              table_kwargs={'sqlite_autoincrement': autoincrement}) as batch_op:
        pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
