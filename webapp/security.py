"""Response headers (CSP, no-store) and same-site redirect targets."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a same-site path ('/…'), else None. Rejects //host, /\\host, schemes, controls."""
    if not target or len(target) > 2000:
        return None
    if any(ch in target for ch in "\\\r\n\t\x00") or any(ord(ch) < 32 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def init_app(app: Flask) -> None:
    """Add security headers to every response."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if current_user and current_user.is_authenticated:
            # Signed-in pages may hold tiered material: never keep them in a shared or browser cache.
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")  # add to, never replace, what the response already varies on
        return response
