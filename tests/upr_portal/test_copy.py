"""COPY helpers: values arrive as they were encoded, writes run behind the caller, and
foreign keys are checked once per table."""

import datetime
import gc
import io
import json
import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from recommendations.importers.base import paused_gc
from upr_portal.lib.copy import (
    NULL,
    WriteBehind,
    array_literal,
    checked_in_bulk,
    copy_sql,
    csv_array,
    csv_text,
    packed_columns,
    random_uuids,
)

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


@pytest.fixture
def parent_and_child():
    """Two tables and a deferred foreign key, as Django declares them."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copy_parent (id bigint PRIMARY KEY)")
        cursor.execute(
            "CREATE TEMP TABLE copy_child (parent_id bigint REFERENCES copy_parent DEFERRABLE INITIALLY DEFERRED)"
        )
        cursor.execute("INSERT INTO copy_parent VALUES (1), (2)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE copy_child, copy_parent")


def stored(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY n")
        return [(*row[:7], row[7] if row[7] is None else json.loads(row[7])) for row in cursor.fetchall()]


def copy(table: str, columns, lines: str) -> None:
    with connection.cursor() as cursor:
        cursor.copy_expert(copy_sql(table, columns), io.StringIO(lines))


def children() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT parent_id FROM copy_child ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


def replication_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_encoded_fields_store_every_kind_of_value_exactly(table):
    code = uuid.uuid4()
    rows = [
        (text, number, number % 2 == 0, datetime.date(2024, 2, number + 1), code, ODD_TEXTS, [number, 7], {"k": text})
        for number, text in enumerate(ODD_TEXTS)
    ]
    lines = "".join(
        f"{csv_text(t)},{n},{'t' if b else 'f'},{d},{u},{csv_array(a)},{csv_array(i)},{csv_text(json.dumps(j))}\n"
        for t, n, b, d, u, a, i, j in rows
    )
    rows.append((None, 99, None, None, None, [], [], None))
    lines += f"{NULL},99,{NULL},{NULL},{NULL},{csv_array([])},{csv_array([])},{NULL}\n"

    copy(table, COLUMNS, lines)

    assert stored(table) == rows


@pytest.mark.django_db
def test_writes_behind_run_in_order_in_the_callers_transaction(table):
    with transaction.atomic():
        with WriteBehind() as database:
            for number in range(3):
                database.submit(lambda cursor, n=number: cursor.execute("INSERT INTO copy_target (n) VALUES (%s)", [n]))
            database.submit(lambda cursor: cursor.execute("UPDATE copy_target SET t = n::text WHERE n < 2"))

        assert [(row[0], row[1]) for row in stored(table)] == [("0", 0), ("1", 1), (None, 2)]
        transaction.set_rollback(True)

    assert stored(table) == []  # rolled back with the caller's transaction


@pytest.mark.django_db
def test_an_error_behind_reaches_the_caller_as_djangos_and_stops_the_rest(table):
    ran = []
    with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic(), WriteBehind() as database:
        database.submit(lambda cursor: cursor.execute("SELECT 1 / 0"))
        database.submit(lambda cursor: ran.append("later"))

    assert ran == []


@pytest.mark.django_db
def test_references_are_checked_once_per_table_with_per_row_checks_off(parent_and_child):
    with transaction.atomic():
        with checked_in_bulk() as references:
            assert replication_role() == "replica"
            copy("copy_child", ["parent_id"], "1\n2\n2\n")
            references.expect("copy_parent", {1, 2})
        assert replication_role() == "origin"

    assert children() == [1, 2, 2]


@pytest.mark.django_db
def test_a_missing_reference_fails_the_block_naming_the_table_and_ids(parent_and_child):
    missing = r"2 referenced row\(s\) missing from copy_parent \(id 7, 8\)"
    with pytest.raises(IntegrityError, match=missing), transaction.atomic(), checked_in_bulk() as references:
        copy("copy_child", ["parent_id"], "1\n7\n8\n")
        references.expect("copy_parent", {1, 7, 8})

    assert children() == []
    assert replication_role() == "origin"


@pytest.mark.django_db
def test_a_role_that_may_not_skip_per_row_checks_keeps_them(parent_and_child):
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE copy_test_limited NOLOGIN")
        cursor.execute("GRANT ALL ON copy_parent, copy_child TO copy_test_limited")
        cursor.execute("SET ROLE copy_test_limited")
    try:
        with pytest.raises(IntegrityError, match="copy_child"), transaction.atomic():
            with checked_in_bulk() as references:
                assert replication_role() == "origin"
                copy("copy_child", ["parent_id"], "7\n")
                references.expect("copy_parent", {7})
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit's per-row check, now
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


@pytest.mark.django_db
def test_the_caller_may_not_query_while_its_writes_run_behind(table):
    with pytest.raises(RuntimeError, match="no query from this thread"), WriteBehind():
        stored(table)

    assert stored(table) == []  # and may again after


@pytest.mark.django_db
def test_before_postgresql_15_only_a_superuser_skips_the_per_row_checks(parent_and_child, monkeypatch):
    monkeypatch.setattr(connections["default"], "pg_version", 140011)

    with transaction.atomic(), checked_in_bulk():
        assert replication_role() == "replica"  # the test database's role is a superuser


def test_bulk_checks_need_a_transaction():
    with pytest.raises(RuntimeError, match="needs a transaction"), checked_in_bulk():
        pass


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
