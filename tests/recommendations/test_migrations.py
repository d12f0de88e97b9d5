"""The search migrations keep the data of a database that landed code filled.

Up to 0014 the vector was a generated column of the recommendation; 0015 (landed) moves it
into `SearchEntry`, and 0016/0017 only drop indexes. A database filled at 0014 must come
out with the same document and a vector equal to PostgreSQL's own, and go back to 0014
with its rows.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("recommendations", "0014_drop_text_trigram_index")]
DOCUMENT = "Ratify the Optional Protocol to the Convention against Torture Brazil Human rights defenders"

# serialized_rollback: its flush afterwards must not re-create content types under new ids, which
# would break the restore of a later serialized_rollback test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def at_0014():
    """The database at 0014 with one recommendation and its search document, as the landed
    code wrote them; migrated to the latest state again afterwards, whatever happens."""
    leaves = latest()
    try:
        executor = migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        State, Mechanism = apps.get_model("stakeholders", "State"), apps.get_model("recommendations", "Mechanism")
        Review = apps.get_model("recommendations", "Review")
        Recommendation = apps.get_model("recommendations", "Recommendation")
        review = Review.objects.create(
            mechanism=Mechanism.objects.get(code="upr"), state=State.objects.get(iso3="CHN"), cycle=2, session=17
        )
        rec = Recommendation.objects.create(
            review=review, text="Ratify the Optional Protocol", source="ohchr", search_document=DOCUMENT
        )
        yield rec.pk, leaves
    finally:
        migrate(leaves)


def test_the_search_migrations_move_the_vector_and_back(at_0014):
    pk, leaves = at_0014

    migrate(leaves)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.search_document, e.vector = to_tsvector('english', r.search_document), e.vector::text"
            " FROM recommendations_recommendation r JOIN recommendations_searchentry e ON e.recommendation_id = r.id"
            " WHERE r.id = %s",
            [pk],
        )
        document, same_vector, vector = cursor.fetchone()
    assert (document, same_vector) == (DOCUMENT, True)
    assert "'tortur'" in vector

    migrate(BEFORE)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_document, search_vector = to_tsvector('english', search_document)"
            " FROM recommendations_recommendation WHERE id = %s",
            [pk],
        )
        assert cursor.fetchone() == (DOCUMENT, True)
