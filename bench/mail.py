"""Benchmark: 10,000 notification mails through the real job engine to a local SMTP server (aiosmtpd).

Each mail is queued in its own transaction (one event each, as services do), with a recipient account and a
dedup key; a real consumer process (`flask jobs run`, SqliteHuey, temp SQLite database) delivers them.
1. Backlog: all mails are queued while no consumer runs, then one starts: delivery throughput (mails/s).
2. Steady traffic: events at a fixed rate while the consumer runs: latency from the event's commit to the mail
   handed to SMTP (the server's receipt), p50/p95.
Prints `name: value unit` lines, and checks that every mail arrived exactly once.
"""
from __future__ import annotations

import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAILS = int(os.environ.get("BENCH_MAILS", 10_000))  # smaller only to check the script itself (tests)
STEADY = int(os.environ.get("BENCH_MAIL_STEADY", min(1000, max(MAILS // 10, 10))))
RATE = float(os.environ.get("BENCH_MAIL_RATE", 100))  # events per second in the steady phase
WORKERS = int(os.environ.get("BENCH_MAIL_WORKERS", 4))
RECIPIENTS = 100


class Receiver:
    """Keeps the arrival time of every Message-ID."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, _protocol, _session, envelope):  # noqa: N802 - aiosmtpd's hook name
        arrived = time.time()
        message_id = message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.arrivals.setdefault(message_id, []).append(arrived)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return sum(len(times) for times in self.arrivals.values())


def _wait_for(receiver: Receiver, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while receiver.count() < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {receiver.count()} of {count} mails arrived in {timeout:.0f} s")
        time.sleep(0.05)


def main() -> None:
    from aiosmtpd.controller import Controller
    from alembic import command
    from sqlalchemy import select

    from webapp import create_app, mail
    from webapp.cli import alembic_config
    from webapp.db import unit_of_work
    from webapp.models import AccountStatus, Organisation, OutgoingMail, User
    from webapp.services import seeding

    folder = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    receiver = Receiver()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(receiver, hostname="127.0.0.1", port=port)
    smtp.start()
    config = {
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "JOBS_BACKEND": "sqlite",
        "JOBS_SQLITE_FILE": str(folder / "jobs.sqlite3"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_USE_TLS": "0",
        "SEARCH_INDEX_DIR": str(folder / "search-index"),
    }
    app = create_app({**config, "INSTANCE_PATH": str(folder), "MAIL_PORT": port, "MAIL_USE_TLS": False})
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        seeding.load_reference_data()
        with unit_of_work() as db:
            org = Organisation(name="Bench org", stakeholder_type_code="state", country="NL", verified=True)
            db.add(org)
            db.flush()
            people = [User(name=f"Reader {i}", email=f"reader{i}@example.org", password_hash="x",
                           organisation_id=org.id, status=AccountStatus.ACTIVE) for i in range(RECIPIENTS)]
            db.add_all(people)
        recipients = [(user.id, user.email) for user in people]

    committed: dict[int, float] = {}

    def event(n: int) -> None:
        user_id, email = recipients[n % RECIPIENTS]
        with unit_of_work() as db:
            mail_id = mail.queue(db, mail.Mail(to=email, subject=f"[REAIM Exchange] New post {n}",
                                               body=f"New post in a thread you watch ({n}).\n",
                                               recipient_id=user_id, dedup_key=f"bench:{n}"))
        committed[mail_id] = time.time()

    # 1. Backlog: queue everything, then start the consumer.
    started = time.perf_counter()
    with app.app_context():
        for n in range(MAILS):
            event(n)
    queue_seconds = time.perf_counter() - started
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "REDIS_URL", "MAIL_OUTBOX_FILE"}}
    env.update(config, FLASK_APP="wsgi", REAIM_INSTANCE_PATH=str(folder), JOBS_POLL_MAX_DELAY="0.1")
    consumer = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "run", "--workers", str(WORKERS)], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=open(folder / "consumer.log", "w"))
    try:
        _wait_for(receiver, MAILS, timeout=max(600, MAILS / 5))
        with receiver.lock:
            first = min(times[0] for times in receiver.arrivals.values())
            last = max(times[-1] for times in receiver.arrivals.values())
        throughput = (MAILS - 1) / max(last - first, 1e-6)

        # 2. Steady traffic at RATE events per second, the consumer running.
        backlog_ids = set(committed)
        with app.app_context():
            begin = time.perf_counter()
            for n in range(MAILS, MAILS + STEADY):
                pause = begin + (n - MAILS) / RATE - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                event(n)
        _wait_for(receiver, MAILS + STEADY, timeout=max(300, STEADY / 2))
        time.sleep(1.0)  # a duplicate would arrive meanwhile
    finally:
        consumer.terminate()
        consumer.wait(timeout=60)
        smtp.stop()

    with app.app_context():
        from webapp.db import session

        message_ids = dict(session().execute(select(OutgoingMail.id, OutgoingMail.message_id)).all())
    latencies = sorted(
        (receiver.arrivals[message_ids[mail_id]][0] - committed_at) * 1000
        for mail_id, committed_at in committed.items() if mail_id not in backlog_ids
    )
    duplicates = receiver.count() - len(receiver.arrivals)
    missing = sum(1 for message_id in message_ids.values() if message_id not in receiver.arrivals)
    p95 = latencies[int(round(0.95 * (len(latencies) - 1)))]
    print(f"mail_queued: {MAILS} mails")
    print(f"mail_queue_rate: {MAILS / queue_seconds:.0f} mails/s")
    print(f"mail_delivery_throughput: {throughput:.0f} mails/s")
    print(f"mail_steady_rate: {RATE:.0f} mails/s")
    print(f"mail_latency_p50: {statistics.median(latencies):.0f} ms")
    print(f"mail_latency_p95: {p95:.0f} ms")
    print(f"mail_duplicates: {duplicates} mails")
    print(f"mail_missing: {missing} mails")
    if duplicates or missing:
        raise SystemExit("a mail was lost or sent twice")


if __name__ == "__main__":
    main()
