"""The main navigation: each feature's blueprint adds its own entry, so base.html never changes per feature."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from webapp.policy import Viewer


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation."""

    endpoint: str
    label: object  # a lazy translated string
    position: int
    shown_to: Callable[[Viewer], bool] = lambda viewer: True


_ITEMS: dict[str, NavItem] = {}


def add(endpoint: str, label, position: int, shown_to: Callable[[Viewer], bool] | None = None) -> None:
    """Register a navigation entry (idempotent)."""
    _ITEMS[endpoint] = NavItem(endpoint, label, position, shown_to or (lambda viewer: True))


def items_for(viewer: Viewer) -> list[NavItem]:
    """The entries this viewer sees, in order."""
    return sorted((item for item in _ITEMS.values() if item.shown_to(viewer)), key=lambda item: item.position)
