"""Helpers for the search tests: content made through the real services, and searches through the app."""
from __future__ import annotations

from typing import Any

import pytest

from tests.archive_helpers import lesson_data, practice_data
from webapp import db as dbmod
from webapp import policy
from webapp.models import User
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission


@pytest.fixture(autouse=True)
def indexer_on(app, search_backend):
    """Search tests run with the outbox applied after every commit, as in production (conftest turns it off),
    once per search backend (conftest.pytest_generate_tests)."""
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = True
    app.config["SEARCH_BACKEND"] = search_backend


def viewer_of(app, user: User | None):
    """The Viewer of `user`, as a request would build it."""
    with app.test_request_context():
        fresh = dbmod.session().get(User, user.id) if user is not None else None
        return policy.viewer_for(fresh, dbmod.session())


def publish(app, author: User, reviewer: User, *, kind: str = "lesson_learnt", tier: str = "public",
            group=None, **fields: Any):
    """A published submission, created, submitted and published through the services."""
    data = (lesson_data if kind == "lesson_learnt" else practice_data)(
        tier=tier, sharing_group_id=group.id if group is not None else None, **fields
    )
    with app.test_request_context():
        item = create_submission(viewer_of(app, author), kind, data)
        submit_submission(viewer_of(app, author), item.id)
        return publish_submission(viewer_of(app, reviewer), item.id)


def search_json(client, q: str, **args) -> tuple[int, dict]:
    """GET /api/search; (status, body)."""
    response = client.get("/api/search", query_string={"q": q, **args})
    return response.status_code, response.get_json()


def titles(body: dict) -> list[str]:
    return [hit["title"] for hit in body["results"]]
