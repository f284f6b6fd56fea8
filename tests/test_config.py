"""Configuration: SECRET_KEY comes from the environment or a generated, private, reused file — never a constant."""
import os
import stat

from webapp import create_app
from webapp.config import load_secret_key


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-0123456789")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    assert app.config["SECRET_KEY"] == "from-the-environment-0123456789"
    assert not (tmp_path / "secret_key").exists()


def test_secret_key_generated_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 32
    assert key_file.read_text() == first.config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    # no stray temporary files are left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


def test_secret_key_is_never_a_constant(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    one = load_secret_key(tmp_path / "one")
    two = load_secret_key(tmp_path / "two")
    assert one != two


def test_empty_key_file_is_replaced(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("")
    key = load_secret_key(tmp_path)
    assert key and (tmp_path / "secret_key").read_text() == key


def test_concurrent_first_start_agrees_on_one_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_secret_key(tmp_path), range(16)))
    assert len(keys) == 1 and "" not in keys


def test_search_backend_follows_the_database_unless_configured(tmp_path, monkeypatch):
    import pytest

    from webapp.search import engine

    monkeypatch.delenv("SEARCH_BACKEND", raising=False)
    postgres_url = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never connected to
    sqlite = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    postgres = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url})
    assert engine.backend_name(sqlite) == "whoosh" and engine.backend_name(postgres) == "postgres"
    chosen = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": postgres_url, "SEARCH_BACKEND": "whoosh"})
    assert engine.backend_name(chosen) == "whoosh"
    with pytest.raises(RuntimeError, match="needs a PostgreSQL"):
        engine.backend(create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://",
                                   "SEARCH_BACKEND": "postgres"}))
    with pytest.raises(RuntimeError, match="supported: whoosh, postgres"):
        engine.backend(create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://",
                                   "SEARCH_BACKEND": "elastic"}))
