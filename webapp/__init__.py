"""REAIM Exchange: create_app() wires configuration, database, sign-in, blueprints, error handlers and CLI."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.config import PROJECT_ROOT, build_config, instance_path
from webapp.ids import IdConverter


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application. Migrations are a deploy step and never run here."""
    folder = Path((overrides or {}).get("INSTANCE_PATH") or instance_path())
    folder.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(folder),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(build_config(folder))
    app.config.update(overrides or {})
    logging.basicConfig(level=logging.INFO)
    # Forwarded headers count only for the configured proxy hops (0 = no proxy: they are the client's words).
    hops = {name: int(app.config.get(f"PROXY_FIX_{name.upper()}", 0)) for name in ("x_for", "x_proto", "x_host")}
    if any(hops.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **hops)

    from webapp import auth, cli, db, errors, jobs, links, rate_limits, security, templating
    from webapp.counts import cache as counts_cache
    from webapp.extensions import csrf, limiter

    db.init_app(app)
    counts_cache.init_app(app)
    jobs.init_app(app)
    csrf.init_app(app)
    rate_limits.configure(app)
    limiter.init_app(app)
    links.init_app(app)
    auth.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    # <id:…> path parameters that no row can have answer 404, never an overflow error (500). `int` is the same
    # converter, so a route written with <id:…> (e.g. from a branch merged later) fails closed too.
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = IdConverter

    from webapp.views import register_blueprints

    register_blueprints(app)
    return app
