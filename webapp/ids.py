"""Database ids read from URLs, query strings and form fields: the one parser that refuses what no row can have.

Every primary key is SQLAlchemy `Integer`: PostgreSQL `integer` (at most 2^31−1) and SQLite's 64-bit INTEGER.
An id outside 1..MAX_ID names no row; sent to the database it would raise an overflow error (a 500), so it never
gets there. Rule (docs/DESIGN.md §7): a path id that is not an id is 404 with the body of a missing id; a query-string
id that is not a number is 400 with a message, one that is a number but no id is 404 (like a missing id); a form field
that is not an id is a field error (400, the form comes back with its text kept).
"""
from __future__ import annotations

from typing import Any

from flask import abort, request
from werkzeug.routing import BaseConverter, ValidationError
from wtforms import HiddenField

# The smallest id column type decides: PostgreSQL `integer`. A BigInteger id column would allow 2^63−1.
MAX_ID = 2**31 - 1
_MAX_DIGITS = len(str(MAX_ID))


def _is_number(raw: str) -> bool:
    # str.isdigit() accepts '١٢' and '²'; int() accepts ' 1', '+1' and '1_0'. An id is plain ASCII digits.
    return raw.isascii() and raw.isdigit()


def parse_number(raw: Any) -> int | None:
    """The whole number written in `raw` (ASCII digits, 0..MAX_ID: what an integer column holds), else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 <= raw <= MAX_ID else None
    if not isinstance(raw, str) or not _is_number(raw):
        return None
    digits = raw.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:  # before int(): a 5,000-digit string is no id and not worth converting
        return None
    number = int(digits)
    return number if number <= MAX_ID else None


def parse_id(raw: Any) -> int | None:
    """The id written in `raw` (ASCII digits, 1..MAX_ID), or None when it is anything else."""
    number = parse_number(raw)
    return number if number else None


def coerce_id(value: Any) -> int:
    """parse_id for WTForms `coerce=`: a ValueError (so a field error) for anything that is not an id."""
    number = parse_id(value)
    if number is None:
        raise ValueError(f"not an id: {str(value)[:20]!r}")
    return number


def coerce_number(value: Any) -> int:
    """parse_number for WTForms `coerce=`, where the service explains a number out of its range (paragraph 0)."""
    number = parse_number(value)
    if number is None:
        raise ValueError(f"not a number: {str(value)[:20]!r}")
    return number


def coerce_optional_id(value: Any) -> int | None:
    """coerce_id for an optional choice: empty (or WTForms' 'None') means no choice."""
    return None if value in (None, "", "None") else coerce_id(value)


def id_arg(name: str, message: str) -> int | None:
    """The id in query-string argument `name`: None when absent or empty, 400 (with `message`) when not a
    number, 404 when a number no row can have (answered like a missing id)."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not _is_number(raw):
        abort(400, description=message)
    number = parse_id(raw)
    if number is None:
        abort(404)
    return number


class IdField(HiddenField):
    """A hidden form field holding an optional id; anything else is a field error with `message`."""

    def __init__(self, label=None, validators=None, message: str = "", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        raw = valuelist[0] if valuelist else ""
        self.data = parse_id(raw) if raw != "" else None
        if raw != "" and self.data is None:
            self.data = None
            raise ValueError(str(self.message))

    def _value(self):
        return "" if self.data is None else str(self.data)


class IdConverter(BaseConverter):
    """`<id:name>` in a route: an id (1..MAX_ID); anything else does not match the route, so it is a 404."""

    regex = r"[0-9]+"  # not \d: Python's \d matches every script's digits
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))
