"""The main navigation: each feature's blueprint adds its own entry, so base.html never changes per feature."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from webapp.policy import Viewer


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation."""

    endpoint: str
    label: object  # a lazy translated string
    position: int
    shown_to: Callable[[Viewer], bool] = lambda viewer: True
    count: Callable[[Viewer], int] | None = None  # how many things wait there for this viewer (policy-filtered)


_ITEMS: dict[str, NavItem] = {}
log = logging.getLogger(__name__)


def add(endpoint: str, label, position: int, shown_to: Callable[[Viewer], bool] | None = None,
        count: Callable[[Viewer], int] | None = None) -> None:
    """Register a navigation entry (idempotent)."""
    _ITEMS[endpoint] = NavItem(endpoint, label, position, shown_to or (lambda viewer: True), count)


def current_for(items: list[NavItem], endpoint: str | None) -> str | None:
    """The one entry to mark as current: the page's own entry, else the first entry of its section (none on home)."""
    if not endpoint or endpoint == "main.index":
        return None
    if any(item.endpoint == endpoint for item in items):
        return endpoint
    section = endpoint.split(".")[0]
    return next((item.endpoint for item in items if item.endpoint.split(".")[0] == section), None)


def counts_for(viewer: Viewer, items: list[NavItem]) -> dict[str, int]:
    """What waits behind each entry that counts (review queue, flags); a count that fails is left out, not fatal."""
    counts = {}
    for item in items:
        if item.count is None:
            continue
        try:
            counts[item.endpoint] = item.count(viewer)
        except SQLAlchemyError:
            log.exception("navigation count for %s failed: left out", item.endpoint)
    return counts


def items_for(viewer: Viewer) -> list[NavItem]:
    """The entries this viewer sees, in order."""
    return sorted((item for item in _ITEMS.values() if item.shown_to(viewer)), key=lambda item: item.position)
