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
        """Rebuild the whole index from the database into a new version and swap it in (repairs any damage)."""
        from webapp.search import maintenance, repair
        from webapp.search.backend import IndexBusy, IndexReadOnly, RebuildIncomplete

        app = current_app._get_current_object()
        try:
            before = repair.index_health(app)
        except Exception as error:  # the report is a courtesy; the rebuild does not need the old index
            before = {"status": "unknown", "problems": [{"code": "error", "detail": repr(error)}]}
        for problem in before["problems"]:
            click.echo(f"Found: {problem['detail']}")
        started = time.monotonic()
        try:
            count = maintenance.rebuild(app)
        except IndexReadOnly as error:
            click.echo(f"Cannot rebuild: {error}. Run it as the user that owns the index directory.", err=True)
            sys.exit(1)
        except IndexBusy as error:
            click.echo(f"Cannot rebuild now: {error}. Run it again in a moment.", err=True)
            sys.exit(1)
        except RebuildIncomplete as error:
            click.echo(f"Rebuild failed, the previous index stays in place: {error}", err=True)
            sys.exit(1)
        elapsed = time.monotonic() - started
        click.echo(f"Indexed {count} documents in {elapsed:.1f}s ({count / max(elapsed, 1e-6):.0f}/s).")
        after = repair.index_health(app)
        remaining = [p for p in after["problems"] if p["code"] != "read_only"]
        if remaining:
            for problem in remaining:
                click.echo(f"Still wrong: {problem['detail']}", err=True)
            sys.exit(1)
        click.echo("The new index is in place and in step with the database.")

    @group.command("reconcile")
    @click.option("--dry-run", is_flag=True, help="Only report the differences.")
    def reconcile_command(dry_run: bool) -> None:
        """Report differences between index and database, and repair them."""
        from webapp.search import maintenance
        from webapp.search.backend import IndexUnavailable

        try:
            drift = maintenance.reconcile(current_app._get_current_object(), repair=not dry_run)
        except IndexUnavailable as error:
            click.echo(f"Cannot reconcile: {error}. Run `flask search rebuild`.", err=True)
            sys.exit(1)
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
            click.echo("The index stayed locked by another writer, or is read-only here; run again.", err=True)
        if report.unavailable:
            click.echo(f"Nothing applied: {report.unavailable}. Run `flask search rebuild`.", err=True)
        if report.failed or report.busy or report.unavailable:
            sys.exit(1)

    @group.command("status")
    def status_command() -> None:
        """Document count, last change and outbox backlog."""
        from webapp.search import engine, outbox_worker, repair
        from webapp.search.backend import IndexUnavailable

        app = current_app._get_current_object()
        backlog, oldest = outbox_worker.backlog(app)
        try:
            state = engine.backend(app).status()
        except IndexUnavailable as error:
            state = {"error": str(error)}
        state.update(outbox_backlog=backlog, oldest_queued_at=oldest.isoformat() if oldest else None,
                     health=repair.index_health(app))
        click.echo(json.dumps(state, indent=2, default=str))

    app.cli.add_command(group)
