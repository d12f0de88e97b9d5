"""Related recommendations, computed once per data version instead of on every page view.

A recommendation's related ones are those addressed to the same State in other reviews
(other cycles, other mechanisms) whose text is similar: pg_trgm's `similarity()` of the
two texts at least `MIN_SIMILARITY`, best first, then oldest id. Asked on a page, that
compares the text with each of the State's other recommendations (~15 µs a pair: 2–3 ms a
page at 33k rows, ~80 ms in the scaled 300k data).

After every data change the background job (`tasks.facet_index_refresh`) computes, State by
State, every pair's similarity at once (`write`): the trigrams of each text as PostgreSQL
makes them (`show_trgm`), identical texts counted once, and the shared trigrams of every
pair as one matrix product. The similarity is computed as pg_trgm computes it (shared /
(trigrams of one + of the other − shared), in single precision), so the lists are the
ones the query gives, ties included. Each recommendation's first `STORED` are kept
(`RelatedSet`) and read by its page (`selectors.recommendation_page_values`) and the API.
A data version whose lists are not built yet is answered by the query, as before.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from itertools import islice

import numpy as np
from django.db import connection

from recommendations.indexing import write_per_version
from recommendations.models import RelatedSet
from upr_portal.lib.copy import copy_sql

MIN_SIMILARITY = 0.3  # pg_trgm.similarity_threshold's default, which `%` used
STORED = 5  # as many as a page shows
# The row of recommendation 0 (no such id) marks a version as built.
BUILT_MARK = 0
# Columns of trigrams multiplied at once: bounds the memory to rows × this many floats.
_COLUMNS_AT_ONCE = 4096
_BUILD_LOCK_ID = 0x55_50_52_04

# One statement, one snapshot: the data version and every text's trigrams, State by State.
ROWS_SQL = """
SELECT v.version, r.f_state, r.id, r.review_id, array_to_string(show_trgm(r.text), '|')
  FROM recommendations_recommendation r, recommendations_dataversion v
 WHERE v.id = 1
 ORDER BY r.f_state, r.id
"""
COPY_SQL = copy_sql(RelatedSet._meta.db_table, ["version", "recommendation_id", "others"])


def write() -> bool:
    """Compute the current data version's related recommendations unless done, and drop
    every other version's. True if this call computed them (the background job)."""
    return write_per_version(RelatedSet._meta.db_table, _BUILD_LOCK_ID, ("recommendation_id", BUILT_MARK), _store)


def _store(cursor) -> bool:
    version, lines = _computed()
    if version is None:  # no data version yet: nothing to mark
        return False
    lines.write(f"{version},{BUILT_MARK},{{}}\n")
    lines.seek(0)
    cursor.copy_expert(COPY_SQL, lines)
    return True


def _computed() -> tuple[int | None, io.StringIO]:
    """The data version and the CSV lines of every recommendation's related ones."""
    version, lines = None, io.StringIO()
    for version, rows in _states():
        for pk, others in related_in_state(*rows).items():
            lines.write(f'{version},{pk},"{{{",".join(map(str, others))}}}"\n')
    if version is None:  # no recommendation: the version alone
        with connection.cursor() as cursor:
            cursor.execute("SELECT version FROM recommendations_dataversion WHERE id = 1")
            found = cursor.fetchone()
        version = found[0] if found else None
    return version, lines


def _states() -> Iterator[tuple[int, tuple[list[int], list[int], list[str]]]]:
    """(version, (ids, review ids, trigrams)) of each State's recommendations, read in one
    statement through a server-side cursor (one State in memory at a time)."""
    state, version, ids, reviews, trigrams = None, None, [], [], []
    with connection.chunked_cursor() as cursor:
        cursor.execute(ROWS_SQL)
        for version, f_state, pk, review_id, found in cursor:
            if f_state != state and ids:
                yield version, (ids, reviews, trigrams)
                ids, reviews, trigrams = [], [], []
            state = f_state
            ids.append(pk)
            reviews.append(review_id)
            trigrams.append(found)
    if ids:
        yield version, (ids, reviews, trigrams)


def related_in_state(ids: list[int], reviews: list[int], trigrams: list[str]) -> dict[int, list[int]]:
    """Each recommendation's related ones among these (one State's, ids ascending):
    other reviews only, similarity ≥ MIN_SIMILARITY, best first then lowest id, up to STORED.
    `trigrams`: each text's `show_trgm`, joined by "|" (a trigram never holds one)."""
    groups: dict[str, int] = {}  # identical texts have identical trigrams: compared once
    group_of = np.array([groups.setdefault(found, len(groups)) for found in trigrams])
    similar = _similarities(list(groups))
    ids_array, reviews_array = np.asarray(ids, dtype=np.int64), np.asarray(reviews, dtype=np.int64)
    # The rows of each group, ascending (so the ids too).
    members = np.split(np.argsort(group_of, kind="stable"), np.cumsum(np.bincount(group_of))[:-1])
    found: dict[int, list[int]] = {}
    for group, own in enumerate(members):
        close = np.flatnonzero(similar[group].astype(np.float64) >= MIN_SIMILARITY)
        if close.size == 0:
            continue
        rows = np.concatenate([members[other] for other in close])
        scores = np.repeat(similar[group, close], [members[other].size for other in close])
        order = np.lexsort((ids_array[rows], -scores))  # best first, then the lowest id
        ranked = list(zip(ids_array[rows[order]].tolist(), reviews_array[rows[order]].tolist(), strict=True))
        for row in own.tolist():
            review = reviews[row]
            kept = list(islice((pk for pk, other in ranked if other != review), STORED))
            if kept:
                found[ids[row]] = kept
    return found


def _similarities(texts: list[str]) -> np.ndarray:
    """pg_trgm's similarity of every pair of these trigram sets, as float32:
    shared / (len_a + len_b − shared), 0 when either has no trigram."""
    vocabulary: dict[str, int] = {}
    rows, columns, lengths = [], [], np.zeros(len(texts), dtype=np.float32)
    for row, text in enumerate(texts):
        if text:
            found = text.split("|")
            for trigram in set(found).difference(vocabulary):
                vocabulary[trigram] = len(vocabulary)
            columns += map(vocabulary.__getitem__, found)
            rows += [row] * len(found)
            lengths[row] = len(found)
    rows_array, columns_array = np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64)
    shared = np.zeros((len(texts), len(texts)), dtype=np.float32)
    for start in range(0, len(vocabulary), _COLUMNS_AT_ONCE):
        chosen = (columns_array >= start) & (columns_array < start + _COLUMNS_AT_ONCE)
        dense = np.zeros((len(texts), _COLUMNS_AT_ONCE), dtype=np.float32)
        dense[rows_array[chosen], columns_array[chosen] - start] = 1.0
        shared += dense @ dense.T  # counts below 2**24: exact in float32
    union = lengths[:, None] + lengths[None, :] - shared
    with np.errstate(divide="ignore", invalid="ignore"):
        similar = np.where((lengths[:, None] > 0) & (lengths[None, :] > 0), shared / union, np.float32(0))
    return similar.astype(np.float32)
