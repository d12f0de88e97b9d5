"""Prepared statements: planned once per connection, the same rows as the plain statement,
prepared again on a new connection, and sent whole when turned off."""

import pytest
from django.db import connection, transaction

from upr_portal.lib.prepared import Prepared

STATEMENT = Prepared(
    "test_prepared_pairs",
    "SELECT n, n * %(factor)s, %(label)s || n FROM generate_series(1, %(count)s) n WHERE n * %(factor)s > 2",
)


def run(statement: Prepared, **params) -> list[tuple]:
    with connection.cursor() as cursor:
        statement.execute(cursor, params)
        return cursor.fetchall()


def server_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements ORDER BY name")
        return [name for (name,) in cursor.fetchall()]


def test_placeholders_become_numbered_parameters_once_each():
    assert STATEMENT.parameters == ["factor", "label", "count"]
    assert STATEMENT.prepare_sql == (
        "PREPARE test_prepared_pairs AS SELECT n, n * $1, $2 || n FROM generate_series(1, $3) n WHERE n * $1 > 2"
    )
    assert STATEMENT.execute_sql == "EXECUTE test_prepared_pairs(%s, %s, %s)"
    assert Prepared("test_constant", "SELECT 1").execute_sql == "EXECUTE test_constant"


# serialized_rollback: the flush after a transactional test must not re-create content types
# under new ids, which would break the restore of a later serialized_rollback test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_prepared_once_per_connection_with_the_rows_of_the_plain_statement(settings, django_assert_num_queries):
    settings.DATABASE_PREPARED_STATEMENTS = True
    connection.close()
    expected = [(2, 4, "n=2"), (3, 6, "n=3")]

    with django_assert_num_queries(1) as queries:  # the PREPARE is set-up, not a query
        assert run(STATEMENT, factor=2, label="n=", count=3) == expected
    assert queries.captured_queries[0]["sql"] == "EXECUTE test_prepared_pairs(2, 'n=', 3)"
    assert STATEMENT.is_prepared()
    assert server_statements() == ["test_prepared_pairs"]
    assert run(STATEMENT, factor=3, label="", count=1) == [(1, 3, "1")]

    connection.close()  # a new connection (e.g. after a restart of PostgreSQL) prepares it again
    assert not STATEMENT.is_prepared()
    assert run(STATEMENT, factor=2, label="n=", count=3) == expected
    assert server_statements() == ["test_prepared_pairs"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_statement_prepared_in_a_rolled_back_transaction_stays_prepared(settings):
    settings.DATABASE_PREPARED_STATEMENTS = True
    connection.close()

    with pytest.raises(RuntimeError), transaction.atomic():
        assert run(STATEMENT, factor=1, label="", count=3) == [(3, 3, "3")]
        raise RuntimeError("roll back")

    assert STATEMENT.is_prepared()
    assert run(STATEMENT, factor=1, label="", count=3) == [(3, 3, "3")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_turned_off_the_statement_is_sent_whole(settings, django_assert_num_queries):
    settings.DATABASE_PREPARED_STATEMENTS = False
    connection.close()

    with django_assert_num_queries(1) as queries:
        assert run(STATEMENT, factor=2, label="n=", count=3) == [(2, 4, "n=2"), (3, 6, "n=3")]
    assert queries.captured_queries[0]["sql"].startswith("SELECT n, n * 2, 'n=' || n")
    assert not STATEMENT.is_prepared()
    assert server_statements() == []
