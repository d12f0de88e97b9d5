"""Related recommendations computed per data version: the lists the similarity query gives."""

import pytest
from django.db import connection

from recommendations import related
from recommendations.indexing import bump_version
from recommendations.models import Recommendation, RelatedSet
from recommendations.selectors import _related, recommendation_page_values, related_recommendations
from recommendations.vocabulary import data_version

pytestmark = pytest.mark.django_db


def queried(rec: Recommendation) -> list[int]:
    return list(_related(rec).values_list("id", flat=True)[: related.STORED])


def stored() -> dict[int, list[int]]:
    return dict(RelatedSet.objects.filter(version=data_version()).values_list("recommendation_id", "others"))


def test_every_computed_list_is_the_one_the_query_gives(demo):
    assert related.write() is True

    lists = stored()
    recs = list(Recommendation.objects.all())
    assert len(recs) == 1588  # the sample's 1,620, less those China 2013's shared paragraphs joined
    assert {rec.pk: found for rec in recs if (found := queried(rec))} == {
        pk: others for pk, others in lists.items() if pk != related.BUILT_MARK
    }
    assert lists[related.BUILT_MARK] == []
    assert sum(len(others) for others in lists.values()) > 1000  # the sample is not without related texts


TEXTS = [
    # (review, text): one State's recommendations, in id order
    (1, "Ratify the Convention against Torture"),
    (2, "Ratify the Convention against Torture"),  # the same text in another review: similarity 1
    (1, "Ratify the Convention against Torture."),  # the same trigrams in the same review: never related
    (3, "ratify the convention AGAINST torture and its optional protocol"),
    (3, "Abolish the death penalty"),
    (2, "Abolish death penalty"),
    (4, ""),  # no trigram: similar to nothing
    (4, "Ratify the Convention"),
    (5, "Ratify the Convention"),  # ties between equal texts: the lower id first
    (6, "Ratify the Convention"),
]


def test_similarities_and_order_are_those_of_pg_trgm():
    ids = [10 * (index + 1) for index in range(len(TEXTS))]
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_to_string(show_trgm(t), '|') FROM unnest(%s::text[]) t", [[t for _, t in TEXTS]])
        trigrams = [row[0] for row in cursor.fetchall()]
        expected = {}
        for pk, (review, text) in zip(ids, TEXTS, strict=True):
            cursor.execute(
                """SELECT o.id FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS o(id, review, text)
                    WHERE o.review <> %s AND similarity(o.text, %s) >= 0.3
                    ORDER BY similarity(o.text, %s) DESC, o.id LIMIT 5""",
                [ids, [r for r, _ in TEXTS], [t for _, t in TEXTS], review, text, text],
            )
            if found := [row[0] for row in cursor.fetchall()]:
                expected[pk] = found

    computed = related.related_in_state(ids, [review for review, _ in TEXTS], trigrams)

    assert computed == expected
    assert computed[10] == [20, 40, 80, 90, 100]
    assert 70 not in computed


def test_pages_and_the_api_read_the_computed_lists(demo, client):
    related.write()
    rec = next(rec for rec in Recommendation.objects.order_by("id") if len(queried(rec)) >= 3)
    reordered = queried(rec)[::-1]
    RelatedSet.objects.filter(version=data_version(), recommendation_id=rec.pk).update(others=reordered)

    page = recommendation_page_values(rec.code)[2]["related"]
    assert [Recommendation.objects.get(code=other["code"]).pk for other in page] == reordered
    assert [other.pk for other in related_recommendations(rec)] == reordered
    api = client.get(f"/api/v1/recommendations/{rec.code}/").json()["related"]
    assert [item["code"] for item in api] == [str(other["code"]) for other in page]


def test_a_data_version_without_computed_lists_is_answered_by_the_query(demo):
    related.write()
    rec = next(rec for rec in Recommendation.objects.order_by("id") if len(queried(rec)) >= 3)
    RelatedSet.objects.filter(recommendation_id=rec.pk).update(others=[])

    bump_version()  # a change: the lists of the version before are not read

    page = recommendation_page_values(rec.code)[2]["related"]
    assert [Recommendation.objects.get(code=other["code"]).pk for other in page] == queried(rec)
    assert [other.pk for other in related_recommendations(rec)] == queried(rec)


def test_a_recommendation_without_related_ones_shows_none(demo):
    related.write()
    lonely = next(rec for rec in Recommendation.objects.order_by("id") if not queried(rec))

    assert recommendation_page_values(lonely.code)[2]["related"] == []
    assert related_recommendations(lonely) == []


def test_each_version_is_computed_once_and_replaces_the_older_ones(demo):
    assert related.write() is True
    rows = RelatedSet.objects.count()
    assert related.write() is False

    bump_version()
    assert related.write() is True

    assert set(RelatedSet.objects.values_list("version", flat=True)) == {data_version()}
    assert RelatedSet.objects.count() == rows


def test_an_empty_portal_computes_only_its_mark(db):
    bump_version()

    assert related.write() is True
    assert list(RelatedSet.objects.values_list("recommendation_id", "others")) == [(related.BUILT_MARK, [])]
