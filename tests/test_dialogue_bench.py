"""bench/thread.py runs on its own data and prints every figure as `name: value unit` (checked on a small thread)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_thread_benchmark_prints_name_value_unit_lines():
    env = {**os.environ, "BENCH_POSTS": "25", "BENCH_RENDERS": "3"}
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "thread.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines and all(re.fullmatch(r"[a-z0-9_]+: -?\d+(\.\d+)? [A-Za-z]+", line) for line in lines), lines
    names = {line.split(":")[0] for line in lines}
    assert {"thread_render_p95", "thread_render_queries", "thread_posts"} <= names
