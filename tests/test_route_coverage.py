"""Every endpoint of the app is covered by some tests/test_*_access.py matrix (COVERED_ENDPOINTS)."""
from __future__ import annotations

import importlib
from pathlib import Path

from webapp import create_app


def _covered() -> dict[str, set[str]]:
    found = {}
    for path in sorted(Path(__file__).parent.glob("test_*_access.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        endpoints = getattr(module, "COVERED_ENDPOINTS", None)
        assert isinstance(endpoints, (set, frozenset)) and endpoints, f"{path.name} has no COVERED_ENDPOINTS set"
        found[path.name] = set(endpoints)
    return found


def test_every_endpoint_has_an_access_matrix(tmp_path):
    app = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path)})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    covered = set().union(*_covered().values())
    missing = sorted(endpoints - covered)
    assert not missing, f"endpoints without a role × tier access test (add them to a COVERED_ENDPOINTS): {missing}"
    stale = sorted(covered - endpoints)
    assert not stale, f"COVERED_ENDPOINTS names endpoints that do not exist: {stale}"


def test_foundation_matrix_is_collected():
    assert "test_foundation_access.py" in _covered()
