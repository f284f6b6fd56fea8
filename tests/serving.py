"""Serve the app the way `make run` does (flask migrate, flask seed, gunicorn) in a temporary instance folder."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from webapp.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_env(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "TEST_DATABASE_URL"}}
    env.update(REAIM_INSTANCE_PATH=str(instance), FLASK_APP="wsgi", SESSION_COOKIE_SECURE="0")
    return env


@contextmanager
def served(instance: Path, workers: int = 2):
    """Yield (base_url, admin_email, admin_password) while gunicorn serves a freshly migrated and seeded site."""
    env = run_env(instance)
    flask = [sys.executable, "-m", "flask"]
    subprocess.run(flask + ["migrate"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=120)
    seeded = subprocess.run(flask + ["seed"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, text=True,
                            timeout=120)
    email = re.search(r"e-mail:\s+(\S+)", seeded.stdout).group(1)
    password = re.search(r"password:\s+(\S+)", seeded.stdout).group(1)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:webapp.gunicorn_conf", "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield base, email, password
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
