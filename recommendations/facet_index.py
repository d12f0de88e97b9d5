"""The public list's filter columns held in memory as arrays, one copy per data version.

Counting 14 facets in PostgreSQL costs about a microsecond per matching row and facet, so
a broad list (a search for "women", a large theme: a fifth of the rows) costs hundreds of
milliseconds at 300k recommendations. Held as integer arrays, the same counts are
`numpy.bincount` calls over the matching rows — about a hundred times less — and the
facet filters, the result count and the order of the pages come from the same arrays.
PostgreSQL still answers the search (`q`: the matching ids and their rank) and reads the
rows of the page shown.

Row *i* of every array is the *i*-th recommendation of the list's default order (newest
first), so a page of an unsearched list is a slice. The copy is built from one snapshot
(so it always matches the data version it is stored under), kept in the shared cache for
the other workers and in this process for the next requests. It is built by the
background job that follows every data change (`tasks.facet_index_refresh`) or else by
the first list request of a version: ~0.3 s at 33k rows, ~3.5 s at 300k. Memory: ~4 MB
per process at 33k rows, ~43 MB at 300k.
"""

from __future__ import annotations

import io
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from django.core.cache import cache
from django.db import connection, transaction

from recommendations.filters import RecommendationFilterSet, ordering_for
from recommendations.models import Recommendation

CACHE_SECONDS = 7 * 24 * 3600  # one copy, replaced by the next data version's
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
    # The rows of each value: value_rows[value_starts[c]:value_starts[c + 1]] have value c.
    value_rows: np.ndarray | None = None
    value_starts: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.value_rows is None:
            codes = self.codes if self.is_array else self.codes - 1  # scalar: 0 is NULL
            present = codes >= 0
            order = np.argsort(codes[present], kind="stable")
            owners = self.owner if self.is_array else np.arange(len(codes), dtype=np.int32)
            self.value_rows = owners[present][order]
            self.value_starts = np.zeros(len(self.values) + 1, dtype=np.int64)
            np.cumsum(np.bincount(codes[present], minlength=len(self.values)), out=self.value_starts[1:])

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
    _in_order: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, ids) -> tuple[np.ndarray, np.ndarray]:
        """(rows, found): the row of each id, and which ids this copy holds."""
        ids = np.asarray(ids, dtype=np.int64)
        table = self._row_by_id
        if table is not None:  # ids are dense enough: one lookup each
            inside = (ids >= 0) & (ids < len(table))
            rows = np.full(len(ids), -1, dtype=np.int32)
            rows[inside] = table[ids[inside]]
            found = rows >= 0
            return rows[found], found
        places = np.searchsorted(self.sorted_ids, ids)
        places[places == len(self.sorted_ids)] = 0
        found = self.sorted_ids[places] == ids if len(self.sorted_ids) else np.zeros(len(ids), dtype=bool)
        return self.id_rows[places[found]], found

    @cached_property
    def _row_by_id(self) -> np.ndarray | None:
        """id -> row (-1: none), unless the ids are too sparse for a table."""
        top = int(self.sorted_ids[-1]) + 1 if len(self.sorted_ids) else 0
        if top > 4 * len(self) + 100_000:
            return None
        table = np.full(top, -1, dtype=np.int32)
        table[self.ids] = np.arange(len(self), dtype=np.int32)
        return table

    def mask(self, facet: str, values: set[str]) -> np.ndarray:
        """Rows having any of `values` (text, as in the counts) in `facet`."""
        column = self.columns[facet]
        rows = np.zeros(len(self), dtype=bool)
        for code, value in enumerate(column.values):
            if value in values:
                rows[column.value_rows[column.value_starts[code] : column.value_starts[code + 1]]] = True
        return rows

    def counts(self, facet: str, rows: np.ndarray | None, selected: np.ndarray | None) -> list[tuple[str, str, int]]:
        """(facet, value, count) of the values present in `rows` (row numbers, `selected`
        the same rows as a mask; None: every row), NULL left out. Those over every row are
        counted once per copy."""
        if rows is None and facet in self.totals:
            return self.totals[facet]
        column = self.columns[facet]
        if not column.is_array:
            codes = column.codes if rows is None else column.codes[rows]
            found = np.bincount(codes, minlength=len(column.values) + 1)[1:]
        else:
            found = np.bincount(self._array_codes(column, rows, selected), minlength=len(column.values))
        values = column.values
        counted = [(facet, values[code], int(found[code])) for code in np.flatnonzero(found)]
        if rows is None:
            self.totals[facet] = counted
        return counted

    def _array_codes(self, column: Column, rows: np.ndarray | None, selected: np.ndarray | None) -> np.ndarray:
        if rows is None:
            return column.codes
        if len(rows) > GATHER_SHARE * len(self):
            return column.codes[selected[column.owner]]
        return column.codes[gather(column.starts, rows)]

    def rows_in_order(self, ordering: str) -> np.ndarray:
        """Every row in `ordering` ("date", "paragraph"), worked out once per copy."""
        found = self._in_order.get(ordering)
        if found is None:
            found = self._in_order[ordering] = np.argsort(self.orders[ordering], kind="stable").astype(np.int32)
        return found


