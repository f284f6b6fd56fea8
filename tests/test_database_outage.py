"""The database out of reach: the app's own 503 page with Retry-After (JSON for API clients), never a 500."""
from __future__ import annotations

import socket

import pytest

from webapp import create_app


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable(tmp_path):
    """An app whose PostgreSQL server is not there (nothing listens on its port)."""
    app = create_app({
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/gone",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "JOBS_BACKEND": "immediate",
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_ENABLED": False,
    })
    yield app
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("path", ["/", "/archive/", "/search?q=oversight", "/sign-in", "/dialogue/"])
def test_pages_answer_the_apps_own_503_with_retry_after(unreachable, path):
    response = unreachable.test_client().get(path)
    page = response.get_data(as_text=True)
    if response.status_code == 200:  # a page that needs no database (the sign-in form) may still be served
        assert path == "/sign-in"
        return
    assert response.status_code == 503, page[:500]
    assert response.headers["Retry-After"] == "15"
    assert "The service is unavailable for a moment" in page and "database cannot be reached" in page
    assert "Internal Server Error" not in page and "Traceback" not in page
    assert 'href="/static/site.css' in page


def test_a_sign_in_post_answers_503_and_not_500(unreachable):
    unreachable.config["WTF_CSRF_ENABLED"] = False
    response = unreachable.test_client().post("/sign-in", data={"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_api_clients_get_json_503(unreachable):
    response = unreachable.test_client().get("/api/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"]["status"] == "down"


def test_retry_after_is_configurable(unreachable):
    unreachable.config["DATABASE_RETRY_AFTER_SECONDS"] = 40
    assert unreachable.test_client().get("/archive/").headers["Retry-After"] == "40"


def test_health_reports_a_job_queue_that_does_not_answer(app, monkeypatch):
    app.config.update(JOBS_BACKEND="redis", REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    response = app.test_client().get("/api/health")
    assert response.status_code == 200  # degraded, still serving
    body = response.get_json()
    assert body["status"] == "degraded" and body["database"] == {"status": "ok"}
    assert body["jobs"] == {"status": "degraded", "backend": "redis",
                            "detail": "queue unreachable: mail and jobs wait in the database until it answers"}
