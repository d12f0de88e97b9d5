"""How an import writes new recommendations: in chunks behind the row building, with
tsvectors from a second connection, and foreign keys checked once per table."""

from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from recommendations import indexing
from recommendations.importers import engine
from recommendations.models import Recommendation, SearchEntry
from recommendations.services import recommendations_import

from .test_import_files import everything, forget_everything

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "upr_info" / "upr_info_sample_5_states.csv"

pytestmark = pytest.mark.django_db


def entries_as_postgresql_computes_them() -> int:
    """How many search entries differ from to_tsvector of their recommendation's document."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM recommendations_recommendation r "
            "FULL JOIN recommendations_searchentry e ON e.recommendation_id = r.id "
            "WHERE e.vector IS DISTINCT FROM to_tsvector('english', r.search_document)"
        )
        return cursor.fetchone()[0]


def links() -> dict[str, int]:
    return {name: getattr(Recommendation, name).through.objects.count() for name in engine.RELATIONS}


def test_rows_written_in_many_chunks_are_those_written_in_one(monkeypatch):
    recommendations_import(path=SAMPLE)
    in_one = (everything(), links())
    forget_everything()
    monkeypatch.setattr(engine, "CHUNK_ROWS", 7)  # 1,620 rows in 233 chunks of 1 to 7
    monkeypatch.setattr(engine, "FIRST_ROWS", 1)

    outcome = recommendations_import(path=SAMPLE)

    assert outcome.created == 1620
    assert (everything(), links()) == in_one
    assert links()["recommending_states"] == 1659
    assert SearchEntry.objects.count() == 1620
    assert entries_as_postgresql_computes_them() == 0


def test_search_entries_come_from_the_second_connection_as_postgresql_computes_them():
    recommendations_import(path=SAMPLE)

    assert SearchEntry.objects.count() == Recommendation.objects.count() == 1620
    assert entries_as_postgresql_computes_them() == 0
    documents = Recommendation.objects.values_list("search_document", flat=True)
    mentions = sum("tortur" in document.lower() for document in documents)
    assert Recommendation.objects.filter(search__vector="torture").count() == mentions == 105


def refuse_to_connect(**params):
    raise psycopg2.OperationalError("too many connections")


def lose_the_connection(self, ids, documents):
    raise psycopg2.OperationalError("server closed the connection unexpectedly")


@pytest.mark.parametrize(
    ("target", "name", "failure", "message"),
    [
        (indexing.psycopg2, "connect", refuse_to_connect, "too many connections"),
        (indexing.SearchVectors, "_copy_data", lose_the_connection, "server closed the connection"),
    ],
    ids=["no second connection", "second connection lost midway"],
)
def test_without_the_second_connection_the_import_computes_the_entries_itself(
    monkeypatch, caplog, target, name, failure, message
):
    monkeypatch.setattr(target, name, failure)

    outcome = recommendations_import(path=SAMPLE)

    assert outcome.created == 1620
    assert SearchEntry.objects.count() == 1620
    assert entries_as_postgresql_computes_them() == 0
    assert f"search vectors computed in the import's transaction: {message}" in caplog.text


def test_the_per_row_checks_are_back_on_after_an_import():
    recommendations_import(path=SAMPLE)

    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


def test_each_link_table_has_one_index_led_by_the_recommendation_the_unique_pair():
    tables = [getattr(Recommendation, name).through._meta.db_table for name in engine.RELATIONS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexdef LIKE %s",
            [tables, "%(recommendation_id%"],
        )
        found = cursor.fetchall()

    assert sorted(table for table, _ in found) == sorted(tables)
    assert all(definition.startswith("CREATE UNIQUE INDEX") for _, definition in found)


def test_the_files_of_one_import_share_the_second_connection():
    with indexing.import_batch(), indexing.SearchVectors.opened() as first, indexing.SearchVectors.opened() as second:
        assert first is second
        side = first.side
        assert not side.closed
    assert side.closed
    with indexing.SearchVectors.opened() as alone, indexing.SearchVectors.opened() as other:
        assert alone is not other


def test_a_second_connection_lost_midway_is_not_tried_again():
    with indexing.SearchVectors.opened() as vectors:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [vectors.side.get_backend_pid()])

        with pytest.raises(psycopg2.OperationalError):
            vectors.submit([1], ['"Ratify the ICCPR"']).result()

        assert vectors.side is None
        assert vectors.submit([2], ['"Abolish the death penalty"']) is None  # the import computes them
