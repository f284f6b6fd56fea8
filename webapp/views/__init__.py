"""Blueprints. Each view: parse → one service or query → render or redirect (PRG)."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every feature's blueprint."""
    from webapp.views import admin, archive, auth, dialogue, main, moderation, notifications, paragraphs, search

    for module in (main, auth, paragraphs, admin, archive, dialogue, moderation, notifications, search):
        app.register_blueprint(module.bp)
