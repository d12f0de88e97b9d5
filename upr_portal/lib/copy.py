"""Bulk inserts through PostgreSQL's COPY, for imports of tens of thousands of rows.

Building a model instance per row costs more than the database work itself, so the
importer writes plain tuples through COPY (CSV format) instead.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import uuid
from collections.abc import Iterable, Sequence

from django.db import connection


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


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows into `table`; values are Python objects (None, bool, str, list, dict…)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    count = 0
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        count += 1
    if count:
        buffer.seek(0)
        column_list = ", ".join(f'"{column}"' for column in columns)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY \"{table}\" ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
    return count


def copy_pairs(table: str, columns: Sequence[str], pairs: Iterable[tuple[int, int]]) -> int:
    """COPY two integer columns (many-to-many links) without the CSV writer."""
    text = "".join(f"{left},{right}\n" for left, right in pairs)
    if text:
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f'COPY "{table}" ("{columns[0]}", "{columns[1]}") FROM STDIN WITH (FORMAT csv)', io.StringIO(text)
            )
    return text.count("\n")


def _csv_value(value) -> str:
    if value.__class__ is str:  # the common case first
        return value
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (list, tuple)):
        return _array_literal(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (datetime.date, datetime.datetime, uuid.UUID, int)):
        return str(value)
    return value


def _array_literal(values: Sequence) -> str:
    """PostgreSQL array literal: {"a","b \\"c\\""}."""
    quoted = ('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"
