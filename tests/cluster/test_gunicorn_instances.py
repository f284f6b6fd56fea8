"""webapp/gunicorn_conf.py for several instances on one host: nothing shared between them (no control socket in
the user's home), and an instance killed with kill -9 starts again at once on the same port (no pid file)."""
from __future__ import annotations

import pytest

from tests.cluster.harness import Browser, Node, node_env

pytestmark = pytest.mark.cluster


def test_two_instances_share_nothing_and_a_killed_one_restarts(seeded_database, tmp_path):
    database_url, _world = seeded_database
    home = tmp_path / "home"
    home.mkdir()
    nodes = [Node(name, node_env(tmp_path / name, database_url, None, HOME=str(home), XDG_RUNTIME_DIR=""),
                  tmp_path / f"{name}-node", consume_jobs=False) for name in ("one", "two")]
    try:
        for node in nodes:
            node.start()
        assert not (home / ".gunicorn").exists(), "a control socket in the shared home"
        assert list(tmp_path.rglob("*.pid")) == []
        first = nodes[0]
        first.kill()
        first.start()  # same port, same settings, right after the kill
        assert Browser().get(first.url + "/api/health").status == 200
        assert Browser().get(nodes[1].url + "/api/health").status == 200
    finally:
        for node in nodes:
            node.stop()
