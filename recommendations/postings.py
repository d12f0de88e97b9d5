"""Postings of frequent words: what a one-word search matches, with the ranks, stored
per data version (`SearchPosting`).

Matching and ranking a search reads every match from the search entries (~0.7 µs each
in PostgreSQL), so a broad word costs more as the data grows: `women` matches 55,000 of
300,000 recommendations, ~30 ms. After every data change the background job that builds
the facet index also stores, for each word found in at least `MIN_ROWS`
recommendations, the ids of those recommendations and their `ts_rank` for that word
alone, as two byteas in one row (`write`). A search whose query is that one word reads
the row instead (~1 ms, whatever the data size). The ranks are PostgreSQL's own, equal
bit for bit to what the search computes, so results and their order do not change.

Everything else reads the search entries, in the same statement (`matches`): several
words, phrases, exclusions, rare words, queries in scripts without a stemmer (they
match substrings too) and data versions whose postings are not built yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.db import connection

from recommendations.filters import SEARCH_CONFIG
from recommendations.indexing import write_per_version
from recommendations.models import SearchPosting
from upr_portal.lib.copy import packed_aggregates, unpacked

# A word in fewer recommendations costs the search entries less than ~1 ms to match
# and rank: not worth its row (at 33k rows ~150 words qualify, at 300k ~800).
MIN_ROWS = 1000
_BUILD_LOCK_ID = 0x55_50_52_03

# In one statement (one snapshot): the data version and every frequent word's postings,
# each word's matches read through the GIN index as a search reads them (twice as fast
# as unnesting every vector). `quote_literal(word)` is both the tsquery of the word alone
# and how such a query prints (words with a quote or a backslash print otherwise: left
# out). `ts_stat` only chooses the words (its query may see a newer snapshot: a word at
# the threshold may be in or out, never wrong). The row with the empty term marks the
# version as built; it is also the right answer to a query without words (only stop
# words), which matches nothing.
BUILD_SQL = """
INSERT INTO recommendations_searchposting (version, term, ids, ranks)
SELECT v.version, p.term, p.ids, p.ranks
  FROM recommendations_dataversion v,
       LATERAL (
         SELECT quote_literal(f.word) AS term, m.ids, m.ranks
           FROM ts_stat('SELECT vector FROM recommendations_searchentry') AS f,
                LATERAL (
                  SELECT string_agg(int8send(s.recommendation_id), ''::bytea ORDER BY s.recommendation_id) AS ids,
                         string_agg(float4send(ts_rank(s.vector, quote_literal(f.word)::tsquery)), ''::bytea
                                    ORDER BY s.recommendation_id) AS ranks
                    FROM recommendations_searchentry s
                   WHERE s.vector @@ quote_literal(f.word)::tsquery
                ) AS m
          WHERE f.ndoc >= %(min_rows)s AND strpos(f.word, '''') = 0 AND strpos(f.word, E'\\\\') = 0
         UNION ALL
         SELECT '', ''::bytea, ''::bytea
       ) AS p
 WHERE v.id = 1
ON CONFLICT (version, term) DO NOTHING
"""

# The word's row if the query is one word with postings in this version; else the
# search (`sql`: ids and ranks of the matching search entries), packed the same way.
# NOT EXISTS is evaluated once: with a row, the search entries are not read.
MATCHES_SQL = """
WITH posting AS MATERIALIZED (
  SELECT p.ids, p.ranks FROM recommendations_searchposting p
   WHERE p.version = %s AND p.term = websearch_to_tsquery(%s::regconfig, %s)::text
)
SELECT ids, ranks FROM posting
UNION ALL
SELECT {aggregates} FROM ({sql}) AS t(c0, c1)
 WHERE NOT EXISTS (SELECT FROM posting)
HAVING NOT EXISTS (SELECT FROM posting)
"""


def write(min_rows: int = MIN_ROWS) -> bool:
    """Build the current data version's postings unless they are built, and drop every
    other version's. True if this call built them (the background job)."""

    def build(cursor) -> bool:
        cursor.execute(BUILD_SQL, {"min_rows": min_rows})
        return True

    return write_per_version(SearchPosting._meta.db_table, _BUILD_LOCK_ID, ("term", ""), build)


def matches(q: str, version: int, sql: str, params: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """(ids, ranks) of what the search `q` matches: its postings in data `version` if it
    is one word that has them, else the rows of `sql` (recommendation id, rank)."""
    statement = MATCHES_SQL.format(aggregates=packed_aggregates(["bigint", "real"]), sql=sql)
    with connection.cursor() as cursor:
        cursor.execute(statement, [version, SEARCH_CONFIG, q, *params])
        ids, ranks = cursor.fetchone()
    return unpacked(ids, "bigint"), unpacked(ranks, "real")
