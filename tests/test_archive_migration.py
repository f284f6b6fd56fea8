"""Migration 0006 renders the key points of syntheses already stored (before 0006 they were kept as sources only)."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import create_engine


def test_0006_renders_existing_key_points(tmp_path):
    from alembic import command

    from webapp import create_app
    from webapp.cli import alembic_config
    from webapp.models import Submission

    url = f"sqlite:///{tmp_path / 'keypoints.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    values = {"id": 1, "kind": "outcome_synthesis", "status": "published", "tier": 0, "author_id": 1,
              "author_organisation_id": 1, "title": "Outcome", "chatham_house": False,
              "key_points": {"state": "States want **norms**. <script>x</script>"}, "keywords": []}
    with app.app_context():
        command.upgrade(alembic_config(), "0005")
        engine = create_engine(url)  # no foreign-key pragma: a bare row is enough to test the data step
        columns = [c for c in Submission.__table__.columns if c.name != "key_points_html"]
        table = sa.table("submissions", *[sa.column(c.name, c.type) for c in columns])
        row = {}
        for column in columns:
            if column.name in values:
                row[column.name] = values[column.name]
            elif column.nullable:
                row[column.name] = None
            elif isinstance(column.type, sa.JSON):
                row[column.name] = {}
            elif isinstance(column.type, sa.Boolean):
                row[column.name] = False
            elif column.name.endswith("_at"):
                row[column.name] = now
            else:
                row[column.name] = ""
        with engine.begin() as conn:
            conn.execute(table.insert().values(**row))
        command.upgrade(alembic_config(), "head")
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT key_points_html FROM submissions WHERE id = 1")).scalar_one()
        engine.dispose()
    assert "<strong>norms</strong>" in stored and "<script>" not in stored
