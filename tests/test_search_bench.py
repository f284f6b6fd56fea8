"""bench/search.py runs end to end on a small archive and prints every figure as `name: value unit`, the SQLite
FTS5 reference lines included (no timing is asserted: the numbers are for people to read)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"[a-z0-9_]+: \d+(\.\d+)? [a-z/]+")
EXPECTED = {"search_p50", "search_p95", "api_search_p95", "freshness_p50", "freshness_p95", "rebuild_rate",
            "fts5_search_p50", "fts5_search_p95", "fts5_freshness_p50", "fts5_freshness_p95", "fts5_rebuild_rate"}


def test_search_benchmark_prints_every_figure_as_name_value_unit():
    run = subprocess.run([sys.executable, "bench/search.py", "--items", "200", "--searches", "10",
                          "--freshness-rounds", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    assert all(LINE.fullmatch(line) for line in lines), [line for line in lines if not LINE.fullmatch(line)]
    assert EXPECTED <= {line.split(":")[0] for line in lines}
