"""The public recommendation list and detail pages."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest

from recommendations.models import Recommendation, StatusSource
from recommendations.services import recommendation_set_status

DATA = Path(__file__).resolve().parent.parent / "data"

pytestmark = pytest.mark.django_db


@pytest.fixture
def paragraph(demo):
    return Recommendation.objects.get(f_state="CHN", paragraph="186.2")


def test_the_list_searches_and_filters_from_the_url(client, demo):
    response = client.get("/en/recommendations/", {"q": "torture", "state": "CHN"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "13 recommendations" in content
    assert re.search(r'name="state" value="CHN"\s+id="f-state-1" checked', content)
    assert "Harmonize the definition of torture contained in the national legislation" in content
    assert 'name="q" value="torture"' in content


def test_an_unknown_filter_value_is_a_400_naming_the_parameter(client, demo):
    response = client.get("/en/recommendations/", {"state": "XXX"})

    assert response.status_code == 400
    assert "<code>state</code>" in response.content.decode()
    assert "XXX is not one of the available choices" in response.content.decode()


def test_pagination_keeps_the_search(client, demo):
    response = client.get("/en/recommendations/", {"state": "MEX", "page": "2"})

    content = response.content.decode()
    assert "Page 2 of 18" in content
    assert 'href="?state=MEX&amp;page=3"' in content
    assert 'href="?state=MEX&amp;page=1"' in content


def test_the_list_downloads_the_current_result_as_csv(client, demo):
    response = client.get("/en/recommendations/", {"state": "CHN", "cycle": "2", "download": "csv"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="recommendations.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 252
    assert {row["state iso3"] for row in rows} == {"CHN"}


def test_the_list_downloads_the_current_result_as_xlsx(client, demo):
    response = client.get("/en/recommendations/", {"state": "GBR", "download": "xlsx"})

    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + Recommendation.objects.filter(f_state="GBR").count() == 1 + 164


def test_the_list_page_takes_a_constant_number_of_queries(client, demo, django_assert_max_num_queries):
    client.get("/en/recommendations/")  # warm the vocabulary cache
    for query in ({}, {"q": "torture", "state": ["CHN", "MEX"], "theme": "upr-info-torture-and-other-cid-treatment"}):
        with django_assert_max_num_queries(5):
            assert client.get("/en/recommendations/", query).status_code == 200


def test_the_detail_page_shows_everything_public(client, paragraph):
    recommendation_set_status(
        recommendation=paragraph,
        status="in-progress",
        effective_date="2016-05-01",
        source=StatusSource.PROGRESS_UPDATE,
        note="internal note: never shown",
    )

    response = client.get(f"/en/recommendations/{paragraph.code}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Ratify as soon as possible ICCPR (Brazil); Speed up the ratification" in content
    assert "Brazil, Bulgaria, Estonia, Ghana" in content
    assert "A/HRC/25/5, A/HRC/25/5/Add.1" in content
    assert "A12 Acceptance of international norms" in content
    assert '<time datetime="2016-05-01">' in content
    assert "In progress" in content
    assert "internal note" not in content


def test_an_absorbed_code_redirects_to_its_paragraph(client, paragraph):
    old = paragraph.former_codes[0]

    response = client.get(f"/en/recommendations/{old}/")

    assert response.status_code == 301
    assert response["Location"] == f"/en/recommendations/{paragraph.code}/"


def test_an_unknown_code_is_404(client, demo):
    assert client.get("/en/recommendations/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.parametrize("prepared", [True, False])
def test_the_detail_page_takes_two_queries(client, paragraph, settings, django_assert_num_queries, prepared):
    settings.PUBLIC_CACHE_SECONDS = 0
    settings.DATABASE_PREPARED_STATEMENTS = prepared

    with django_assert_num_queries(2) as queries:  # the data version; the page in one statement
        response = client.get(f"/en/recommendations/{paragraph.code}/")

    assert response.status_code == 200
    assert queries.captured_queries[1]["sql"].startswith("EXECUTE recommendation_page(" if prepared else "\nSELECT")


def test_the_detail_page_content_is_rendered_once_until_the_data_changes(
    client, paragraph, django_assert_max_num_queries
):
    url = f"/en/recommendations/{paragraph.code}/"
    assert "No status reported" in client.get(url).content.decode()

    with django_assert_max_num_queries(1):  # the data version: the content comes from the cache
        again = client.get(url)
    assert again.status_code == 200
    assert "No status reported" in again.content.decode()

    recommendation_set_status(
        recommendation=paragraph,
        status="in-progress",
        effective_date="2016-05-01",
        source=StatusSource.PROGRESS_UPDATE,
    )
    assert "In progress" in client.get(url).content.decode()
    french = client.get(f"/fr/recommendations/{paragraph.code}/").content.decode()  # cached per language
    assert "En cours" in french
    assert "<title>Recommandation adressée à" in french


def test_arabic_pages_are_right_to_left(client, paragraph):
    response = client.get(f"/ar/recommendations/{paragraph.code}/")

    assert 'dir="rtl"' in response.content.decode()
    assert "bootstrap.rtl.min.css" in response.content.decode()


def test_a_facet_links_to_all_its_values_without_javascript(client, demo):
    content = client.get("/en/recommendations/", {"state": "MEX"}).content.decode()
    assert re.search(
        r'<a href="\?state=MEX&amp;more=recommending_state#facet-recommending_state">Show all \d+ values</a>', content
    )
    assert content.count('name="recommending_state"') == 8

    expanded = client.get("/en/recommendations/", {"state": "MEX", "more": "recommending_state"}).content.decode()
    assert expanded.count('name="recommending_state"') > 8
    assert '<input type="hidden" name="more" value="recommending_state">' in expanded
    assert "more=recommending_state#" not in expanded
    assert (
        'id="f-recommending_state-1"' in expanded
        and '<label class="form-check-label" for="f-recommending_state-1">' in expanded
    )
