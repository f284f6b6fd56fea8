"""Blueprints. Each view: parse → one service or query → render or redirect (PRG)."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every feature's blueprint."""
    from webapp.views import admin, archive, auth, main, paragraphs, search

    for module in (main, auth, paragraphs, admin, archive, search):
        app.register_blueprint(module.bp)
