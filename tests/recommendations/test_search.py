"""The public search layer: index columns, the shared FilterSet and facet counts."""

import datetime

import pytest
from django.http import QueryDict

from recommendations.indexing import INDEX_COLUMNS, reindex
from recommendations.models import Recommendation, Responsibility, SearchEntry, StatusSource, Theme
from recommendations.selectors import (
    facet_counts,
    indexed_list,
    recommendation_filterset,
    recommendation_page,
    recommendation_with_related,
)
from recommendations.services import recommendation_set_status
from stakeholders.models import Organisation

from .facet_reference import facet_rows

pytestmark = pytest.mark.django_db


def search(query: str):
    filterset = recommendation_filterset(QueryDict(query))
    assert filterset.is_valid(), filterset.errors
    return filterset


def count(query: str) -> int:
    return search(query).qs.count()


def test_rows_written_by_an_import_are_indexed_exactly_as_reindex_would(demo):
    before = {row["id"]: row for row in Recommendation.objects.values("id", "search__vector", *INDEX_COLUMNS)}
    assert SearchEntry.objects.count() == len(before)

    reindex()

    after = {row["id"]: row for row in Recommendation.objects.values("id", "search__vector", *INDEX_COLUMNS)}
    for pk, row in before.items():
        for column in INDEX_COLUMNS:
            if column == "search_document":  # same words; the order of the names may differ
                assert sorted(row[column].split()) == sorted(after[pk][column].split())
            else:
                assert row[column] == after[pk][column], (pk, column)
        assert lexemes(row["search__vector"]) == lexemes(after[pk]["search__vector"])


def lexemes(vector: str) -> set[str]:
    """The words of a tsvector's text, without their positions (the names' order may differ)."""
    return {item.rsplit(":", 1)[0] for item in vector.split()}


def test_the_search_entry_is_the_vector_of_the_text_and_the_names(demo):
    rec = Recommendation.objects.get(f_state="CHN", paragraph="186.2")

    assert rec.search_document.startswith(rec.text)
    assert "Bulgaria" in rec.search_document and "China" in rec.search_document
    assert "'bulgaria':" in rec.search.vector and "'china':" in rec.search.vector


def test_index_columns_of_a_paragraph(demo):
    rec = Recommendation.objects.get(f_state="CHN", paragraph="186.2")

    assert (rec.f_mechanism, rec.f_cycle, rec.f_session, rec.f_paragraph) == ("upr", 2, 17, [186, 2])
    assert rec.f_recommending == ["BGR", "BRA", "EST", "GHA"]
    assert rec.f_regions == ["africa", "eeg", "grulac"]
    assert rec.f_groups == ["general"]
    assert "acceptance-of-international-norms" in rec.f_themes
    assert "upr-info-international-instruments" in rec.f_themes


def test_filters_combine_and_values_of_one_parameter_are_ored(demo):
    # China: 136 UPR Info texts of session 4, and the 252 paragraphs of session 17.
    assert count("state=CHN") == 388
    assert count("state=CHN&cycle=1") == 136
    assert count("state=MEX") == 357
    assert count("state=CHN&state=mex") == 745
    assert count("state=CHN&cycle=2") == 252
    assert count("recommending_state=BRA&state=CHN") == count("state=CHN&recommending_state=bra")


def test_full_text_search_stems_and_understands_phrases_and_exclusions(demo):
    assert count("q=tortured") == count("q=torture")
    phrase = count('q="death penalty"')
    assert 0 < phrase < count("q=death penalty") + 1
    assert count('q="death penalty" -abolish') < phrase
    assert count("q=death or torture") >= count("q=torture")


def test_search_also_matches_names_of_themes_and_recommending_states(demo):
    by_sponsor = search("q=Bulgaria&state=CHN&cycle=2").qs
    assert Recommendation.objects.get(f_state="CHN", paragraph="186.2") in by_sponsor


def test_relevance_orders_search_results(demo):
    filterset = search("q=torture")
    ranked = list(filterset.qs.values_list("pk", "rank"))
    assert [rank for _, rank in ranked] == sorted((rank for _, rank in ranked), reverse=True)

    page = recommendation_page(search("q=torture"), 1)
    assert [rec.pk for rec in page.object_list] == [pk for pk, _ in ranked[:20]]


def test_unknown_values_are_errors_on_their_parameter(demo):
    filterset = recommendation_filterset(QueryDict("state=XXX&theme=no-such-theme&cycle=2"))

    assert not filterset.is_valid()
    assert set(filterset.errors) == {"state", "theme"}
    assert "XXX" in filterset.errors["state"][0]


