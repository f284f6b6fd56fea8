"""flask jobs run | status | run-periodic NAME."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    """Register the `jobs` command group."""
    group = AppGroup("jobs", help="The background job engine (mail, periodic jobs, search catch-up).")

    @group.command("run")
    @click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker threads (default JOBS_WORKERS).")
    def run_command(workers: int | None) -> None:
        """Run a consumer: workers plus the scheduler of periodic jobs, until SIGTERM (graceful) or Ctrl-C."""
        from webapp import jobs

        app_ = current_app._get_current_object()
        if app_.config["JOBS_BACKEND"] == "immediate":
            raise click.ClickException("JOBS_BACKEND=immediate runs jobs in-process; there is nothing to consume.")
        click.echo(f"Job consumer on {app_.config['JOBS_BACKEND']} with {workers or app_.config['JOBS_WORKERS']} "
                   "worker(s); Ctrl-C to stop.")
        jobs.consumer(app_, workers=workers).run()

    @group.command("status")
    def status_command() -> None:
        """Queue length, scheduled jobs, recent periodic runs and the mail queue by status."""
        from sqlalchemy import func, select

        from webapp import jobs
        from webapp.db import session
        from webapp.models import JobRun, OutgoingMail

        app_ = current_app._get_current_object()
        huey = jobs.huey_for(app_)
        click.echo(f"backend: {app_.config['JOBS_BACKEND']}")
        click.echo(f"pending jobs: {huey.pending_count()}")
        click.echo(f"scheduled jobs: {huey.scheduled_count()}")
        db = session()
        for status, count in db.execute(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)):
            click.echo(f"mail {status.value}: {count}")
        for run in db.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(10)):
            click.echo(f"{run.started_at:%Y-%m-%d %H:%M:%S} {run.name} slot {run.slot} {run.status} on {run.node}"
                       + (f": {run.error}" if run.error else ""))

    @group.command("run-periodic")
    @click.argument("name")
    def run_periodic_command(name: str) -> None:
        """Run one periodic job now, for the current slot (skipped if a consumer already ran it)."""
        from webapp.jobs import claims, schedule
        from webapp.models import utcnow

        try:
            job = schedule.periodic_job(name)
        except KeyError:
            names = ", ".join(j.name for j in schedule.PERIODIC_JOBS)
            raise click.ClickException(f"No periodic job {name!r}; there are: {names}.") from None
        result = claims.run_once(current_app._get_current_object(), job, utcnow())
        click.echo(f"{name}: {'skipped (slot already claimed)' if result is None else result}")

    app.cli.add_command(group)
