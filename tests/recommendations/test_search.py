"""The public search layer: index columns, the shared FilterSet and facet counts."""

import datetime
from pathlib import Path

import pytest
from django.http import QueryDict

from recommendations.indexing import INDEX_COLUMNS, reindex
from recommendations.models import Recommendation, Responsibility, StatusSource, Theme
from recommendations.selectors import (
    facet_counts,
    recommendation_filterset,
    recommendation_page,
    recommendation_with_related,
    result_count,
)
from recommendations.services import recommendation_set_status, recommendations_import
from stakeholders.models import Organisation

DATA = Path(__file__).resolve().parent.parent / "data"

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    recommendations_import(path=DATA / "upr_info" / "upr_info_sample_5_states.csv")
    recommendations_import(path=DATA / "ohchr" / "Matrix_recommendations_2013.docx")


def search(query: str):
    filterset = recommendation_filterset(QueryDict(query))
    assert filterset.is_valid(), filterset.errors
    return filterset


def count(query: str) -> int:
    return search(query).qs.count()


def test_rows_written_by_an_import_are_indexed_exactly_as_reindex_would(demo):
    before = {row["id"]: row for row in Recommendation.objects.values("id", *INDEX_COLUMNS)}

    reindex()

    after = {row["id"]: row for row in Recommendation.objects.values("id", *INDEX_COLUMNS)}
    for pk, row in before.items():
        for column in INDEX_COLUMNS:
            if column == "search_document":  # same words; the order of the names may differ
                assert sorted(row[column].split()) == sorted(after[pk][column].split())
            else:
                assert row[column] == after[pk][column], (pk, column)


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
    page = recommendation_page(search("q=torture"), 1)
    ranks = [rec.rank for rec in page.object_list]
    assert ranks == sorted(ranks, reverse=True)


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


def test_facet_counts_take_a_constant_number_of_queries(demo, django_assert_num_queries):
    search("").vocabulary  # noqa: B018 - warm the vocabulary cache
    for query in ("", "state=CHN&state=MEX&theme=upr-info-torture-and-other-cid-treatment&cycle=2&q=torture"):
        filterset = search(query)
        with django_assert_num_queries(3):  # count, page, facets (the filterset read the data version)
            page = recommendation_page(filterset, 1)
            list(page.object_list)
            facet_counts(filterset)


def test_page_size_does_not_change_the_query_count(demo, django_assert_num_queries):
    search("").vocabulary  # noqa: B018
    for size in (5, 50):
        filterset = search("state=CHN")
        with django_assert_num_queries(2):  # count, page
            page = recommendation_page(filterset, 1, size=size)
            assert len(list(page.object_list)) == size


@pytest.mark.parametrize(
    "query",
    ["", "q=torture", "state=CHN&position=noted&cycle=2", "theme=upr-info-torture-and-other-cid-treatment"],
)
def test_the_result_count_read_from_the_facets_is_the_list_count(demo, query):
    filterset = search(query)

    assert result_count(filterset, facet_counts(filterset)) == filterset.qs.count()


def test_no_result_count_from_the_facets_when_every_single_valued_facet_is_filtered(demo):
    filterset = search("mechanism=upr&state=MEX&position=noted&status=not-reported&requires_legislation=false")

    assert result_count(filterset, facet_counts(filterset)) is None


@pytest.mark.parametrize("query", ["", "ordering=date", "q=torture", "state=CHN&ordering=paragraph"])
def test_pages_hold_the_rows_of_a_plain_slice(demo, query):
    filterset = search(query)
    ordered = list(filterset.qs.values_list("pk", flat=True))

    for number in (1, 2, 5):
        page = recommendation_page(filterset, number, size=7)
        assert [rec.pk for rec in page.object_list] == ordered[(number - 1) * 7 : number * 7]


def test_facet_counts_and_search_pages_are_cached_until_the_data_changes(demo, django_assert_num_queries):
    query = "q=torture&state=CHN"
    first = search(query)
    counts = facet_counts(first)
    ids = [rec.pk for rec in recommendation_page(first, 1).object_list]

    again = search(query)
    with django_assert_num_queries(2):  # count, the page's rows by id: no facet counts, no ranking
        assert facet_counts(again) == counts
        assert [rec.pk for rec in recommendation_page(again, 1).object_list] == ids

    recommendation_set_status(
        recommendation=Recommendation.objects.get(pk=ids[0]),
        status="in-progress",
        effective_date=datetime.date(2016, 5, 1),
        source=StatusSource.PROGRESS_UPDATE,
    )
    statuses = {facet.name: facet for facet in facet_counts(search(query))}["status"]
    assert {value.value: value.count for value in statuses.values}["in-progress"] == 1


def test_without_the_public_cache_every_request_counts_again(demo, settings, django_assert_num_queries):
    settings.PUBLIC_CACHE_SECONDS = 0
    facet_counts(search("q=torture"))

    filterset = search("q=torture")
    with django_assert_num_queries(3):  # count, page, facets
        list(recommendation_page(filterset, 1).object_list)
        facet_counts(filterset)


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


@pytest.mark.parametrize(
    "query",
    [
        "",
        "state=CHN",
        "theme=upr-info-torture-and-other-cid-treatment",
        "position=noted",
        "position=noted&position=supported",
        "cycle=2",
        "requires_legislation=false",
        "mechanism=upr",
        "status=not-reported",
    ],
)
def test_counts_over_every_row_come_from_the_summary_of_the_data_version(demo, settings, query):
    settings.PUBLIC_CACHE_SECONDS = 0
    from recommendations.models import FacetCount
    from recommendations.selectors import _facet_rows

    filterset = search(query)
    assert sorted(_facet_rows(filterset)) == sorted(_facet_rows(filterset, summary=False))
    version = filterset.data_version
    assert set(FacetCount.objects.values_list("version", flat=True)) == {version}
    assert FacetCount.objects.get(filter_facet="", facet="state", value="CHN").count == count("state=CHN")
    noted = FacetCount.objects.get(filter_facet="position", filter_value="noted", facet="state", value="CHN")
    assert noted.count == count("position=noted&state=CHN")


def test_the_summary_is_written_again_when_the_data_changes(demo, settings):
    settings.PUBLIC_CACHE_SECONDS = 0
    from recommendations.models import FacetCount

    facet_counts(search(""))
    rec = Recommendation.objects.filter(f_state="CHN").exclude(status="in-progress").first()
    recommendation_set_status(
        recommendation=rec,
        status="in-progress",
        effective_date=datetime.date(2016, 5, 1),
        source=StatusSource.PROGRESS_UPDATE,
    )
    filterset = search("")
    statuses = {facet.name: facet for facet in facet_counts(filterset)}["status"]

    assert {value.value: value.count for value in statuses.values}["in-progress"] == count("status=in-progress")
    assert set(FacetCount.objects.values_list("version", flat=True)) == {filterset.data_version}


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


def test_related_rows_are_the_related_recommendations(demo):
    from recommendations.selectors import related_recommendations, related_rows

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
        assert related_rows(rec) == expected
        checked += bool(expected)
    assert checked > 5