class OrderedIds:
    """The ids of `rows` by ascending `keys` (unique), sorted only as far as a page asks:
    a page near the start takes the first rows by partition, not by sorting every match."""

    def __init__(self, ids: np.ndarray, rows: np.ndarray, keys: np.ndarray) -> None:
        self.ids, self.rows, self.keys = ids, rows, keys

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self[0 : len(self)])

    def __getitem__(self, part):
        if isinstance(part, (int, np.integer)):
            return self[part : part + 1][0]
        start, stop, _ = part.indices(len(self))
        if stop <= start:
            return self.ids[:0]
        if stop < len(self) // 2:
            first = np.argpartition(self.keys, stop - 1)[:stop]
            first = first[np.argsort(self.keys[first])]
        else:
            first = np.argsort(self.keys)
        return self.ids[self.rows[first[start:stop]]]


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
        _current = _shared(version)
        return _current


def refresh() -> FacetIndex:
    """Build the current version's copy into the shared cache unless it is there (the background job)."""
    from recommendations.vocabulary import data_version

    return _shared(data_version())


def _shared(version: int) -> FacetIndex:
    """The shared cache's copy if it is of `version` or newer, else one built now and
    stored in its place: the cache holds one copy, whatever the number of data changes."""
    held = cache.get(CACHE_KEY)
    if held is None or held.version < version:
        held = build()
        cache.set(CACHE_KEY, held, CACHE_SECONDS)
    return held


def forget() -> None:
    """Drop this process's copy (tests: a rollback rewinds the data version)."""
    global _current
    _current = None


# Bumped whenever the layout of FacetIndex or Column changes: a copy pickled by older
# code is then never read.
LAYOUT = 2
CACHE_KEY = f"facet-index:{LAYOUT}"


_ORDERS = {  # ordering -> its ORDER BY (`filters.ordering_for`)
    "-date": ordering_for("-date", False),  # the default: the rows' own order
    "date": ordering_for("date", False),
    "paragraph": ordering_for("paragraph", False),
    # Relevance ties are broken by what follows the rank.
    "relevance": ordering_for("relevance", True)[1:],
}
_SEPARATOR = "\x1f"  # between the values of an array in the COPY text (none holds it)
_NULL = "\\N"  # COPY's text for NULL


