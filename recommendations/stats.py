"""Counts for the public pages, each from one aggregate query whatever the data size.

`recommendation_cube` counts recommendations by (cycle, position, status) in one GROUP BY;
every breakdown the home and State pages show (totals, by cycle, by position, by status,
cycles × statuses) is summed from it in Python, so a page pays one query for all of them.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from recommendations.models import (
    ImplementationStatus,
    Position,
    Recommendation,
    Review,
    StatusChange,
    ThemeVocabulary,
)
from stakeholders.models import State

NO_CYCLE = "none"
NO_POSITION = "none"


@dataclass(frozen=True)
class Share:
    """One line of a breakdown: `key` is stable (URLs, CSS classes), `label` translated."""

    key: str
    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css_class: str


@dataclass(frozen=True)
class MatrixRow:
    label: str
    values: list[int]
    css_class: str = ""

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class Matrix:
    """Counts of rows (cycles, themes) split by series (statuses, positions): the data of
    one stacked bar chart and of the table shown beside it."""

    rows: list[MatrixRow]
    series: list[Series]

    @property
    def series_totals(self) -> list[int]:
        return [sum(row.values[i] for row in self.rows) for i in range(len(self.series))]

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    def transposed(self) -> Matrix:
        """Series as rows: a narrower table when there are more series than rows."""
        rows = [
            MatrixRow(series.label, [row.values[i] for row in self.rows], series.css_class)
            for i, series in enumerate(self.series)
        ]
        return Matrix(rows, [Series(row.label, row.label, row.css_class) for row in self.rows])


def cycle_label(cycle: int | None) -> str:
    return _("Cycle %(number)s") % {"number": cycle} if cycle else _("Other mechanisms")


def position_label(position: str) -> str:
    return str(Position(position).label) if position else _("No position recorded")


def status_label(status: str) -> str:
    return str(ImplementationStatus(status).label)


def position_series(position: str) -> Series:
    key = position or NO_POSITION
    return Series(key, position_label(position), f"swatch-position-{key}")


def status_series(status: str) -> Series:
    return Series(status, status_label(status), f"swatch-status-{status}")


def _choice_order(choices: type[Position] | type[ImplementationStatus]) -> Callable[[str], int]:
    # Declaration order of the choices; blank (no position) last.
    order = {value: index for index, value in enumerate(choices.values)}
    return lambda value: order.get(value, len(order))


def _cycle_order(cycle: int | None) -> int:
    return cycle or 1000  # other mechanisms after the UPR cycles


class Cube:
    """Recommendation counts by (cycle, position, status) and the newest `updated_at`."""

    def __init__(self, counts: Counter[tuple[int | None, str, str]], latest: datetime.datetime | None) -> None:
        self.counts = counts
        self.latest = latest

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def version(self) -> str:
        """Changes whenever a recommendation is added, removed or saved (chart cache keys)."""
        stamp = self.latest.timestamp() if self.latest else 0
        return f"{stamp:.6f}-{self.total}"

    def _sum_by(self, index: int) -> Counter:
        sums: Counter = Counter()
        for key, count in self.counts.items():
            sums[key[index]] += count
        return sums

    def _shares(self, index: int, order: Callable, label: Callable, key: Callable) -> list[Share]:
        sums, total = self._sum_by(index), self.total
        return [
            Share(key(value), label(value), sums[value], round(100 * sums[value] / total, 1))
            for value in sorted(sums, key=order)
        ]

    def by_cycle(self) -> list[Share]:
        return self._shares(0, _cycle_order, cycle_label, lambda cycle: str(cycle or NO_CYCLE))

    def by_position(self) -> list[Share]:
        return self._shares(1, _choice_order(Position), position_label, lambda value: value or NO_POSITION)

    def by_status(self) -> list[Share]:
        return self._shares(2, _choice_order(ImplementationStatus), status_label, str)

    def cycle_by_status(self) -> Matrix:
        cells: dict[int | None, Counter] = defaultdict(Counter)
        for (cycle, _position, status), count in self.counts.items():
            cells[cycle][status] += count
        statuses = sorted({status for _c, _p, status in self.counts}, key=_choice_order(ImplementationStatus))
        rows = [
            MatrixRow(cycle_label(cycle), [cells[cycle][status] for status in statuses])
            for cycle in sorted(cells, key=_cycle_order)
        ]
        return Matrix(rows, [status_series(status) for status in statuses])


def recommendation_cube(recommendations: QuerySet[Recommendation]) -> Cube:
    """One query: counts per (cycle, position, status) of `recommendations`."""
    rows = (
        recommendations.order_by()
        .values_list("review__cycle", "position", "status")
        .annotate(n=Count("id"), latest=Max("updated_at"))
    )
    counts: Counter = Counter()
    latest = None
    for cycle, position, status, count, updated in rows:
        counts[(cycle, position, status)] = count
        latest = updated if latest is None or updated > latest else latest
    return Cube(counts, latest)


def theme_position_matrices(recommendations: QuerySet[Recommendation], *, top: int = 10) -> dict[str, Matrix]:
    """One query: for each theme vocabulary, its `top` themes (most recommendations
    first) with their recommendations counted by position."""
    rows = (
        Recommendation.themes.through.objects.filter(recommendation__in=recommendations.order_by().values("id"))
        .values_list("theme__vocabulary", "theme__name", "recommendation__position")
        .annotate(n=Count("id"))
        .order_by()
    )
    cells: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for vocabulary, theme, position, count in rows:
        cells[vocabulary][theme][position] += count
    return {vocabulary: _top_themes(cells[vocabulary], top) for vocabulary in ThemeVocabulary.values}


def _top_themes(themes: dict[str, Counter], top: int) -> Matrix:
    ranked = sorted(themes.items(), key=lambda item: (-item[1].total(), item[0]))[:top]
    positions = sorted({position for _theme, counts in ranked for position in counts}, key=_choice_order(Position))
    rows = [MatrixRow(theme, [counts[position] for position in positions]) for theme, counts in ranked]
    return Matrix(rows, [position_series(position) for position in positions])


def state_reviews(state: State) -> QuerySet[Review]:
    """A State's reviews, UPR first then other mechanisms, with their recommendation counts."""
    return (
        Review.objects.filter(state=state)
        .select_related("mechanism")
        .annotate(recommendation_count=Count("recommendations"))
        .order_by("mechanism__kind", "mechanism__acronym", "session", "date", "id")
    )


def states_under_review() -> QuerySet[State]:
    """States that received at least one recommendation, with how many."""
    return (
        State.objects.annotate(recommendation_count=Count("reviews__recommendations"))
        .filter(recommendation_count__gt=0)
        .order_by("name")
    )


def latest_status_changes(limit: int = 10) -> QuerySet[StatusChange]:
    """The newest entries of the official status history (each one validated: only the
    secretariat's validation, its own decision or an import writes there)."""
    return StatusChange.objects.select_related("recommendation__review__state").order_by("-effective_date", "-id")[
        :limit
    ]
