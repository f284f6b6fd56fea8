"""Server-side Markdown preview: a form's "Preview the text" button shows each Markdown field as it will read,
sanitized like the saved text, and saves nothing (no JavaScript needed)."""
from __future__ import annotations

from flask import request

from webapp.sanitize import markdown_to_html

PREVIEW_BUTTON = "preview_markdown"
# Longer texts are refused when saved; the preview shows their beginning rather than rendering megabytes.
PREVIEW_MAX_CHARS = 100_000


def previewed(form, names) -> bool:
    """Whether the person pressed the preview button; if so, each named field gets its sanitized `preview_html`."""
    if not (request.method == "POST" and request.form.get(PREVIEW_BUTTON)):
        return False
    for name in names:
        field = getattr(form, name)
        field.preview_html = markdown_to_html(str(field.data or "")[:PREVIEW_MAX_CHARS])
    return True
