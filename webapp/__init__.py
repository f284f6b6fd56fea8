"""REAIM Exchange: create_app() wires configuration, database, sign-in, blueprints, error handlers and CLI."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from webapp.config import PROJECT_ROOT, build_config, instance_path


class BoundedIntegerConverter(IntegerConverter):
    """The int converter, limited to what a 32-bit database column holds."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


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
    if app.config.get("PROXY_FIX", True):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    from webapp import auth, cli, db, errors, security, templating
    from webapp.extensions import csrf, limiter

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    # <int:…> path parameters beyond a database integer answer 404, never an overflow error (500).
    app.url_map.converters["int"] = BoundedIntegerConverter

    from webapp.views import register_blueprints

    register_blueprints(app)
    return app
