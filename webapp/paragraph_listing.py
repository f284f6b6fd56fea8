"""What was shared under a Call paragraph. Each content kind registers a provider; each provider filters
through policy.visible() with the viewer passed in."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session

from webapp.policy import Viewer


@dataclass
class ParagraphSection:
    """One kind of content under a paragraph (e.g. submissions grouped by stakeholder type)."""

    key: str
    title: str
    template: str  # partial that renders `section.items`
    items: list = field(default_factory=list)
    total: int = 0


Provider = Callable[[Session, Viewer, int], ParagraphSection]
_PROVIDERS: dict[str, Provider] = {}


def register(key: str, provider: Provider) -> None:
    """Add a content kind to paragraph pages."""
    _PROVIDERS[key] = provider


def shared_under(db: Session, viewer: Viewer, number: int) -> list[ParagraphSection]:
    """Every registered kind's section for this paragraph, as this viewer may read it."""
    return [provider(db, viewer, number) for _key, provider in sorted(_PROVIDERS.items())]
