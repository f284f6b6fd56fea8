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
        # The columns the table has at 0005 (later migrations add more, e.g. key_points_html, superseded_by_id).
        existing = {column["name"] for column in sa.inspect(engine).get_columns("submissions")}
        columns = [c for c in Submission.__table__.columns if c.name in existing]
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


def _insert_bare(engine, table_name: str, values: dict) -> None:
    """Insert one row into a table as it is at the current migration, filling required columns with blanks."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=engine)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        try:
            python_type = column.type.python_type
        except NotImplementedError:  # e.g. a reflected type without a Python equivalent
            python_type = str
        row[column.name] = {dict: {}, bool: False, int: 0, datetime: datetime(2026, 1, 1)}.get(python_type, "")
    with engine.begin() as conn:
        conn.execute(table.insert().values(**row))


def test_0009_backfills_the_audience_each_revision_was_written_under(tmp_path):
    """Submission revisions take the tier and group their snapshot recorded (the audience they were written under),
    the item's current audience only when the snapshot has none, and the narrowest audience when the recorded group
    is gone; post revisions take their thread's audience."""
    from alembic import command

    from webapp import create_app
    from webapp.cli import alembic_config

    url = f"sqlite:///{tmp_path / 'audiences.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        command.upgrade(alembic_config(), "0008")
        engine = create_engine(url)  # no foreign-key pragma: bare rows are enough to test the data step
        _insert_bare(engine, "sharing_groups", {"id": 7, "name": "Group"})
        # Lowered since: public now, with no group.
        _insert_bare(engine, "submissions", {"id": 1, "kind": "lesson_learnt", "status": "published", "tier": 0,
                                             "sharing_group_id": None, "author_id": 1, "author_organisation_id": 5,
                                             "keywords": [], "key_points": {}, "key_points_html": {}})
        snapshots = {
            1: {"tier": "confidential", "sharing_group_id": 7},  # written under the group, confidential
            2: {"tier": "restricted", "sharing_group_id": None},
            3: {"title": "no audience recorded"},  # → the item's current audience
            4: {"tier": "confidential", "sharing_group_id": 99},  # a group that no longer exists → narrowest
            5: {"tier": "public", "sharing_group_id": None},
        }
        for number, snapshot in snapshots.items():
            _insert_bare(engine, "submission_revisions", {"id": number, "submission_id": 1, "number": number,
                                                          "author_id": 1, "note": "", "snapshot": snapshot})
        _insert_bare(engine, "dialogue_threads", {"id": 1, "round_id": None, "title": "T", "tier": 2,
                                                  "sharing_group_id": 7, "organisation_id": 6, "author_id": 1})
        _insert_bare(engine, "dialogue_posts", {"id": 1, "thread_id": 1, "author_id": 1, "body_source": "b",
                                                "body_html": "b", "parent_id": None, "quoted_post_id": None})
        _insert_bare(engine, "dialogue_post_revisions", {"id": 1, "post_id": 1, "number": 1, "body_source": "b",
                                                         "body_html": "b", "editor_id": 1})
        command.upgrade(alembic_config(), "head")
        with engine.connect() as conn:
            revisions = conn.execute(sa.text("SELECT number, tier, sharing_group_id, author_organisation_id "
                                             "FROM submission_revisions ORDER BY number")).all()
            post_revision = conn.execute(sa.text("SELECT tier, sharing_group_id, organisation_id "
                                                 "FROM dialogue_post_revisions")).one()
        engine.dispose()
    assert [tuple(row) for row in revisions] == [(1, 3, 7, 5), (2, 2, None, 5), (3, 0, None, 5), (4, 3, None, 5),
                                                 (5, 0, None, 5)]
    assert tuple(post_revision) == (2, 7, 6)


def test_0020_keeps_archive_proposals_and_releases_and_downgrades_without_round_ones(tmp_path):
    """Proposals and releases stored before 0020 are about submissions (target_kind "submission"); going back
    below 0020 drops the round ones, which the older schema cannot hold, and keeps the others."""
    from alembic import command

    from webapp import create_app
    from webapp.cli import alembic_config

    url = f"sqlite:///{tmp_path / 'releases.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
    moment = datetime(2027, 1, 1)
    with app.app_context():
        command.upgrade(alembic_config(), "0018")
        engine = create_engine(url)
        _insert_bare(engine, "tier_proposals", {"id": 1, "submission_id": 4, "proposer_id": 1, "tier": 0,
                                                "reason": "r", "status": "pending", "created_at": moment})
        _insert_bare(engine, "scheduled_releases", {"id": 1, "submission_id": 4, "item_id": 4, "tier": 0,
                                                    "release_at": moment, "status": "pending", "created_at": moment})
        command.upgrade(alembic_config(), "0020")
        with engine.begin() as conn:
            kinds = (conn.execute(sa.text("SELECT target_kind FROM tier_proposals")).scalar_one(),
                     conn.execute(sa.text("SELECT target_kind FROM scheduled_releases")).scalar_one())
            conn.execute(sa.text("INSERT INTO tier_proposals (id, target_kind, submission_id, round_id, proposer_id, "
                                 "tier, reason, status, created_at, answer_reason) VALUES (2, 'round', NULL, 3, 1, "
                                 "0, 'r', 'pending', '2027-01-01 00:00:00', '')"))
        command.downgrade(alembic_config(), "0018")
        with engine.connect() as conn:
            left = conn.execute(sa.text("SELECT id, submission_id FROM tier_proposals")).all()
            releases = conn.execute(sa.text("SELECT id FROM scheduled_releases")).all()
        engine.dispose()
    assert kinds == ("submission", "submission")
    assert [tuple(row) for row in left] == [(1, 4)] and [tuple(row) for row in releases] == [(1,)]
