"""Keeps each recommendation's search and facet columns in step with its relations.

The public list's facet index (`facet_index`) reads the `f_*` columns. Search reads
`SearchEntry`, one narrow row per recommendation with the tsvector of its
`search_document`. One set-based statement refreshes any number of recommendations;
imports call it for what they touched, and signals call it when the admin edits a
recommendation's relations. An import's new rows arrive indexed (`IndexBuilder`), their
tsvectors computed on a second connection (`SearchVectors`).
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import psycopg2
from django.conf import settings
from django.db import connection, transaction

from upr_portal.lib.copy import csv_array

# Aggregates per recommendation, computed for the ids in `targets` only.
REINDEX_SQL = """
WITH targets AS (SELECT unnest(%(ids)s::bigint[]) AS id),
themes AS (
    SELECT l.recommendation_id AS id, array_agg(t.slug ORDER BY t.slug) AS slugs,
           string_agg(t.name, ' ') AS names
    FROM recommendations_recommendation_themes l
    JOIN recommendations_theme t ON t.id = l.theme_id
    WHERE l.recommendation_id IN (SELECT id FROM targets) GROUP BY 1
),
groups AS (
    SELECT l.recommendation_id AS id, array_agg(g.slug ORDER BY g.slug) AS slugs,
           string_agg(g.name, ' ') AS names
    FROM recommendations_recommendation_affected_groups l
    JOIN recommendations_affectedgroup g ON g.id = l.affectedgroup_id
    WHERE l.recommendation_id IN (SELECT id FROM targets) GROUP BY 1
),
sdgs AS (
    SELECT id, array_agg(DISTINCT number ORDER BY number) AS numbers FROM (
        SELECT l.recommendation_id AS id, g.number::text AS number
        FROM recommendations_recommendation_sdg_goals l
        JOIN recommendations_sdggoal g ON g.id = l.sdggoal_id
        WHERE l.recommendation_id IN (SELECT id FROM targets)
        UNION ALL
        SELECT l.recommendation_id, t.number
        FROM recommendations_recommendation_sdg_targets l
        JOIN recommendations_sdgtarget t ON t.id = l.sdgtarget_id
        WHERE l.recommendation_id IN (SELECT id FROM targets)
    ) numbers GROUP BY id
),
sponsors AS (
    SELECT l.recommendation_id AS id, array_agg(s.iso3 ORDER BY s.iso3) AS codes,
           array_remove(array_agg(DISTINCT s.region), '') AS regions, string_agg(s.name, ' ') AS names
    FROM recommendations_recommendation_recommending_states l
    JOIN stakeholders_state s ON s.id = l.state_id
    WHERE l.recommendation_id IN (SELECT id FROM targets) GROUP BY 1
),
institutions AS (
    SELECT r.recommendation_id AS id, array_agg(o.slug ORDER BY o.slug) AS slugs,
           string_agg(o.name, ' ') AS names
    FROM recommendations_responsibility r
    JOIN stakeholders_organisation o ON o.id = r.organisation_id
    WHERE r.recommendation_id IN (SELECT id FROM targets) GROUP BY 1
),
updated AS (UPDATE recommendations_recommendation AS rec SET
    f_state = state.iso3,
    f_mechanism = mechanism.code,
    f_cycle = review.cycle,
    f_session = review.session,
    f_date = review.date,
    f_paragraph = COALESCE(
        (SELECT array_agg(part::int) FROM regexp_split_to_table(rec.paragraph, '[^0-9]+') AS part WHERE part <> ''),
        '{}'
    ),
    f_themes = COALESCE(themes.slugs, '{}'),
    f_groups = COALESCE(groups.slugs, '{}'),
    f_sdgs = COALESCE(sdgs.numbers, '{}'),
    f_recommending = COALESCE(sponsors.codes, '{}'),
    f_regions = COALESCE(sponsors.regions, '{}'),
    f_institutions = COALESCE(institutions.slugs, '{}'),
    search_document = concat_ws(
        ' ', rec.text, themes.names, groups.names, sponsors.names, institutions.names, state.name
    )
FROM targets
JOIN recommendations_recommendation AS base ON base.id = targets.id
JOIN recommendations_review AS review ON review.id = base.review_id
JOIN stakeholders_state AS state ON state.id = review.state_id
JOIN recommendations_mechanism AS mechanism ON mechanism.id = review.mechanism_id
LEFT JOIN themes ON themes.id = targets.id
LEFT JOIN groups ON groups.id = targets.id
LEFT JOIN sdgs ON sdgs.id = targets.id
LEFT JOIN sponsors ON sponsors.id = targets.id
LEFT JOIN institutions ON institutions.id = targets.id
WHERE rec.id = targets.id
RETURNING rec.id, rec.search_document
)
INSERT INTO recommendations_searchentry AS s (recommendation_id, vector)
SELECT id, to_tsvector('english', search_document) FROM updated
ON CONFLICT (recommendation_id) DO UPDATE SET vector = excluded.vector WHERE s.vector IS DISTINCT FROM excluded.vector
"""
# The search entries of rows written with their `search_document` (an import's new rows).
INDEX_SEARCH_SQL = """
INSERT INTO recommendations_searchentry (recommendation_id, vector)
SELECT id, to_tsvector('english', search_document) FROM recommendations_recommendation WHERE id = ANY(%s)
"""

# The same tsvectors as INDEX_SEARCH_SQL, from the documents themselves, on the second
# connection: the documents go in with COPY (cheaper on both sides than one array
# literal), the vectors come out in the binary COPY format that SEARCH_ENTRY_COPY reads.
DOCUMENTS_TABLE_SQL = "CREATE TEMPORARY TABLE import_documents (id bigint, document text)"
DOCUMENTS_COPY = "COPY import_documents (id, document) FROM STDIN WITH (FORMAT csv)"
VECTORS_COPY_SQL = (
    "COPY (SELECT id, to_tsvector('english', document) FROM import_documents) TO STDOUT WITH (FORMAT binary)"
)
SEARCH_ENTRY_COPY = "COPY recommendations_searchentry (recommendation_id, vector) FROM STDIN WITH (FORMAT binary)"

logger = logging.getLogger(__name__)


class SearchVectors:
    """Computes the tsvectors of new rows on a second connection, in a thread.

    Stemming is most of what storing a search entry costs PostgreSQL. The import's own
    backend stores rows one at a time (one transaction), so the vectors are computed by a
    second backend, on the other core, and reach the first as a binary COPY
    (`SEARCH_ENTRY_COPY`). The second connection writes only to a temporary table of its
    own. When it cannot connect, or is lost midway, `store` computes them in the
    import's transaction (INDEX_SEARCH_SQL).
    """

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-vectors")
        try:
            self.side = psycopg2.connect(**connection.get_connection_params())
            self.side.autocommit = True
            with self.side.cursor() as cursor:
                cursor.execute(DOCUMENTS_TABLE_SQL)
        except psycopg2.Error as exc:
            logger.warning("search vectors computed in the import's transaction: %s", exc)
            self.side = None

    def __enter__(self) -> SearchVectors:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.side is not None:
            self.side.close()

    @classmethod
    @contextmanager
    def opened(cls) -> Iterator[SearchVectors]:
        """The `import_batch` block's instance (opened on first use), or one for this
        block alone."""
        if not _batch.active:
            with cls() as vectors:
                yield vectors
            return
        if _batch.vectors is None:
            _batch.vectors = cls()
        yield _batch.vectors

    def submit(self, ids: list[int], documents: list[str]) -> Future[bytes] | None:
        """The binary COPY data of these rows' search entries, to come; `documents` are
        their search documents as CSV fields (`csv_text`)."""
        if self.side is None:
            return None
        return self.pool.submit(self._copy_data, ids, documents)

    @staticmethod
    def store(cursor, ids: list[int], entries: Future[bytes] | None) -> None:
        """Write the search entries of these rows, with `cursor` (the import's)."""
        if entries is not None:
            try:
                data = entries.result()
            except psycopg2.Error as exc:  # the second connection was lost
                logger.warning("search vectors computed in the import's transaction: %s", exc)
            else:
                cursor.copy_expert(SEARCH_ENTRY_COPY, io.BytesIO(data), size=len(data) + 1)
                return
        cursor.execute(INDEX_SEARCH_SQL, [ids])

    def _copy_data(self, ids: list[int], documents: list[str]) -> bytes:
        lines = "".join([f"{pk},{document}\n" for pk, document in zip(ids, documents, strict=True)])
        data = io.BytesIO()
        try:
            with self.side.cursor() as cursor:
                cursor.copy_expert(DOCUMENTS_COPY, io.StringIO(lines), size=len(lines) + 1)
                cursor.copy_expert(VECTORS_COPY_SQL, data)
                cursor.execute("TRUNCATE import_documents")
        except psycopg2.Error:
            self.side, lost = None, self.side  # later chunks (and files) go without it
            lost.close()
            raise
        return data.getvalue()


BUMP_VERSION_SQL = """
INSERT INTO recommendations_dataversion (id, version) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET version = recommendations_dataversion.version + 1
"""


def reindex(ids: Iterable[int] | None = None) -> int:
    """Refresh the search and facet columns of these recommendations (all when None)."""
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute("SELECT array_agg(id) FROM recommendations_recommendation")
            ids = cursor.fetchone()[0] or []
        ids = list(ids)
        if not ids:
            return 0
        cursor.execute(REINDEX_SQL, {"ids": ids})
        count = cursor.rowcount
    bump_version()
    return count


INDEX_COLUMNS = (
    "search_document", "f_state", "f_mechanism", "f_cycle", "f_session", "f_date", "f_paragraph",
    "f_themes", "f_groups", "f_sdgs", "f_recommending", "f_regions", "f_institutions",
)  # fmt: skip


def bump_version() -> None:
    """A new data version: caches keyed on the old one go stale. Once committed, its facet
    index is built in the background (settings.FACET_INDEX_IN_BACKGROUND), or when the
    enclosing `import_batch` block ends."""
    with connection.cursor() as cursor:
        cursor.execute(BUMP_VERSION_SQL)
    if settings.FACET_INDEX_IN_BACKGROUND:
        transaction.on_commit(_schedule_facet_index)


def write_per_version(table: str, lock_id: int, mark: tuple[str, object], build: Callable[[object], bool]) -> bool:
    """Build the current data version's rows of a table derived from the data (its rows
    carry `version`: `postings`, `related`) unless they are built, then drop every other
    version's. `build(cursor)` writes them, with the row whose `mark` column holds the
    `mark` value that says the version is built, and returns False if there is no data
    version yet. One build at a time (`lock_id`): the second waits and finds it built.
    True if this call built them (the background job)."""
    column, value = mark
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
        cursor.execute(
            f"SELECT EXISTS (SELECT FROM {table} t JOIN recommendations_dataversion v"  # noqa: S608 - our names
            f" ON v.id = 1 AND t.version = v.version AND t.{column} = %s)",
            [value],
        )
        if cursor.fetchone()[0] or not build(cursor):
            return False
        cursor.execute(
            f"DELETE FROM {table} WHERE version <> (SELECT version FROM recommendations_dataversion WHERE id = 1)"  # noqa: S608
        )
        return True


class _Batch(threading.local):
    active = False  # inside `import_batch`
    build_due = False  # a data version was committed in it
    vectors: SearchVectors | None = None  # its second connection, once opened


_batch = _Batch()


@contextmanager
def import_batch() -> Iterator[None]:
    """The files of one import (or the demo load) within this block:
    - the data versions they commit have their facet index, postings and related lists
      built once, when the block ends: an import commits a version per file, and
      building each would compete with the next file's import for nothing;
    - they share one second connection for search vectors (`SearchVectors.opened`): a
      new one per file cost a backend's start, a temporary table and the loading of its
      dictionaries, ~10 ms between two files, when a core is idle."""
    if _batch.active:  # nested: the outermost block's
        yield
        return
    _batch.active = True
    try:
        yield
    finally:
        vectors, due = _batch.vectors, _batch.build_due
        _batch.active, _batch.build_due, _batch.vectors = False, False, None
        if vectors is not None:
            vectors.close()
        if due:
            _schedule_facet_index()


def _schedule_facet_index() -> None:
    from recommendations.tasks import facet_index_refresh

    if _batch.active:
        _batch.build_due = True
        return
    try:
        facet_index_refresh.delay()
    except Exception as exc:  # the broker is down: the first list request will build it instead
        logger.warning("facet index not scheduled: %s", exc)


class IndexBuilder:
    """The same values as REINDEX_SQL, computed in Python for rows an import creates and
    encoded for COPY, so that new recommendations are written once, already indexed
    (`importers.rows` writes them; its test compares them with what `reindex` gives)."""

    def __init__(self) -> None:
        from recommendations.models import AffectedGroup, SdgGoal, SdgTarget, Theme
        from stakeholders.models import State

        self.themes = {pk: (slug, name) for pk, slug, name in Theme.objects.values_list("pk", "slug", "name")}
        self.groups = {pk: (slug, name) for pk, slug, name in AffectedGroup.objects.values_list("pk", "slug", "name")}
        self.goals = dict(SdgGoal.objects.values_list("pk", "number"))
        self.targets = dict(SdgTarget.objects.values_list("pk", "number"))
        self.states = {
            pk: (iso3, region, name)
            for pk, iso3, region, name in State.objects.values_list("pk", "iso3", "region", "name")
        }
        self._parts: dict[tuple, tuple | str] = {}  # (kind, *ids) -> what `facets` derives from them

    def facets(self, relations: dict[str, list[int]]) -> tuple[str, str]:
        """The related names (for the search document, joined by spaces) and the five
        facet arrays f_themes … f_regions as CSV fields, that these relations give. Many
        recommendations share each part (their themes, their recommending States…), so
        each part is computed and encoded once."""
        parts = self._parts
        key = ("themes", *relations["themes"])
        themes = parts.get(key) or parts.setdefault(key, self._tagged(self.themes, key[1:]))
        key = ("groups", *relations["affected_groups"])
        groups = parts.get(key) or parts.setdefault(key, self._tagged(self.groups, key[1:]))
        key = ("states", *relations["recommending_states"])
        sponsors = parts.get(key) or parts.setdefault(key, self._sponsors(key[1:]))
        key = ("sdgs", tuple(relations["sdg_goals"]), *relations["sdg_targets"])
        sdgs = parts.get(key) or parts.setdefault(key, self._sdgs(key[1], key[2:]))
        names = " ".join([part for part in (themes[1], groups[1], sponsors[1]) if part])
        return names, f"{themes[0]},{groups[0]},{sdgs},{sponsors[0]}"

    @staticmethod
    def _tagged(vocabulary: dict, ids: tuple[int, ...]) -> tuple[str, str]:
        """Slugs (as a CSV field) and names of themes or groups, by slug."""
        pairs = sorted(vocabulary[pk] for pk in ids)
        return csv_array([slug for slug, _ in pairs]), _names(name for _, name in pairs)

    def _sponsors(self, ids: tuple[int, ...]) -> tuple[str, str]:
        """ISO codes (sorted) and regions (distinct, sorted) of recommending States as two
        CSV fields, and their names."""
        states = sorted(self.states[pk] for pk in ids)
        regions = sorted({region for _, region, _ in states if region})
        codes = csv_array([iso3 for iso3, _, _ in states])
        return f"{codes},{csv_array(regions)}", _names(name for _, _, name in states)

    def _sdgs(self, goal_ids: tuple[int, ...], target_ids: tuple[int, ...]) -> str:
        numbers = {str(self.goals[pk]) for pk in goal_ids} | {self.targets[pk] for pk in target_ids}
        return csv_array(sorted(numbers))


def _names(names: Iterable[str]) -> str:
    return " ".join(name for name in names if name)
