"""Bulk writes through PostgreSQL's COPY, for imports of tens of thousands of rows.

Building a model instance per row costs more than the database work itself, so the
importer writes CSV lines that it encodes itself (`csv_text`, `csv_array`, `NULL`) with
`copy_sql` statements. `WriteBehind` runs them in a thread while the next lines are
built, and `checked_in_bulk` checks their foreign keys once per table instead of once
per row. `packed_columns` reads many numbers back without a Python object per row.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from django.db import IntegrityError, connection
from psycopg2.extensions import TRANSACTION_STATUS_INERROR

NULL = "\\N"  # the NULL marker of every COPY here (an empty field stays an empty string)


def reserve_ids(table: str, count: int) -> list[int]:
    """Take `count` ids from the table's id sequence, for rows COPY will insert."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        # The sequence is looked up once: per row, the lookup cost more than nextval().
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


class WriteBehind:
    """Runs statements on this thread's connection and transaction, in a thread of its
    own, while the caller builds what comes next.

    `submit(work)` queues `work(cursor)` (a psycopg2 cursor); statements run one at a
    time, in order. PostgreSQL's work (parsing, index upkeep, to_tsvector) then overlaps
    Python's, on the other core. The caller must not use the connection until the block
    ends; leaving it waits for the queued work and raises the first error, as Django's
    error class, in the caller's thread. After an error, later work is skipped.
    """

    def __init__(self, depth: int = 2) -> None:
        connection.ensure_connection()
        self.raw = connection.connection
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="write-behind", daemon=True)

    def __enter__(self) -> WriteBehind:
        self.thread.start()
        # A query from the caller's thread meanwhile would interleave with the thread's
        # on one connection: refuse it loudly (a lazily loaded relation, say).
        self.guard = connection.execute_wrapper(_refuse_while_writing_behind)
        self.guard.__enter__()
        return self

    def submit(self, work: Callable) -> None:
        self._raise()
        self.queue.put(work)

    def __exit__(self, kind, value, traceback) -> None:
        self.guard.__exit__(kind, value, traceback)
        self.queue.put(None)
        self.thread.join()
        if kind is None:
            self._raise()

    def _run(self) -> None:
        while (work := self.queue.get()) is not None:
            if self.error is None:
                try:
                    with self.raw.cursor() as cursor:
                        work(cursor)
                except BaseException as exc:  # handed to the caller's thread
                    self.error = exc

    def _raise(self) -> None:
        if self.error is not None:
            with connection.wrap_database_errors:
                raise self.error


def _refuse_while_writing_behind(execute, sql, params, many, context):
    raise RuntimeError(f"no query from this thread while its writes run behind it: {sql[:80]}")


class References:
    """The rows that bulk-written rows refer to, by table: `checked_in_bulk` checks them."""

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = defaultdict(set)

    def expect(self, table: str, ids: Iterable[int]) -> None:
        self.ids[table].update(ids)

    def check(self) -> None:
        """What a foreign key checks per row, once per table: every id exists, and is
        locked FOR KEY SHARE so that no other transaction deletes it before we commit."""
        with connection.cursor() as cursor:
            for table, ids in self.ids.items():
                # `table` is a model's db_table, never user input.
                cursor.execute(f'SELECT id FROM "{table}" WHERE id = ANY(%s) FOR KEY SHARE', [list(ids)])  # noqa: S608
                missing = ids.difference(row[0] for row in cursor.fetchall())
                if missing:
                    shown = ", ".join(map(str, sorted(missing)[:5]))
                    raise IntegrityError(f"{len(missing)} referenced row(s) missing from {table} (id {shown})")


