"""Migration 0022: each database gets its own random identity (what a search index is checked against), and the
idempotency-key table; both go on downgrade."""
from sqlalchemy import create_engine, inspect, text


def _migrate(tmp_path, name: str, target: str = "head"):
    from alembic import command

    from webapp import create_app
    from webapp.cli import alembic_config

    url = f"sqlite:///{tmp_path / name}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / f"instance-{name}")})
    with app.app_context():
        command.upgrade(alembic_config(), target)
    return app, url


def test_each_database_gets_its_own_identity_and_downgrade_removes_it(tmp_path):
    from alembic import command

    from webapp.cli import alembic_config

    app, url = _migrate(tmp_path, "one.sqlite3", "0022")
    _other, other_url = _migrate(tmp_path, "two.sqlite3", "0022")
    ids = []
    for database in (url, other_url):
        engine = create_engine(database)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, database_id, search_position FROM database_identity")).all()
        engine.dispose()
        assert len(rows) == 1 and rows[0][0] == 1 and len(rows[0][1]) == 32 and rows[0][2] == 0
        ids.append(rows[0][1])
    assert ids[0] != ids[1]
    with app.app_context():
        command.downgrade(alembic_config(), "-1")  # to whatever 0022 follows
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert "database_identity" not in tables and "form_submissions" not in tables