def test_facet_counts_reflect_the_other_active_filters(demo):
    filterset = search("state=CHN&position=noted")
    facets = {facet.name: facet for facet in facet_counts(filterset)}

    states = {v.value: (v.count, v.selected) for v in facets["state"].values}
    assert states["CHN"] == (count("state=CHN&position=noted"), True)
    assert states["MEX"] == (count("state=MEX&position=noted"), False)
    positions = {v.value: v.count for v in facets["position"].values}
    assert positions == {"supported": count("state=CHN&position=supported"), "noted": count("state=CHN&position=noted")}
    cycles = {v.value: v.count for v in facets["cycle"].values}
    assert cycles == {"1": count("state=CHN&position=noted&cycle=1"), "2": count("state=CHN&position=noted&cycle=2")}


def test_the_list_takes_a_constant_number_of_queries(demo, django_assert_num_queries):
    indexed_list(search(""))  # builds this version's facet index (once per version)
    facets = "state=CHN&state=MEX&theme=upr-info-torture-and-other-cid-treatment"
    for query, queries in (("", 1), (facets, 1), (f"{facets}&cycle=2&q=torture", 2)):
        filterset = search(query)
        with django_assert_num_queries(queries):  # the search (with `q`), the page's rows
            page = recommendation_page(filterset, 1)
            list(page.object_list)
            facet_counts(filterset)


def test_page_size_does_not_change_the_query_count(demo, django_assert_num_queries):
    indexed_list(search(""))
    for size in (5, 50):
        filterset = search("state=CHN")
        with django_assert_num_queries(1):  # the page's rows
            page = recommendation_page(filterset, 1, size=size)
            assert len(list(page.object_list)) == size
        assert page.paginator.count == 388


LIST_QUERIES = [
    "",
    "q=torture",
    "q=women&state=MEX",
    'q="death penalty" -abolish',
    "q=Bulgaria&cycle=2",
    "q=no-such-word-anywhere",
    "state=CHN&position=noted&cycle=2",
    "state=CHN&state=MEX&position=supported",
    "theme=upr-info-torture-and-other-cid-treatment",
    "theme=upr-info-torture-and-other-cid-treatment&theme=upr-info-womens-rights&recommending_state=BRA",
    "recommending_state=BRA&region=eeg&group=general",
    "requires_legislation=false&mechanism=upr",
    "mechanism=upr&state=MEX&position=noted&status=not-reported&requires_legislation=false",
    "q=torture&theme=upr-info-torture-and-other-cid-treatment&cycle=1&session=4",
]


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_the_facet_index_counts_what_postgresql_counts(demo, query):
    filterset = search(query)

    assert sorted(indexed_list(filterset).facet_rows) == sorted(facet_rows(filterset))
    assert indexed_list(filterset).count == filterset.qs.count()


@pytest.mark.parametrize(
    "query",
    ["", "ordering=date", "ordering=paragraph", "q=torture", "q=torture&ordering=date", "q=women&ordering=-date",
     "state=CHN&ordering=paragraph", "theme=upr-info-womens-rights&ordering=relevance"],
)  # fmt: skip
def test_pages_hold_the_rows_of_a_plain_slice(demo, query):
    filterset = search(query)
    ordered = list(filterset.qs.values_list("pk", flat=True))

    assert len(ordered) > 14
    for number in (1, 2, 5):
        page = recommendation_page(filterset, number, size=7)
        assert [rec.pk for rec in page.object_list] == ordered[(number - 1) * 7 : number * 7]
    assert [int(pk) for pk in indexed_list(filterset).ids] == ordered


def test_list_rows_hold_what_the_orm_reads_in_the_order_asked(demo, django_assert_num_queries):
    from recommendations.selectors import LIST_FIELDS, list_rows

    wanted = [*Recommendation.objects.order_by("-id").values_list("pk", flat=True)[:50:3], 10**9]
    expected = {
        rec.pk: rec
        for rec in Recommendation.objects.filter(pk__in=wanted).select_related("review__state", "review__mechanism")
    }

    with django_assert_num_queries(1):
        rows = list_rows(wanted)
        shown = [[_value(rec, name) for name in LIST_FIELDS] for rec in rows]

    assert [rec.pk for rec in rows] == wanted[:-1]  # an unknown id is left out
    assert shown == [[_value(expected[pk], name) for name in LIST_FIELDS] for pk in wanted[:-1]]
    assert rows[0].review.state.iso3 == rows[0].f_state
    assert rows[0].get_status_display() == expected[rows[0].pk].get_status_display()
    with django_assert_num_queries(1):  # a field the list does not show is deferred, read when asked
        assert rows[0].external_id == expected[rows[0].pk].external_id


def _value(rec: Recommendation, path: str):
    for name in path.split("__"):
        rec = getattr(rec, name)
    return rec