@contextmanager
def checked_in_bulk() -> Iterator[References]:
    """Bulk writes whose foreign keys are checked once per referenced table, not per row.

    PostgreSQL checks a foreign key with one query per inserted row (at commit, for
    Django's deferred constraints): ~10 µs each, more than storing the row. Inside this
    block those per-row checks are off (`session_replication_role = replica`, which the
    role must be allowed to set: a superuser, or `GRANT SET ON PARAMETER`); the caller
    declares what its rows refer to with `References.expect`, and on leaving the block
    `References.check` checks and locks it all. A role that may not set the parameter keeps
    the per-row checks. Must run inside a transaction, which an error here rolls back.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("checked_in_bulk needs a transaction")
    references = References()
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:  # a right of its own since PostgreSQL 15
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        else:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        bulk = cursor.fetchone()[0]
        if bulk:
            cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield references
    finally:
        # After a database error the transaction is void, and its rollback restores it.
        if bulk and connection.connection.info.transaction_status != TRANSACTION_STATUS_INERROR:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
    if bulk:
        references.check()


def copy_sql(table: str, columns: Sequence[str]) -> str:
    """The COPY statement for CSV lines such as `csv_text` and `csv_array` build."""
    column_list = ", ".join(f'"{column}"' for column in columns)
    return f"COPY \"{table}\" ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"


def csv_text(value: str) -> str:
    """A string as one quoted CSV field (quoted, so that "" stays an empty string)."""
    return '"' + value.replace('"', '""') + '"'


def csv_array(values: Sequence) -> str:
    """A PostgreSQL array literal of strings or numbers as one CSV field."""
    return csv_text(array_literal(values)) if values else "{}"


def array_literal(values: Sequence) -> str:
    """PostgreSQL array literal: {"a","b \\"c\\""}."""
    if not values:
        return "{}"
    items = [str(value) for value in values]
    body = '","'.join(items)
    if "\\" in body or body.count('"') != 2 * len(items) - 2:  # an item holds a quote or backslash
        body = '","'.join(item.replace("\\", "\\\\").replace('"', '\\"') for item in items)
    return '{"' + body + '"}'


# The RFC 4122 variant's first hexadecimal digit (binary 10xx) for each random digit.
_VARIANT_DIGIT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def random_uuids(count: int) -> Iterator[str]:
    """`count` random version-4 UUIDs as text, from one read of os.urandom (the version
    and variant digits set as uuid.uuid4 sets them)."""
    digits = os.urandom(16 * count).hex()
    for start in range(0, 32 * count, 32):
        h = digits[start : start + 32]
        yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:]}"


# PostgreSQL type -> (its binary send function, the numpy type of that binary form)
_PACKED_TYPES = {"bigint": ("int8send", ">i8"), "integer": ("int4send", ">i4"), "real": ("float4send", ">f4")}


def packed_columns(sql: str, params: Sequence, columns: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """The rows of a query as one numpy array per column, for many rows of NOT NULL
    numbers (`columns`: (name, "bigint" | "integer" | "real"), in the query's order).

    Each column comes back as one bytea of the values' binary forms, aggregated in one pass
    (so the columns stay aligned): no text per value, and no Python object per row (a COPY
    out would call Python once per row).
    """
    kinds = [kind for _, kind in columns]
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    with connection.cursor() as cursor:
        # `sql` is compiled by the caller (Django) with its values as parameters.
        cursor.execute(f"SELECT {packed_aggregates(kinds)} FROM ({sql}) AS t({names})", params)  # noqa: S608
        found = cursor.fetchone()
    return {name: unpacked(data, kind) for (name, kind), data in zip(columns, found, strict=True)}


def packed_aggregates(kinds: Sequence[str]) -> str:
    """The select list of `packed_columns`: one bytea per column c0, c1… of a row source `t`."""
    return ", ".join(f"string_agg({_PACKED_TYPES[kind][0]}(t.c{i}::{kind}), ''::bytea)" for i, kind in enumerate(kinds))


def unpacked(data: bytes | memoryview | None, kind: str) -> np.ndarray:
    """The values of one packed column ("bigint" | "integer" | "real"); NULL (no rows) is empty."""
    dtype = np.dtype(_PACKED_TYPES[kind][1])
    return np.frombuffer(data or b"", dtype=dtype).astype(dtype.newbyteorder("="))
