"""Bulk inserts through PostgreSQL's COPY, for imports of tens of thousands of rows.

Building a model instance per row costs more than the database work itself, so the
importer writes CSV text through COPY instead: `copy_lines` for lines a caller encoded
itself with `csv_text` / `csv_array` (the fast path), `copy_rows` for plain tuples of
Python values. Both stream: PostgreSQL stores one chunk while Python builds the next.
"""

from __future__ import annotations

import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from django.db import connection

NULL = "\\N"  # the NULL marker of every COPY here (an empty field stays an empty string)


def reserve_ids(table: str, count: int) -> list[int]:
    """Take `count` ids from the table's id sequence, for rows COPY will insert."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_lines(table: str, columns: Sequence[str], lines: Iterable[str]) -> int:
    """COPY CSV lines (each ending in a newline) into `table`; returns how many.

    `lines` may be a generator: it is consumed while PostgreSQL stores what came before.
    """
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        return 0
    stream = LineStream(itertools.chain([first], lines))
    column_list = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY \"{table}\" ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')", stream)
    return stream.count


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows into `table`; values are Python objects (None, bool, str, list, dict…)."""
    return copy_lines(table, columns, (",".join(map(csv_value, row)) + "\n" for row in rows))


class LineStream:
    """A file whose `read()` gives the next lines, built on demand.

    psycopg2's `copy_expert` sends each chunk as it is read, so PostgreSQL parses,
    indexes and stores one chunk (in its own process) while Python builds the next.
    """

    def __init__(self, lines: Iterator[str], chunk_lines: int = 200) -> None:
        self.lines = lines
        self.chunk_lines = chunk_lines
        self.count = 0

    def read(self, size: int = -1) -> str:
        chunk = list(itertools.islice(self.lines, self.chunk_lines))
        self.count += len(chunk)
        return "".join(chunk)


def copy_pairs(table: str, columns: Sequence[str], pairs: Iterable[tuple[int, int]]) -> int:
    """COPY two integer columns (many-to-many links) without the CSV writer."""
    text = "".join(f"{left},{right}\n" for left, right in pairs)
    if text:
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f'COPY "{table}" ("{columns[0]}", "{columns[1]}") FROM STDIN WITH (FORMAT csv)', io.StringIO(text)
            )
    return text.count("\n")


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


def csv_value(value) -> str:
    """Any Python value as one CSV field of COPY (FORMAT csv, NULL '\\N')."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (list, tuple)):
        return csv_array(value)
    if isinstance(value, dict):
        return csv_text(json.dumps(value, ensure_ascii=False))
    return csv_text(str(value))  # numbers, dates, UUIDs


# Version 4 and RFC 4122 variant bits of a random UUID (uuid.uuid4 does the same).
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def random_uuids(count: int) -> Iterator[str]:
    """`count` random version-4 UUIDs as text, from one read of os.urandom."""
    data = os.urandom(16 * count)
    for start in range(0, 16 * count, 16):
        digits = f"{int.from_bytes(data[start : start + 16]) & _UUID_CLEAR | _UUID_SET:032x}"
        yield f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# PostgreSQL type -> (its binary send function, the numpy type of that binary form)
_PACKED_TYPES = {"bigint": ("int8send", ">i8"), "integer": ("int4send", ">i4"), "real": ("float4send", ">f4")}


def packed_columns(sql: str, params: Sequence, columns: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """The rows of a query as one numpy array per column, for many rows of NOT NULL
    numbers (`columns`: (name, "bigint" | "integer" | "real"), in the query's order).

    Each column comes back as one bytea of the values' binary forms, aggregated in one pass
    (so the columns stay aligned): no text per value, and no Python object per row (a COPY
    out would call Python once per row).
    """
    packed = ", ".join(
        f"string_agg({_PACKED_TYPES[kind][0]}(t.c{i}::{kind}), ''::bytea)" for i, (_, kind) in enumerate(columns)
    )
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    with connection.cursor() as cursor:
        # `sql` is compiled by the caller (Django) with its values as parameters.
        cursor.execute(f"SELECT {packed} FROM ({sql}) AS t({names})", params)  # noqa: S608
        found = cursor.fetchone()
    arrays = {}
    for (name, kind), data in zip(columns, found, strict=True):
        dtype = np.dtype(_PACKED_TYPES[kind][1])
        arrays[name] = np.frombuffer(data or b"", dtype=dtype).astype(dtype.newbyteorder("="))
    return arrays
