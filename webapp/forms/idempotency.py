"""The idempotency key of a form that creates something: a fresh random value per rendered form (hidden)."""
from __future__ import annotations

import secrets

from wtforms import HiddenField
from wtforms.validators import Length


def new_key() -> str:
    """A key no other rendering of any form will get."""
    return secrets.token_urlsafe(24)


class SubmittedOnce:
    """Mixin for forms whose POST creates an item: a repeated POST with the same key leads to the first item."""

    idempotency_key = HiddenField(default=new_key, validators=[Length(max=64)])
