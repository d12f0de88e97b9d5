"""The States index and each State's page: reviews, figures, charts with their tables."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings

from recommendations import charts
from recommendations.models import Recommendation, StatusSource
from recommendations.services import recommendation_set_status, recommendations_import
from tests.pages import table, tables

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "upr_info" / "upr_info_sample_5_states.csv"
CHINA_2013 = DATA / "ohchr" / "Matrix_recommendations_2013.docx"

CYCLES_CAPTION = "Recommendations per cycle by implementation status"
ISSUES_CAPTION = "Top 10 UPR Info issues by position"
THEMES_CAPTION = "Top 10 UN human rights themes (UHRI) by position"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A private local-memory cache: chart caching is tested, and a shared Redis must not
    answer for another test."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "states"}}


@pytest.fixture
def sample():
    """UPR Info's rows for five States: 1,620 recommendations, China 420 of them."""
    outcome = recommendations_import(path=SAMPLE)
    assert outcome.ok, outcome.errors


def svgs(response) -> list[str]:
    return re.findall(r"<svg .*?</svg>", response.content.decode(), re.DOTALL)


def test_states_index_lists_the_states_under_review(client, sample):
    response = client.get("/en/states/")

    assert response.status_code == 200
    assert table(response, "5 States with recommendations") == [
        ["China", "Asia-Pacific Group", "420"],
        ["Mexico", "Latin American and Caribbean Group (GRULAC)", "357"],
        ["Nigeria", "African Group", "330"],
        ["Russian Federation", "Eastern European Group", "349"],
        ["United Kingdom of Great Britain and Northern Ireland", "Western European and Others Group (WEOG)", "164"],
    ]
    assert 'href="/en/states/chn/"' in response.content.decode()


