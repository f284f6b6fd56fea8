"""Blueprints. Each view: parse → one service or query → render or redirect (PRG)."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every feature's blueprint."""
    from webapp.views import (
        admin,
        archive,
        auth,
        data_rights,
        dialogue,
        groups,
        health,
        language,
        main,
        moderation,
        notification_settings,
        notifications,
        organisations,
        paragraphs,
        search,
    )

    for module in (main, auth, paragraphs, admin, archive, dialogue, moderation, notifications, notification_settings,
                   search, health, groups, organisations, language, data_rights):
        app.register_blueprint(module.bp)
