"""Absolute links (e-mails, feeds, exports, citations) at the configured PUBLIC_URL, never at the request's host."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute address of `endpoint` under PUBLIC_URL; works inside and outside a request."""
    app = current_app._get_current_object()
    base = urlsplit(app.config["PUBLIC_URL"])
    # The Host header and X-Forwarded-Host are the client's words: a link built from them could point a mail
    # recipient or a feed reader at another site (issue 8, defect 4).
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def init_app(app: Flask) -> None:
    """Check PUBLIC_URL once at start-up and offer public_url() to templates."""
    base = urlsplit(str(app.config.get("PUBLIC_URL", "")))
    if base.scheme not in {"http", "https"} or not base.hostname or base.query or base.fragment:
        # Refuse to start rather than mail out links that lead nowhere.
        raise ValueError(f"PUBLIC_URL must be an absolute http(s) address such as https://exchange.example.org, "
                         f"not {app.config.get('PUBLIC_URL')!r}")
    app.add_template_global(public_url)