def test_china_page_shows_its_reviews_and_exact_counts(client, sample):
    response = client.get("/en/states/chn/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>China</h1>" in html
    assert '<span class="figure-number d-block">420</span>' in html
    assert table(response, "Reviews of China") == [
        ["UPR", "1", "4", "—", "—", "136"],
        ["UPR", "2", "17", "—", "—", "284"],
    ]
    assert table(response, "Recommendations by UPR cycle") == [
        ["Cycle 1", "136", "32.4%"],
        ["Cycle 2", "284", "67.6%"],
    ]
    assert table(response, "Recommendations by the State's position") == [
        ["Supported", "262", "62.4%"],
        ["Noted", "158", "37.6%"],
    ]


def test_china_page_has_charts_with_text_alternatives_and_data_tables(client, sample):
    response = client.get("/en/states/chn/")

    html = response.content.decode()
    assert html.count("<svg ") == 2  # no UHRI themes in UPR Info data: that chart is left out
    assert (
        f'<svg role="img" aria-label="{CYCLES_CAPTION} (stacked bar chart; the table beside it gives the numbers)"'
        in html
    )
    assert f'<figcaption class="fs-5 fw-semibold mb-2">{ISSUES_CAPTION}</figcaption>' in html
    assert THEMES_CAPTION not in html
    # Statuses as rows, cycles as columns.
    assert table(response, f"Data of the chart: {CYCLES_CAPTION}") == [
        ["No status reported", "136", "284", "420"],
        ["Total", "136", "284", "420"],
    ]
    assert table(response, f"Data of the chart: {ISSUES_CAPTION}") == [
        ["International instruments", "29", "47", "76"],
        ["CP rights - general", "17", "27", "44"],
        ["Death penalty", "3", "35", "38"],
        ["Minorities", "21", "13", "34"],
        ["Detention", "8", "24", "32"],
        ["Justice", "22", "9", "31"],
        ["Rights of the Child", "25", "6", "31"],
        ["Development", "28", "0", "28"],
        ["ESC rights - general", "24", "2", "26"],
        ["Freedom of religion and belief", "14", "12", "26"],
        ["Total", "191", "175", "366"],
    ]


def test_cycles_table_has_a_row_per_status_in_the_order_of_the_scale(client, sample):
    china = Recommendation.objects.filter(review__state__iso3="CHN").order_by("review__session", "id")
    cycle_1, cycle_2 = list(china.filter(review__session=4)[:2]), list(china.filter(review__session=17)[:1])
    for rec, status in zip(
        [*cycle_1, *cycle_2], ["fully-implemented", "not-started", "fully-implemented"], strict=True
    ):
        recommendation_set_status(
            recommendation=rec, status=status, effective_date=datetime.date(2024, 5, 1), source=StatusSource.MANUAL
        )

    response = client.get("/en/states/chn/")

    assert table(response, f"Data of the chart: {CYCLES_CAPTION}") == [
        ["No status reported", "134", "283", "417"],
        ["Not started", "1", "0", "1"],
        ["Fully implemented", "1", "1", "2"],
        ["Total", "136", "284", "420"],
    ]


def test_uhri_themes_chart_appears_once_un_themes_are_imported(client, sample):
    assert recommendations_import(path=CHINA_2013).ok

    response = client.get("/en/states/chn/")

    html = response.content.decode()
    assert html.count("<svg ") == 3
    rows = table(response, f"Data of the chart: {THEMES_CAPTION}")
    assert len(rows) == 11  # ten themes and the total
    assert rows[-1][0] == "Total"


def test_embedded_svg_keeps_to_a_strict_csp_and_has_unique_ids(client, sample):
    html = client.get("/en/states/chn/").content.decode()

    assert "<style" not in html and " style=" not in html
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    references = set(re.findall(r'(?:href="#|url\(#)([^")]+)', html))
    assert references <= set(ids)


def test_charts_are_cached_per_language_until_the_data_changes(client, sample, monkeypatch):
    renders = []
    real = charts.stacked_bar_svg
    monkeypatch.setattr(charts, "stacked_bar_svg", lambda *args, **kwargs: renders.append(1) or real(*args, **kwargs))

    first = svgs(client.get("/en/states/chn/"))
    assert len(renders) == 2
    assert svgs(client.get("/en/states/chn/")) == first
    assert len(renders) == 2  # served from the cache

    client.get("/ar/states/chn/")
    assert len(renders) == 4  # labels differ per language

    Recommendation.objects.filter(review__state__iso3="CHN").first().save()
    client.get("/en/states/chn/")
    assert len(renders) == 6  # a newer updated_at changes the key


def test_arabic_state_page_is_right_to_left_with_translated_chart_labels(client, sample):
    assert (settings.BASE_DIR / "locale" / "ar" / "LC_MESSAGES" / "django.mo").is_file(), "run compilemessages"

    response = client.get("/ar/states/chn/")

    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html
    assert 'aria-label="التوصيات في كل جولة حسب حالة التنفيذ (مخطط أعمدة مكدّسة؛ يعرض الجدول المجاور الأرقام)"' in html
    rows = tables(response.content.decode())["بيانات المخطط: التوصيات في كل جولة حسب حالة التنفيذ"]
    assert rows == [
        ["الحالة", "الجولة 1", "الجولة 2", "المجموع"],
        ["لم يُبلَّغ عن حالة", "136", "284", "420"],
        ["المجموع", "136", "284", "420"],
    ]


def test_unknown_state_is_404_and_a_state_without_recommendations_is_empty(client, sample):
    missing = client.get("/en/states/xyz/")
    assert missing.status_code == 404
    assert "<h1>Page not found</h1>" in missing.content.decode()  # in the portal's layout
    assert client.get("/en/states/CHN/").status_code == 404  # one address per State: lower case
    assert client.get("/en/states/chna/").status_code == 404

    response = client.get("/en/states/fra/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>France</h1>" in html
    assert "No review of this State is recorded yet." in html
    assert "<svg" not in html


def test_state_pages_run_a_fixed_number_of_queries(client, sample, django_assert_max_num_queries):
    # State, reviews, one GROUP BY for every count, one for the themes.
    with django_assert_max_num_queries(4):
        assert client.get("/en/states/chn/").status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get("/en/states/").status_code == 200


def test_chart_colours_match_the_table_swatches():
    css = (settings.BASE_DIR / "static" / "css" / "portal.css").read_text(encoding="utf-8")

    for css_class, colour in charts.SERIES_COLOURS.items():
        assert f".{css_class} {{ background: {colour}; }}" in css
