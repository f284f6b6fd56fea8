"""Migrating an empty database to head gives exactly the models' schema (SQLite, and PostgreSQL in CI)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from webapp.db import Base


def test_migrations_match_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == [], differences


def test_downgrade_to_base_and_up_again(tmp_path):
    from alembic import command

    from webapp import create_app
    from webapp.cli import alembic_config

    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        command.downgrade(alembic_config(), "base")
        command.upgrade(alembic_config(), "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
