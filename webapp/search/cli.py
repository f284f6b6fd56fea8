"""flask search rebuild | reconcile | apply | status."""
from __future__ import annotations

import json
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    """Register the `search` command group."""
    group = AppGroup("search", help="Maintain the search index (a derived view of the database).")

    @group.command("rebuild")
    def rebuild_command() -> None:
        """Rebuild the whole index from the database (checks the document count)."""
        from webapp.search import maintenance

        started = time.monotonic()
        count = maintenance.rebuild(current_app._get_current_object())
        elapsed = time.monotonic() - started
        click.echo(f"Indexed {count} documents in {elapsed:.1f}s ({count / max(elapsed, 1e-6):.0f}/s).")

    @group.command("reconcile")
    @click.option("--dry-run", is_flag=True, help="Only report the differences.")
    def reconcile_command(dry_run: bool) -> None:
        """Report differences between index and database, and repair them."""
        from webapp.search import maintenance

        drift = maintenance.reconcile(current_app._get_current_object(), repair=not dry_run)
        for label, keys in (("missing", drift.missing), ("extra", drift.extra), ("stale", drift.stale)):
            click.echo(f"{label}: {len(keys)}" + (f" ({', '.join(keys[:20])}{' …' if len(keys) > 20 else ''})" if keys else ""))
        click.echo("No drift." if not drift.total else (f"Repaired {drift.repaired}." if not dry_run else "Not repaired (dry run)."))
        if dry_run and drift.total:
            sys.exit(1)

    @group.command("apply")
    @click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for the index lock.")
    def apply_command(timeout: float) -> None:
        """Apply queued index updates (e.g. from cron, after an outage)."""
        from webapp.search import outbox_worker, sources

        sources.load_sources()
        report = outbox_worker.apply_pending(current_app._get_current_object(), timeout=timeout, time_budget=300.0)
        click.echo(f"Applied {report.applied} entries ({report.indexed} indexed, {report.removed} removed).")
        for failure in report.failed:
            click.echo(f"failed: {failure}", err=True)
        if report.busy:
            click.echo("The index stayed locked by another writer; run again.", err=True)
        if report.failed or report.busy:
            sys.exit(1)

    @group.command("status")
    def status_command() -> None:
        """Document count, last change and outbox backlog."""
        from webapp.search import engine, outbox_worker

        app = current_app._get_current_object()
        backlog, oldest = outbox_worker.backlog(app)
        state = engine.backend(app).status()
        state.update(outbox_backlog=backlog, oldest_queued_at=oldest.isoformat() if oldest else None)
        click.echo(json.dumps(state, indent=2, default=str))

    app.cli.add_command(group)