def test_the_facet_index_follows_the_data_version(demo):
    query = "q=torture&state=CHN"
    first = indexed_list(search(query))
    rec = Recommendation.objects.get(pk=int(first.ids[0]))
    assert rec.status == "not-reported"

    recommendation_set_status(
        recommendation=rec,
        status="in-progress",
        effective_date=datetime.date(2016, 5, 1),
        source=StatusSource.PROGRESS_UPDATE,
    )

    statuses = {facet.name: facet for facet in facet_counts(search(query))}["status"]
    assert {value.value: value.count for value in statuses.values}["in-progress"] == 1
    assert {value.value: value.count for value in statuses.values}["not-reported"] == len(first.ids) - 1


def test_the_facet_index_is_shared_through_the_cache(demo, django_assert_num_queries):
    from django.core.cache import cache

    from recommendations import facet_index

    built = facet_index.current(search("").data_version)
    facet_index.forget()  # another worker: reads it from the cache, not from the database
    with django_assert_num_queries(0):
        again = facet_index.current(built.version)
    assert again.ids.tolist() == built.ids.tolist()
    assert cache.get(facet_index.CACHE_KEY).version == built.version


def test_a_recommendation_with_related_ones_is_cached_until_the_data_changes(demo, django_assert_num_queries):
    rec = Recommendation.objects.get(f_state="CHN", paragraph="186.2")
    found, moved, related = recommendation_with_related(rec.code)
    assert (found, moved) == (rec, False)

    with django_assert_num_queries(1):  # the data version
        assert recommendation_with_related(rec.code)[2] == related

    recommendation_set_status(
        recommendation=rec,
        status="in-progress",
        effective_date=datetime.date(2016, 5, 1),
        source=StatusSource.PROGRESS_UPDATE,
    )
    assert recommendation_with_related(rec.code)[0].status == "in-progress"


def test_editing_relations_in_the_admin_way_reindexes(demo):
    rec = Recommendation.objects.get(f_state="CHN", paragraph="186.2")
    theme = Theme.objects.create(vocabulary="uhri", name="Digital rights and online spaces")
    ministry = Organisation.objects.create(
        name="Ministry of Justice", slug="ministry-of-justice", kind="government-entity"
    )

    rec.themes.add(theme)
    Responsibility.objects.create(recommendation=rec, organisation=ministry, role="lead")

    rec.refresh_from_db()
    assert "digital-rights-and-online-spaces" in rec.f_themes
    assert rec.f_institutions == ["ministry-of-justice"]
    assert count("institution=ministry-of-justice") == 1
    assert count("theme=digital-rights-and-online-spaces&q=online") == 1


def test_facets_show_their_largest_values_unless_expanded(demo):
    facets = {facet.name: facet for facet in facet_counts(search("state=MEX"), limit=2)}
    assert len(facets["recommending_state"].values) == 2
    assert facets["recommending_state"].more > 0
    assert facets["state"].values[0].value == "MEX"  # the selected value always shows

    expanded = {facet.name: facet for facet in facet_counts(search(""), limit=2, expanded={"recommending_state"})}
    everything = {facet.name: facet for facet in facet_counts(search(""), limit=1000)}
    assert expanded["recommending_state"].values == everything["recommending_state"].values
    assert expanded["recommending_state"].more == 0
    assert len(expanded["state"].values) == 2


def test_the_page_values_hold_the_related_recommendations(demo):
    from recommendations.selectors import recommendation_page_values, related_recommendations

    checked = 0
    for rec in Recommendation.objects.filter(f_state="CHN").select_related("review__mechanism")[:60]:
        expected = [
            {
                "code": other.code,
                "text": other.text,
                "acronym": other.review.mechanism.acronym,
                "cycle": other.review.cycle,
            }
            for other in related_recommendations(rec)
        ]
        assert recommendation_page_values(rec.code)[2]["related"] == expected
        checked += bool(expected)
    assert checked > 5


@pytest.mark.parametrize("word", ["酷刑", "التعذيب", "пытки"])
def test_words_in_scripts_without_a_stemmer_match_as_substrings(demo, word):
    rec = Recommendation.objects.get(f_state="CHN", paragraph="186.2")
    Recommendation.objects.filter(pk=rec.pk).update(text=f"{rec.text} ({word}公约)")
    reindex([rec.pk])

    filterset = search(f"q={word}")

    assert list(filterset.qs.values_list("pk", flat=True)) == [rec.pk]
    assert [int(pk) for pk in indexed_list(filterset).ids] == [rec.pk]
    assert [rec.pk for rec in recommendation_page(filterset, 1).object_list] == [rec.pk]
