"""On-demand jobs, by name: what `jobs.enqueue(app, name, *args)` may run. Add a job here with its retry policy."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class OnDemandJob:
    """`run(app, *args)` inside an app context; retried by the engine `retries` times when it raises."""

    run: Callable[..., object]
    retries: int = 0
    retry_delay: int = 0


def _deliver_mail(app: Flask, mail_ids: list[int]) -> None:
    from webapp.services import mail_delivery

    # Then, briefly, other due mail over the same connection: under a backlog, far fewer connections.
    mail_delivery.deliver(app, mail_ids, drain_seconds=float(app.config.get("MAIL_DRAIN_SECONDS", 5)))


def _build_data_export(_app: Flask, export_id: int) -> None:
    from webapp.services import data_export

    data_export.build(export_id)


ON_DEMAND: dict[str, OnDemandJob] = {
    # No engine retries: the outgoing_mail rows carry their own back-off, and the mail sweep finds them.
    "mail.deliver": OnDemandJob(_deliver_mail),
    # A person's data export (issue 14): a failed build is retried; the row stays pending until it succeeds.
    "data_export.build": OnDemandJob(_build_data_export, retries=2, retry_delay=30),
}
