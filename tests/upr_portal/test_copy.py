"""COPY helpers: every kind of value arrives as it was, and rows are streamed."""

import datetime
import gc
import json
import uuid

import pytest
from django.db import connection

from recommendations.importers.base import paused_gc
from upr_portal.lib.copy import LineStream, array_literal, copy_rows, csv_array, csv_text, packed_columns, random_uuids

COLUMNS = ("t", "n", "b", "d", "u", "a", "i", "j")
ODD_TEXTS = ['say "hi", then \\N', "", "\\N", "line\nbreak\r\nand, comma", "tab\there", "' quote", "ünïcødé ‘’ “”"]


@pytest.fixture
def table():
    with connection.cursor() as cursor:
        columns = "t text, n integer, b boolean, d date, u uuid, a text[], i integer[], j jsonb"
        cursor.execute(f"CREATE TEMP TABLE copy_target ({columns})")
    yield "copy_target"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE copy_target")


def stored(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY n")
        return [(*row[:7], row[7] if row[7] is None else json.loads(row[7])) for row in cursor.fetchall()]


@pytest.mark.django_db
def test_copy_rows_stores_every_kind_of_value_exactly(table):
    code = uuid.uuid4()
    rows = [
        (text, number, number % 2 == 0, datetime.date(2024, 2, number + 1), code, ODD_TEXTS, [number, 7], {"k": text})
        for number, text in enumerate(ODD_TEXTS)
    ]
    rows.append((None, 99, None, None, None, [], [], None))

    assert copy_rows(table, COLUMNS, iter(rows)) == len(rows)

    assert stored(table) == rows


@pytest.mark.django_db
def test_copy_rows_of_nothing_sends_nothing(table, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert copy_rows(table, COLUMNS, iter([])) == 0


def test_rows_are_built_as_postgresql_reads_them():
    built = []

    def lines():
        for number in range(5):
            built.append(number)
            yield f"{number}\n"

    stream = LineStream(lines(), chunk_lines=2)

    assert stream.read() == "0\n1\n"
    assert built == [0, 1]
    assert [stream.read(), stream.read(), stream.read()] == ["2\n3\n", "4\n", ""]
    assert stream.count == 5


def test_fields_are_quoted_so_that_an_empty_string_is_not_null():
    assert csv_text("") == '""'
    assert csv_text('a "b"') == '"a ""b"""'
    assert csv_array([]) == "{}"
    assert csv_array(["a b", 'c"d']) == '"{""a b"",""c\\""d""}"'


def test_array_literals_escape_quotes_and_backslashes_only_when_there_are_some():
    assert array_literal(["a", "b c", 186]) == '{"a","b c","186"}'
    assert array_literal(['say "hi"', "back\\slash", ""]) == '{"say \\"hi\\"","back\\\\slash",""}'


def test_random_uuids_are_version_4_and_distinct():
    codes = [uuid.UUID(text) for text in random_uuids(500)]

    assert {(code.version, code.variant) for code in codes} == {(4, uuid.RFC_4122)}
    assert len(set(codes)) == 500


def test_the_collector_is_paused_for_an_import_and_restored_after():
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.django_db
def test_packed_columns_read_numbers_as_arrays_in_the_querys_order():
    sql = "SELECT v.id, v.n, v.r FROM (VALUES (%s, 7, 0.25::real), (3, -1, 1.5), (9000000000, 0, 0)) AS v(id, n, r)"

    found = packed_columns(sql, [12], [("id", "bigint"), ("n", "integer"), ("r", "real")])

    assert found["id"].tolist() == [12, 3, 9_000_000_000]
    assert found["n"].tolist() == [7, -1, 0]
    assert found["r"].tolist() == [0.25, 1.5, 0.0]
    assert (found["id"].dtype.name, found["n"].dtype.name, found["r"].dtype.name) == ("int64", "int32", "float32")


@pytest.mark.django_db
def test_packed_columns_of_no_rows_are_empty():
    found = packed_columns("SELECT 1 WHERE false", [], [("one", "integer")])

    assert found["one"].tolist() == []
