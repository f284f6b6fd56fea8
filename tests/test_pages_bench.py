"""bench/pages.py (pages under gunicorn against a minimal app, measured with wrk) runs end to end in its quick mode
and prints every figure as `name: value unit` (the figures are not checked against the targets here)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"([a-z0-9_]+): (-?\d+(?:\.\d+)?) ([A-Za-z/]+)")
PAGES = ("home", "browse_unfiltered", "browse_two_filters", "submission_page", "paragraph_page", "search",
         "thread_20", "thread_40")


def test_quick_mode_prints_cpu_ratio_and_rate_lines_for_every_page_and_audience(tmp_path):
    assert shutil.which("wrk"), "bench/pages.py needs Debian's wrk: make bench-deps"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "pages.py"), "--quick", "--cache-dir", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.strip().splitlines() if not line.startswith("#")]
    parsed = {}
    for line in lines:
        match = LINE.fullmatch(line)
        assert match, line
        parsed[match.group(1)] = (float(match.group(2)), match.group(3))
    for page in PAGES:
        for audience in ("anonymous", "member"):
            key = f"{page}_{audience}"
            assert parsed[f"{key}_cpu_ms_per_request"][1] == "ms"
            assert parsed[f"{key}_cpu_ms_per_request"][0] > 0
            assert parsed[f"{key}_ratio_to_minimal"][1] == "x"
            assert parsed[f"{key}_req_per_s"][1] == "req/s"
    for audience in ("anonymous", "member"):
        assert parsed[f"search_{audience}_ratio_to_reference"][0] > 0
        assert parsed[f"search_{audience}_reference_cpu_ms_per_request"][0] > 0
    assert parsed["minimal_hello_cpu_ms_per_request"][0] > 0
    assert parsed["worker_rss_mib"][1] == "MiB" and parsed["minimal_worker_rss_mib"][0] > 0
    assert parsed["items"] == (300, "count")
