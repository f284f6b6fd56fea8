"""Command line: flask migrate | seed [--demo] | users create-admin | search rebuild|reconcile|apply|status | jobs run|status|run-periodic | proxy-config."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from webapp.config import PROJECT_ROOT


def alembic_config():
    """The Alembic configuration pointing at migrations/ and the app's database."""
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = current_app.config["DATABASE_URL"]
    return config


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("migrate")
    @click.option("--revision", default="head", show_default=True)
    def migrate(revision: str) -> None:
        """Apply Alembic migrations (a deploy step; never run by create_app)."""
        from alembic import command

        command.upgrade(alembic_config(), revision)
        click.echo(f"Database migrated to {revision}.")

    @app.cli.command("seed")
    @click.option("--demo", is_flag=True, help="Also load the demo world (printing its passwords) and its archive.")
    def seed(demo: bool) -> None:
        """Load the Call's paragraphs and stakeholder types (idempotent); create the first admin."""
        from webapp.services import seeding

        changed = seeding.load_reference_data()
        click.echo(f"Reference data: {changed} row(s) added or updated.")
        first_admin = seeding.ensure_first_admin()
        if first_admin:
            email, password = first_admin
            click.echo("")
            click.echo("  First administrator created. This password is shown only once:")
            click.echo(f"    e-mail:   {email}")
            click.echo(f"    password: {password}")
            click.echo("  Sign in at /sign-in and change it under Account. Administration opens once you have set up")
            click.echo("  two-factor sign-in (the banner after signing in links to it).")
            click.echo("")
        if demo:
            created = seeding.load_demo_world()
            if not created:
                click.echo("Demo world already loaded; no new accounts.")
            for email, roles, password, totp_secret in created:
                second = f"  totp secret: {totp_secret}" if totp_secret else ""
                click.echo(f"  demo user {email:45} {roles:35} password: {password}{second}")
            from webapp.services.demo_content import load_demo_content
            from webapp.services.demo_dialogue import load_demo_dialogue, personas

            click.echo(f"Demo archive: {load_demo_content()} item(s) published.")
            click.echo(f"Demo dialogue: {load_demo_dialogue()} round(s) created (open, Chatham House, concluded).")
            click.echo("Demo people (organisation · stakeholder type · country):")
            for name, email, organisation, stakeholder, country in personas():
                click.echo(f"  {name:22} {email:40} {organisation} · {stakeholder} · {country}")

    users = AppGroup("users", help="Manage accounts.")  # AppGroup: commands run inside the app context

    @users.command("create-admin")
    @click.argument("email")
    def create_admin(email: str) -> None:
        """Create an admin account with a generated password (printed once) if no admin exists."""
        from webapp.services import seeding

        from webapp.services import ServiceError

        try:
            seeding.load_reference_data()  # the administrator's organisation needs the stakeholder types
            result = seeding.ensure_first_admin(email)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo("An administrator already exists." if result is None else f"{result[0]} password: {result[1]}")

    app.cli.add_command(users)

    from webapp.search import cli as search_cli

    search_cli.init_app(app)

    from webapp.jobs import cli as jobs_cli

    jobs_cli.init_app(app)

    from webapp import proxy_config

    proxy_config.init_app(app)
