"""The small-cell rule (DESIGN.md rule 11): figures by stakeholder type never single anyone out.

In a Chatham House or hidden-roster round, any count by stakeholder type (participants, their posts, invited
organisations) under SMALL_CELL_THRESHOLD is withheld and shown as "fewer than N" — zero included, since "0" next
to "fewer than 3" would tell that one or two people of that type took part. A row's other figures (its posts) are
withheld with it. A total is never exact while a cell is withheld: it is "at least S", S being the sum of the cells
shown, so total minus the shown cells reveals nothing the page does not already say. The round's facilitators,
who see every name anyway, see the exact figures. Every page, export and statistic calls `protect_cells`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from webapp.models import DialogueRound
from webapp.policy import Viewer

DEFAULT_THRESHOLD = 3


def small_cell_threshold() -> int:
    """The configured threshold (SMALL_CELL_THRESHOLD), the default outside an application."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DEFAULT_THRESHOLD
    return max(2, int(current_app.config.get("SMALL_CELL_THRESHOLD", DEFAULT_THRESHOLD)))


@dataclass(frozen=True)
class Figure:
    """A count as it may be shown: exact, withheld ("fewer than threshold"), or a lower bound ("at least")."""

    value: int | None
    withheld: bool = False
    at_least: bool = False
    threshold: int = DEFAULT_THRESHOLD

    def __str__(self) -> str:
        from flask_babel import gettext as _

        if self.withheld:
            return _("fewer than %(n)d", n=self.threshold)
        if self.at_least:
            return _("at least %(n)d", n=self.value)
        return str(self.value)

    def as_json(self) -> int | str:
        """For exports: the number when exact, else the words (never the hidden number)."""
        return self.value if not (self.withheld or self.at_least) else str(self)


@dataclass(frozen=True)
class ProtectedCounts:
    """Cells (by key) and their totals, after the rule. `withheld` names the keys whose row is withheld."""

    cells: dict[str, dict[str, Figure]]
    totals: dict[str, Figure]
    withheld: frozenset[str]
    protected: bool
    threshold: int
    # The withheld rows' key measure (never shown; decides whether their key points may be pooled).
    withheld_counts: dict[str, int] = field(default_factory=dict, repr=False)


def small_cells_apply(viewer: Viewer, round_: DialogueRound | None) -> bool:
    """Does the rule apply to what `viewer` sees of this round? Chatham House or hidden roster, not a facilitator."""
    from webapp.policy.dialogue import facilitates

    if round_ is None or not (round_.chatham_house or getattr(round_, "hidden_roster", False)):
        return False
    return not facilitates(viewer, round_)


def rounds_under_the_rule(viewer: Viewer, rounds) -> frozenset[int]:
    """The ids of `rounds` whose figures by stakeholder type or country the rule protects for `viewer` (search
    facets count nothing of theirs by type or country: a facet is a count by type too)."""
    return frozenset(round_.id for round_ in rounds if small_cells_apply(viewer, round_))


def protect_cells(rows: Mapping[str, Mapping[str, int]], *, key_measure: str, protect: bool,
                  threshold: int | None = None) -> ProtectedCounts:
    """THE small-cell rule. `rows`: {stakeholder type: {measure: count}}; a row whose `key_measure` (people or
    organisations) is under the threshold is withheld whole. Totals are exact only when nothing is withheld."""
    threshold = small_cell_threshold() if threshold is None else threshold
    measures = sorted({measure for row in rows.values() for measure in row} | {key_measure})
    withheld = frozenset(key for key, row in rows.items() if protect and row.get(key_measure, 0) < threshold)
    cells = {
        key: {measure: Figure(None, withheld=True, threshold=threshold) if key in withheld
              else Figure(row.get(measure, 0), threshold=threshold) for measure in measures}
        for key, row in rows.items()
    }
    totals = {}
    for measure in measures:
        shown = sum(row.get(measure, 0) for key, row in rows.items() if key not in withheld)
        totals[measure] = Figure(shown, at_least=bool(withheld), threshold=threshold)
    withheld_counts = {key: rows[key].get(key_measure, 0) for key in withheld}
    return ProtectedCounts(cells, totals, withheld, protect, threshold, withheld_counts)


@dataclass(frozen=True)
class KeyPoints:
    """Key points by type as the viewer may see them: `by_type` attributed, `pooled` under no type."""

    by_type: dict[str, str]
    pooled: list[str]
    withheld: bool  # some key points are not shown at all (their pool was itself a small cell)


def protect_key_points(points: Mapping[str, str], figures: ProtectedCounts) -> KeyPoints:
    """Key points of a withheld type are never attributed to it: they are pooled (unlabelled, in type order) when
    the withheld types together reach the threshold, otherwise not shown. Others stay by type."""
    by_type = {code: text for code, text in points.items() if code not in figures.withheld}
    small = {code: text for code, text in points.items() if code in figures.withheld and text}
    if not small:
        return KeyPoints(by_type, [], False)
    if sum(figures.withheld_counts.get(code, 0) for code in small) >= figures.threshold:
        return KeyPoints(by_type, list(small.values()), False)
    return KeyPoints(by_type, [], True)
