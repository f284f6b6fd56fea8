"""Processes of the cluster tests: app nodes (gunicorn + `flask jobs run`), nginx, a TCP proxy to stop the database,
and a cookie-keeping HTTP client. Everything runs as it would in production: the project's gunicorn settings, the
nginx site rendered from deploy/nginx-site.conf.template, migrations and seeding through the CLI."""
from __future__ import annotations

import http.cookiejar
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from webapp.config import PROJECT_ROOT
from webapp.proxy_config import ProxySite, render

NGINX = "/usr/sbin/nginx"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the benchmarks' enrolled second factor
PASSWORD = "orbit lantern quietly harvest"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node_env(instance: Path, database_url: str, redis_url: str | None, **settings: str) -> dict:
    """The environment of one node: its own instance folder, the shared database, Redis and secret."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "SECRET_KEY", "TEST_DATABASE_URL", "REDIS_URL", "JOBS_BACKEND"}}
    env.update(REAIM_INSTANCE_PATH=str(instance), FLASK_APP="wsgi", DATABASE_URL=database_url,
               SECRET_KEY="cluster-test-secret-the-same-on-every-node", SESSION_COOKIE_SECURE="0",
               PROXY_FIX_X_FOR="1", PROXY_FIX_X_PROTO="1", PYTHONPATH=str(PROJECT_ROOT))
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(settings)
    return env


def flask(env: dict, *args: str, timeout: float = 180) -> str:
    """Run a `flask` command as an operator would; its output (raises with stderr on failure)."""
    done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _stop(process: subprocess.Popen | None, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    _kill_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process, signal.SIGKILL)
        process.wait()


@dataclass
class Node:
    """One app node: gunicorn (2 workers, webapp.gunicorn_conf) and its job consumer, each in its own process group."""

    name: str
    env: dict
    folder: Path
    port: int = field(default_factory=free_port)
    workers: int = 2
    consume_jobs: bool = True
    extra_args: tuple[str, ...] = ()
    web: subprocess.Popen | None = None
    jobs: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self, which: str) -> str:
        path = self.folder / f"{which}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> Node:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "GUNICORN_PROC_NAME": f"reaim-web-{self.name}"}
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:webapp.gunicorn_conf", "--workers", str(self.workers),
             "--bind", self.address, *self.extra_args, "wsgi:app"],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(self.folder / "web.log", "ab"),
            start_new_session=True)
        if self.consume_jobs:
            self.jobs = subprocess.Popen(
                [sys.executable, "-m", "flask", "jobs", "run", "--workers", "2"], cwd=PROJECT_ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=open(self.folder / "jobs.log", "ab"), start_new_session=True)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.url + "/sign-in", timeout=3)
                return
            except OSError:
                if self.web.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"node {self.name} did not start:\n{self.log('web')[-3000:]}") from None
                time.sleep(0.25)

    def kill(self) -> None:
        """kill -9 the node: gunicorn's master and workers, and the job consumer, at once (a crashed machine)."""
        for process in (self.web, self.jobs):
            if process is not None:
                _kill_group(process, signal.SIGKILL)
        for process in (self.web, self.jobs):
            if process is not None:
                process.wait()

    def stop(self) -> None:
        _stop(self.jobs)
        _stop(self.web)


@dataclass
class Nginx:
    """Debian's nginx in the foreground on a free port, serving the project's site template for `nodes`."""

    folder: Path
    nodes: list[str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        self.folder.mkdir(parents=True, exist_ok=True)
        site = render(ProxySite(tuple(self.nodes), listen=f"127.0.0.1:{self.port}", server_name="127.0.0.1 localhost",
                                fail_timeout_seconds=5))
        (self.folder / "site.conf").write_text(site)
        temp = "\n".join(f"  {kind}_temp_path {self.folder / kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # Workers of a root master run as nobody by default, who cannot read pytest's private temporary folders.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {self.folder / 'nginx.pid'};\n"
            f"error_log {self.folder / 'error.log'} warn;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n  include /etc/nginx/mime.types;\n  access_log {self.folder / 'access.log'};\n{temp}\n"
            f"  include {self.folder / 'site.conf'};\n}}\n")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-e", str(self.folder / "error.log"), "-c", str(self.folder / "nginx.conf")],
            stdout=subprocess.DEVNULL, stderr=open(self.folder / "stderr.log", "ab"), start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(self.url + "/sign-in", timeout=3)
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    errors = (self.folder / "stderr.log").read_text() + (self.folder / "error.log").read_text()
                    raise RuntimeError(f"nginx did not start:\n{errors[-3000:]}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        _stop(self.process, timeout=10)


class TcpProxy:
    """A TCP relay to `target` on a fixed local port: stop() refuses new connections and cuts every open one, as
    a database server going away does; start() lets connections through again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._running = False

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)  # a blocked accept() would outlive close(): the loop re-checks the flag instead
        self._listener, self._running = listener, True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in list(self._open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._running:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._running:
                client.close()
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update({client, upstream})
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select(timeout=1):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            with self._lock:
                for sock in (a, b):
                    self._open.discard(sock)
                    sock.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Reply:
    status: int
    headers: dict
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Browser:
    """A cookie-keeping client that does not follow redirects; `forwarded_for` stands in for the proxy's header."""

    def __init__(self, forwarded_for: str | None = None) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.forwarded_for = forwarded_for

    def request(self, url: str, data: dict | None = None, timeout: float = 30) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        if self.forwarded_for:
            request.add_header("X-Forwarded-For", self.forwarded_for)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Reply(response.status, dict(response.headers), response.read().decode(errors="replace"))
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read().decode(errors="replace"))

    def get(self, url: str, **kwargs) -> Reply:
        return self.request(url, **kwargs)

    def post(self, url: str, data: dict, **kwargs) -> Reply:
        return self.request(url, data=data, **kwargs)

    def token(self, url: str) -> str:
        """The CSRF token of the first form on the page at `url`."""
        page = self.get(url)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.body) or re.search(
            r'name="csrf_token" value="([^"]+)"', page.body)
        assert match, f"no CSRF token at {url} ({page.status}): {page.body[:300]}"
        return match.group(1)

    def sign_in(self, base: str, email: str, password: str = PASSWORD, code_base: str | None = None) -> Reply:
        """Sign in through the forms at `base`; the TOTP step (when the account has one) at `code_base`."""
        import pyotp

        reply = self.post(base + "/sign-in", {"email": email, "password": password,
                                              "csrf_token": self.token(base + "/sign-in")})
        if reply.status == 302 and "/sign-in/second-factor" in reply.location:
            step = (code_base or base) + urllib.parse.urlsplit(reply.location).path
            reply = self.post(step, {"code": pyotp.TOTP(TOTP_SECRET).now(), "csrf_token": self.token(step)})
        return reply
