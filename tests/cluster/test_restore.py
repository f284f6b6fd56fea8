"""The restore path of docs/PRODUCTION.md, on PostgreSQL: pg_dump a live site's database, pg_restore it into a new
database, start a node on it — the content is there and search answers for it, with nothing rebuilt."""
from __future__ import annotations

import subprocess
import uuid

import pytest
from sqlalchemy.engine import make_url

from tests.cluster.harness import Browser, Node, node_env

pytestmark = pytest.mark.cluster


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_node_on_a_restored_dump_serves_the_content_and_search(seeded_database, databases, redis_url, tmp_path):
    database_url, world = seeded_database
    live = Node("live", node_env(tmp_path / "live", database_url, redis_url), tmp_path / "live-node",
                consume_jobs=False).start()
    word = "restorable" + uuid.uuid4().hex[:8]
    try:
        writer = Browser()
        assert writer.sign_in(live.url, world.members[0]).status == 302
        created = writer.post(live.url + "/dialogue/threads/new", {
            "title": f"Before the backup {word}", "body": f"Practice worth keeping: {word}.", "tier": "community",
            "paragraphs": "14", "csrf_token": writer.token(live.url + "/dialogue/threads/new")})
        assert created.status == 302, created.body[:500]
        thread_path = created.location.replace(live.url, "")
        dump = tmp_path / "reaim.dump"
        # online, while the node serves (the guide's command)
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", _libpq(database_url)], check=True,
                       capture_output=True, timeout=120)
    finally:
        live.stop()

    restored_url = databases.create("restored")
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={_libpq(restored_url)}", str(dump)], check=True,
                   capture_output=True, timeout=300)
    node = Node("restored", node_env(tmp_path / "restored", restored_url, redis_url), tmp_path / "restored-node",
                consume_jobs=False).start()
    try:
        reader = Browser()
        assert reader.sign_in(node.url, world.members[1]).status == 302
        thread = reader.get(node.url + thread_path)
        assert thread.status == 200 and f"Practice worth keeping: {word}." in thread.body
        found = reader.get(node.url + f"/search?q={word}")
        assert found.status == 200 and f"Before the backup {word}" in found.body, found.body[:2000]
        assert Browser().get(node.url + "/api/health").status == 200
    finally:
        node.stop()
