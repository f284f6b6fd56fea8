"""Absolute links go to PUBLIC_URL, whatever Host or X-Forwarded-Host a client sends (issue 8, defect 4)."""
from __future__ import annotations

import pytest

from tests.dialogue_helpers import make_thread, make_world, send
from tests.search_helpers import publish
from tests.notification_helpers import set_delivery
from tests.smtp_server import body_text
from webapp import create_app

PUBLIC = "https://exchange.example.org"
FORGED = [
    {"X-Forwarded-Host": "evil.example"},
    {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.5"},
    {"Host": "evil.example"},
    {"Host": "evil.example:8000"},
]


@pytest.fixture
def public_app(app):
    """The test app with a canonical base URL; TRUSTED_HOSTS is the default (loopback names: the test client's
    Host is localhost)."""
    app.config.update(PUBLIC_URL=PUBLIC)
    return app


def _absolute_links(text: str) -> list[str]:
    import re

    return re.findall(r"https?://[^\s\"'<>)]+", text)


def _assert_only_public_links(text: str) -> None:
    assert "evil.example" not in text
    links = [link for link in _absolute_links(text) if "w3.org" not in link]  # the Atom namespace
    assert links, text[:500]
    assert all(link.startswith(PUBLIC + "/") for link in links), links


def test_a_forged_host_answers_400_and_changes_nothing(public_app, row_counts):
    client = public_app.test_client()
    before = row_counts()
    for host in ("evil.example", "evil.example:8000", "exchange.example.org.evil.example"):
        response = client.get("/archive/feed.atom", headers={"Host": host})
        assert response.status_code == 400, host
        assert "evil.example" not in response.get_data(as_text=True)
        assert client.get("/api/health", headers={"Host": host}).status_code == 400
    assert client.get("/archive/feed.atom", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert row_counts() == before


def test_the_default_trusted_hosts_are_the_public_host_and_loopback(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://exchange.example.org/")
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    built = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i"), "RATELIMIT_ENABLED": False})
    assert built.config["PUBLIC_URL"] == "https://exchange.example.org"
    assert built.config["TRUSTED_HOSTS"] == ["exchange.example.org", "localhost", "127.0.0.1"]
    assert built.test_client().get("/about", headers={"Host": "evil.example"}).status_code == 400
    monkeypatch.delenv("PUBLIC_URL")
    development = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "j"),
                              "RATELIMIT_ENABLED": False})
    assert development.config["PUBLIC_URL"] == "http://127.0.0.1:8000"
    assert development.config["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost"]
    built.extensions["db_engine"].dispose()
    development.extensions["db_engine"].dispose()


@pytest.mark.parametrize("bad", ["exchange.example.org", "ftp://exchange.example.org", "https://", "/relative",
                                 "https://exchange.example.org/?x=1"])
def test_a_public_url_that_cannot_make_links_stops_start_up(database_url, tmp_path, bad):
    with pytest.raises(ValueError, match="PUBLIC_URL must be an absolute http"):
        create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i"), "PUBLIC_URL": bad})


def test_a_public_url_with_a_path_prefix_keeps_it(database_url, tmp_path):
    from webapp.links import public_url

    built = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i"),
                        "PUBLIC_URL": "https://example.org/exchange", "RATELIMIT_ENABLED": False})
    with built.app_context():
        assert public_url("archive.show", submission_id=3) == "https://example.org/exchange/archive/3"
    built.extensions["db_engine"].dispose()


@pytest.mark.parametrize("headers", FORGED)
def test_feeds_exports_and_citations_link_to_the_public_url(public_app, make_user, headers):
    author, reviewer = make_user(clearance="public"), make_user(roles=("facilitator",))
    item = publish(public_app, author, reviewer, title="Public lesson on oversight")
    client = public_app.test_client()
    paths = ["/archive/feed.atom", "/archive/paragraphs/14/feed.atom", f"/archive/{item.id}.md",
             f"/archive/{item.id}.json", f"/archive/{item.id}/citation"]
    for path in paths:
        response = client.get(path, headers=headers)
        if "Host" in headers:
            assert response.status_code == 400, path  # an untrusted Host is refused outright
            assert "evil.example" not in response.get_data(as_text=True)
            continue
        assert response.status_code == 200, path
        _assert_only_public_links(response.get_data(as_text=True))
        assert f"{PUBLIC}/archive/{item.id}" in response.get_data(as_text=True), path


@pytest.mark.parametrize("headers", [FORGED[0], FORGED[1]])
def test_notification_mails_link_to_the_public_url(public_app, smtp_server, make_org, make_user, client_for,
                                                   headers):
    public_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    world = make_world(make_org, make_user)
    thread = make_thread(public_app, world.member, title="Assurance cases")
    watcher = client_for(world.company_member)
    assert send(watcher, f"/notifications/watch/thread/{thread.id}").status_code == 302
    set_delivery(public_app, world.company_member, "new_post", "immediate")  # not the daily digest of the default
    poster = client_for(world.member)
    from tests.conftest import csrf_token

    token = csrf_token(poster, f"/dialogue/threads/{thread.id}")
    response = poster.post(f"/dialogue/threads/{thread.id}/posts", headers=headers,
                           data={"csrf_token": token, "body": "A new insight on assurance"})
    assert response.status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message["To"] == world.company_member.email
    text = body_text(message)
    _assert_only_public_links(text)
    assert f"{PUBLIC}/dialogue/posts/" in text


def test_a_forged_host_cannot_send_a_mail_at_all(public_app, smtp_server, make_org, make_user, client_for,
                                                  row_counts):
    public_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    world = make_world(make_org, make_user)
    thread = make_thread(public_app, world.member, title="Assurance cases")
    watcher = client_for(world.company_member)
    assert send(watcher, f"/notifications/watch/thread/{thread.id}").status_code == 302
    set_delivery(public_app, world.company_member, "new_post", "immediate")  # not the daily digest of the default
    poster = client_for(world.member)
    from tests.conftest import csrf_token

    token = csrf_token(poster, f"/dialogue/threads/{thread.id}")
    before = row_counts()
    response = poster.post(f"/dialogue/threads/{thread.id}/posts", headers={"Host": "evil.example"},
                           data={"csrf_token": token, "body": "A new insight on assurance"})
    assert response.status_code == 400
    assert row_counts() == before and smtp_server.messages == []


def test_links_built_outside_a_request_use_the_public_url(public_app):
    from webapp.links import public_url

    with public_app.app_context():
        assert public_url("archive.show", submission_id=7) == f"{PUBLIC}/archive/7"


def test_no_absolute_link_is_built_from_the_request():
    """Every absolute link goes through webapp.links.public_url (a guard against new url_for(_external=True))."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for path in [*root.joinpath("webapp").rglob("*.py"), *root.joinpath("templates").rglob("*.*")]:
        if path.name == "links.py" and path.parent.name == "webapp":
            continue  # the one place that builds them, from PUBLIC_URL
        text = path.read_text(encoding="utf-8", errors="ignore")
        for needle in ("_external", "host_url", "url_root", "request.host"):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []
