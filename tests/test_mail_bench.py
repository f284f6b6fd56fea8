"""bench/mail.py delivers through a real consumer and prints every figure as `name: value unit` (checked small)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_mail_benchmark_prints_name_value_unit_lines():
    env = {**os.environ, "BENCH_MAILS": "60", "BENCH_MAIL_STEADY": "20", "BENCH_MAIL_RATE": "50"}
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "mail.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines and all(re.fullmatch(r"[a-z0-9_]+: -?\d+(\.\d+)? [A-Za-z/]+", line) for line in lines), lines
    figures = dict(line.split(": ") for line in lines)
    assert {"mail_delivery_throughput", "mail_latency_p50", "mail_latency_p95"} <= set(figures)
    assert figures["mail_queued"] == "60 mails"
    assert figures["mail_duplicates"] == "0 mails" and figures["mail_missing"] == "0 mails"
