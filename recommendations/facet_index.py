"""The public list's filter columns held in memory as arrays, one copy per data version.

Counting 14 facets in PostgreSQL costs about a microsecond per matching row and facet, so
a broad list (a search for "women", a large theme: a fifth of the rows) costs hundreds of
milliseconds at 300k recommendations. Held as integer arrays, the same counts are
`numpy.bincount` calls over the matching rows — about a hundred times less — and the
facet filters, the result count and the order of the pages come from the same arrays.
PostgreSQL still answers the search (`q`: the matching ids and their rank) and reads the
rows of the page shown.

Row *i* of every array is the *i*-th recommendation of the list's default order (newest
first), so a page of an unsearched list is a slice. The copy is built from one statement
(one snapshot, so it always matches the data version it is stored under), kept in the
shared cache for the other workers and in this process for the next requests. It is
built by the background job that follows every data change (`tasks.facet_summary_refresh`)
or else by the first list request of a version: ~0.3 s at 33k rows, ~5 s at 300k.
Memory: ~4 MB per process at 33k rows, ~40 MB at 300k.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db.models import Subquery, Window
from django.db.models.functions import RowNumber

from recommendations.filters import RecommendationFilterSet, ordering_for
from recommendations.models import DataVersion, Recommendation

CACHE_SECONDS = 7 * 24 * 3600  # keyed by the data version: a newer version never reads it
# Below this share of the rows, the values of an array facet are gathered row by row;
# above it, every value is masked (one pass over all of them is then cheaper).
GATHER_SHARE = 0.25

_lock = threading.Lock()
_current: FacetIndex | None = None


@dataclass
class Column:
    """One facet: its values as PostgreSQL writes them as text, and per row their codes.

    Scalar facets: `codes[i]` is row i's value + 1 (0: NULL). Array facets: row i's values
    are `codes[starts[i]:starts[i + 1]]`, and `owner[k]` is the row of `codes[k]`.
    """

    values: list[str]
    codes: np.ndarray
    starts: np.ndarray | None = None
    owner: np.ndarray | None = None

    @property
    def is_array(self) -> bool:
        return self.starts is not None


@dataclass
class FacetIndex:
    version: int
    ids: np.ndarray  # row -> recommendation id
    sorted_ids: np.ndarray  # the ids sorted, and `id_rows` the row of each
    id_rows: np.ndarray
    orders: dict[str, np.ndarray]  # ordering -> each row's place in it (0 first)
    columns: dict[str, Column]
    totals: dict[str, list] = field(default_factory=dict)  # facet -> its counts over every row

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, ids) -> tuple[np.ndarray, np.ndarray]:
        """(rows, found): the row of each id, and which ids this copy holds."""
        ids = np.asarray(ids, dtype=np.int64)
        places = np.searchsorted(self.sorted_ids, ids)
        places[places == len(self.sorted_ids)] = 0
        found = self.sorted_ids[places] == ids if len(self.sorted_ids) else np.zeros(len(ids), dtype=bool)
        return self.id_rows[places[found]], found

    def mask(self, facet: str, values: set[str]) -> np.ndarray:
        """Rows having any of `values` (text, as in the counts) in `facet`."""
        column = self.columns[facet]
        wanted = [code for code, value in enumerate(column.values) if value in values]
        if not column.is_array:
            return np.isin(column.codes, np.asarray(wanted, dtype=column.codes.dtype) + 1)
        rows = np.zeros(len(self), dtype=bool)
        rows[column.owner[np.isin(column.codes, np.asarray(wanted, dtype=column.codes.dtype))]] = True
        return rows

    def counts(self, facet: str, rows: np.ndarray, selected: np.ndarray) -> list[tuple[str, str, int]]:
        """(facet, value, count) of the values present in `rows` (row numbers; `selected`
        the same rows as a mask), NULL left out. Those over every row are counted once."""
        if len(rows) == len(self) and facet in self.totals:
            return self.totals[facet]
        column = self.columns[facet]
        if not column.is_array:
            found = np.bincount(column.codes[rows], minlength=len(column.values) + 1)[1:]
        else:
            found = np.bincount(self._array_codes(column, rows, selected), minlength=len(column.values))
        values = column.values
        counted = [(facet, values[code], int(found[code])) for code in np.flatnonzero(found)]
        if len(rows) == len(self):
            self.totals[facet] = counted
        return counted

    def _array_codes(self, column: Column, rows: np.ndarray, selected: np.ndarray) -> np.ndarray:
        if len(rows) == len(self):
            return column.codes
        if len(rows) > GATHER_SHARE * len(self):
            return column.codes[selected[column.owner]]
        starts = column.starts[rows]
        lengths = column.starts[rows + 1] - starts
        total = int(lengths.sum())
        if not total:
            return column.codes[:0]
        # Position k of the gathered values is starts[row] + (k - where that row's run begins).
        runs = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        return column.codes[runs + np.arange(total)]


def facet_columns() -> dict[str, str]:
    """facet -> the column it filters and counts (the FilterSet's)."""
    filters = RecommendationFilterSet.base_filters
    return {name: filters[name].field_name for name in RecommendationFilterSet.FACETS}


def array_facets() -> set[str]:
    filters = RecommendationFilterSet.base_filters
    return {name for name in RecommendationFilterSet.FACETS if getattr(filters[name], "array", False)}


def current(version: int) -> FacetIndex:
    """The copy for data `version` (or a newer one): this process's, the shared cache's, or built now."""
    global _current
    held = _current
    if held is not None and held.version >= version:
        return held
    with _lock:  # a worker's threads build it once
        held = _current
        if held is not None and held.version >= version:
            return held
        held = cache.get(_key(version))
        if held is None:
            held = build()
            cache.set(_key(held.version), held, CACHE_SECONDS)
        _current = held
        return held


def refresh() -> FacetIndex:
    """Build the current version's copy into the shared cache unless it is there (the background job)."""
    from recommendations.vocabulary import data_version

    held = cache.get(_key(data_version()))
    if held is None:
        held = build()
        cache.set(_key(held.version), held, CACHE_SECONDS)
    return held


def forget() -> None:
    """Drop this process's copy (tests: a rollback rewinds the data version)."""
    global _current
    _current = None


def _key(version: int) -> str:
    return f"facet-index:{version}"


_ORDERS = {  # ordering -> the ORDER BY of each row's place (`filters.ordering_for`)
    "date": ordering_for("date", False),
    "paragraph": ordering_for("paragraph", False),
    # Relevance ties are broken by what follows the rank.
    "relevance": ordering_for("relevance", True)[1:],
}


def build() -> FacetIndex:
    """Read every row's facet values and places, and the data version, in one statement."""
    columns = facet_columns()
    places = {f"o_{name}": Window(RowNumber(), order_by=order) for name, order in _ORDERS.items()}
    query = (
        Recommendation.objects.order_by(*ordering_for("-date", False))
        .annotate(data_version=Subquery(DataVersion.objects.filter(pk=1).values("version")[:1]), **places)
        .values_list("data_version", "id", *places, *columns.values())
    )
    rows = list(query.iterator(chunk_size=5000))
    if not rows:
        from recommendations.vocabulary import data_version

        rows_version, fields = data_version(), [()] * (2 + len(places) + len(columns))
    else:
        fields = list(zip(*rows, strict=True))
        rows_version = fields[0][0] or 0
    ids = np.asarray(fields[1], dtype=np.int64)
    id_rows = np.argsort(ids, kind="stable")
    arrays, first = array_facets(), 2 + len(places)
    return FacetIndex(
        version=rows_version,
        ids=ids,
        sorted_ids=ids[id_rows],
        id_rows=id_rows.astype(np.int32),
        orders={name: np.asarray(fields[2 + i], dtype=np.int32) - 1 for i, name in enumerate(_ORDERS)},
        columns={name: _encode(fields[first + i], name in arrays) for i, name in enumerate(columns)},
    )


def _text(value) -> str:
    """A value as PostgreSQL's `::text` writes it (the counts' values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encode(values, is_array: bool) -> Column:
    codes: dict[str, int] = {}
    if not is_array:
        found = [0 if value is None else codes.setdefault(_text(value), len(codes)) + 1 for value in values]
        return Column(values=list(codes), codes=np.asarray(found, dtype=np.int32))
    flat = [codes.setdefault(_text(item), len(codes)) for row in values for item in row if item is not None]
    lengths = np.asarray([sum(item is not None for item in row) for row in values], dtype=np.int64)
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return Column(
        values=list(codes),
        codes=np.asarray(flat, dtype=np.int32),
        starts=starts,
        owner=np.repeat(np.arange(len(lengths), dtype=np.int32), lengths),
    )