def build() -> FacetIndex:
    """Read every row's facet values and places in each order, and the data version, from
    one snapshot: COPY text parsed in bulk (~3.5 s at 300k rows, 0.3 s at 33k)."""
    with _snapshot(), connection.cursor() as cursor:
        cursor.execute("SELECT version FROM recommendations_dataversion WHERE id = 1")
        found = cursor.fetchone()
        orders = {name: _ids(cursor, order) for name, order in _ORDERS.items()}
        columns = facet_columns()
        arrays = array_facets()
        select = ", ".join(
            f"array_to_string({column}, E'{_SEPARATOR}')" if name in arrays else f"{column}::text"
            for name, column in columns.items()
        )
        table = Recommendation._meta.db_table
        lines = _copy_out(cursor, f"SELECT id, {select} FROM {table}")  # noqa: S608 - model names only
    fields = list(zip(*(line.split("\t") for line in lines), strict=True)) or [()] * (1 + len(columns))
    ids = orders["-date"]
    id_rows = np.argsort(ids, kind="stable").astype(np.int32)
    sorted_ids = ids[id_rows]
    fetched = np.asarray(fields[0], dtype=np.int64)
    # Row k of the index (the default order) is line `source[k]` of the COPY.
    by_id = np.argsort(fetched, kind="stable")
    source = by_id[np.searchsorted(fetched[by_id], ids)] if len(ids) else np.zeros(0, dtype=np.int64)
    places = {}
    for name in ("date", "paragraph", "relevance"):
        place = np.empty(len(ids), dtype=np.int32)
        place[id_rows[np.searchsorted(sorted_ids, orders[name])]] = np.arange(len(ids), dtype=np.int32)
        places[name] = place
    return FacetIndex(
        version=found[0] if found else 0,
        ids=ids,
        sorted_ids=sorted_ids,
        id_rows=id_rows,
        orders=places,
        columns={
            name: (_encode_array if name in arrays else _encode_scalar)(fields[1 + i], source)
            for i, name in enumerate(columns)
        },
    )


@contextmanager
def _snapshot():
    """Every statement of the build sees the same data: one REPEATABLE READ transaction
    (inside an outer transaction, that one's view: nothing else writes into it)."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _ids(cursor, order) -> np.ndarray:
    sql, params = Recommendation.objects.order_by(*order).values_list("id").query.sql_with_params()
    lines = _copy_out(cursor, cursor.mogrify(sql, params).decode())
    return np.asarray(lines, dtype=np.int64)


def _copy_out(cursor, sql: str) -> list[str]:
    buffer = io.StringIO()
    cursor.copy_expert(f"COPY ({sql}) TO STDOUT", buffer)
    return buffer.getvalue().split("\n")[:-1]


def gather(starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions of the values of `rows` in an array facet's `codes`, row after row."""
    first = starts[rows]
    lengths = starts[rows + 1] - first
    # Position k is first[row] + (k - where that row's run begins).
    return np.repeat(first - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))


_ESCAPED = re.compile(r"\\(.)")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def unescape(text: str) -> str:
    """A value as COPY's text format wrote it, back as it is (backslash sequences)."""
    return _ESCAPED.sub(lambda found: _ESCAPES.get(found[1], found[1]), text) if "\\" in text else text


def _encode_scalar(texts: tuple[str, ...], source: np.ndarray) -> Column:
    codes: dict[str, int] = {_NULL: 0}
    found = np.fromiter((codes.setdefault(text, len(codes)) for text in texts), dtype=np.int32, count=len(texts))
    return Column(values=[unescape(text) for text in codes if text != _NULL], codes=found[source])


def _encode_array(texts: tuple[str, ...], source: np.ndarray) -> Column:
    codes: dict[str, int] = {}
    items = (item for text in texts if text and text != _NULL for item in text.split(_SEPARATOR))
    flat = np.fromiter((codes.setdefault(item, len(codes)) for item in items), dtype=np.int32)
    lengths = np.fromiter(
        (text.count(_SEPARATOR) + 1 if text and text != _NULL else 0 for text in texts),
        dtype=np.int64,
        count=len(texts),
    )
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    ordered_lengths = lengths[source]
    ordered_starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(ordered_lengths, out=ordered_starts[1:])
    return Column(
        values=[unescape(text) for text in codes],
        codes=flat[gather(starts, source)],
        starts=ordered_starts,
        owner=np.repeat(np.arange(len(texts), dtype=np.int32), ordered_lengths),
    )
