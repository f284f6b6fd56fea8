"""Building the Huey instance of one app: its storage, its on-demand jobs and its periodic jobs."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import Flask
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

from webapp.jobs import claims, schedule, tasks

log = logging.getLogger(__name__)
BACKENDS = ("sqlite", "redis", "immediate")


class SlottedHuey(Huey):
    """Huey whose scheduler tells each periodic job the minute it was scheduled for: every consumer on every node
    names the same slot for the same minute, so the slot claim (claims.py) lets exactly one of them run it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_demand = {}  # job name → Huey task wrapper (see tasks.ON_DEMAND)

    def read_periodic(self, timestamp):
        if timestamp is None:
            timestamp = self._get_timestamp()
        minute = timestamp.replace(second=0, microsecond=0)
        due = super().read_periodic(timestamp)
        for task in due:
            task.kwargs = {"scheduled_for": minute.isoformat()}
        return due


class SqliteQueue(SqliteStorage):
    """Huey's SQLite queue in WAL mode with synchronous=NORMAL, as the app's own database: no fsync per enqueue
    (10 ms each on a plain disk). A power cut may drop the latest queue entries, never the work itself: that lives
    in the database (outgoing_mail, search_outbox), and the periodic sweeps find it again."""

    def __init__(self, *args, **kwargs):
        # The file and its tables appear on first use, not whenever an app is created (e.g. for `flask migrate`).
        self._schema_ready = False
        super().__init__(*args, **{**kwargs, "create_tables": False})

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=1")
        if not self._schema_ready:
            for statement in self.ddl:  # "create … if not exists": safe for every process to run
                connection.execute(statement)
            self._schema_ready = True
        return connection


def _storage_options(app: Flask) -> dict:
    backend = app.config.get("JOBS_BACKEND", "sqlite")
    if backend not in BACKENDS:
        raise ValueError(f"JOBS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "immediate":
        return {"immediate": True}
    if backend == "redis":
        if not app.config.get("REDIS_URL"):
            raise ValueError("JOBS_BACKEND=redis needs REDIS_URL")
        return {"storage_class": RedisStorage, "url": app.config["REDIS_URL"]}
    return {"storage_class": SqliteQueue, "filename": app.config["JOBS_SQLITE_FILE"]}


def build(app: Flask) -> Huey:
    """A Huey instance for `app` with every job registered; each job runs inside an app context."""
    huey = SlottedHuey(app.config.get("JOBS_QUEUE_NAME", "reaim-exchange"), results=False, utc=True,
                       **_storage_options(app))

    for name, job in tasks.ON_DEMAND.items():

        def run_on_demand(*args, _job=job):
            with app.app_context():
                return _job.run(app, *args)

        run_on_demand.__module__ = "webapp.jobs.tasks"
        huey.on_demand[name] = huey.task(name=name, retries=job.retries, retry_delay=job.retry_delay,
                                         retry_backoff=2)(run_on_demand)

    for job in schedule.PERIODIC_JOBS:

        def run_periodic(scheduled_for: str | None = None, _job=job):
            moment = datetime.fromisoformat(scheduled_for) if scheduled_for else datetime.now(timezone.utc)
            with app.app_context():
                return claims.run_once(app, _job, moment)

        run_periodic.__module__ = "webapp.jobs.schedule"
        huey.periodic_task(job.crontab(), name=job.name, retries=job.retries, retry_delay=job.retry_delay,
                           retry_backoff=2)(run_periodic)
    return huey


def init_app(app: Flask) -> None:
    """Attach the app's job engine (app.extensions['jobs'])."""
    app.extensions["jobs"] = build(app)


def huey_for(app: Flask) -> Huey:
    """The app's Huey instance (for the consumer and diagnostics)."""
    return app.extensions["jobs"]


def enqueue(app: Flask, name: str, *args) -> None:
    """Run on-demand job `name` (see tasks.ON_DEMAND) with `args` in the background (at once, in immediate mode)."""
    try:
        task = huey_for(app).on_demand[name]
    except KeyError:
        raise KeyError(f"no on-demand job {name!r} (see webapp/jobs/tasks.py)") from None
    task(*args)


def consumer(app: Flask, *, workers: int | None = None):
    """A Huey consumer for `app`: worker threads plus the scheduler of periodic jobs. SIGTERM (systemd stop)
    lets running jobs finish; SIGINT stops at once (a claimed mail's lease then expires and it is retried)."""
    return huey_for(app).create_consumer(
        workers=workers or int(app.config.get("JOBS_WORKERS", 2)),
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        backoff=1.3,
        max_delay=float(app.config.get("JOBS_POLL_MAX_DELAY", 1.0)),
        graceful_signal="TERM",
    )


def health(app: Flask) -> dict:
    """The queue's state for /api/health: {status: ok|degraded, backend, detail?}. Redis is asked with a short
    timeout; while it is down, mail waits in the database and goes out once the queue answers again."""
    backend = app.config.get("JOBS_BACKEND", "sqlite")
    if backend != "redis":
        return {"status": "ok", "backend": backend}
    import redis

    try:
        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            client.ping()
        finally:
            client.close()
    except Exception:  # a health check reports, it does not raise
        log.warning("job queue (redis) unreachable", exc_info=True)
        return {"status": "degraded", "backend": backend,
                "detail": "queue unreachable: mail and jobs wait in the database until it answers"}
    return {"status": "ok", "backend": backend}
