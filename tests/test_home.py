"""The public layout, languages and the home page."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings

from recommendations.models import ImplementationStatus, Recommendation, StatusSource
from recommendations.services import recommendation_set_status, recommendations_import
from tests.pages import table

SAMPLE = Path(__file__).resolve().parent / "data" / "upr_info" / "upr_info_sample_5_states.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    """UPR Info's rows for five States: 1,620 recommendations, cycles 1 and 2."""
    outcome = recommendations_import(path=SAMPLE)
    assert outcome.ok, outcome.errors


@pytest.fixture
def translations_compiled():
    missing = [
        code
        for code in ("fr", "ar")
        if not (settings.BASE_DIR / "locale" / code / "LC_MESSAGES" / "django.mo").is_file()
    ]
    assert not missing, f"no compiled translations for {missing}: run `make test` or `manage.py compilemessages`"


def test_home_shows_exact_key_figures(client, sample):
    response = client.get("/en/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="figure-number d-block">1620</span>' in html
    assert table(response, "Recommendations by UPR cycle") == [
        ["Cycle 1", "539", "33.3%"],
        ["Cycle 2", "1081", "66.7%"],
    ]
    assert table(response, "Recommendations by the State's position") == [
        ["Supported", "1224", "75.6%"],
        ["Noted", "396", "24.4%"],
    ]
    assert table(response, "Recommendations by implementation status") == [["No status reported", "1620", "100.0%"]]


def test_home_without_recommendations_says_so(client):
    response = client.get("/en/")

    html = response.content.decode()
    assert '<span class="figure-number d-block">0</span>' in html
    assert "Recommendations by UPR cycle" not in html
    assert "No implementation status has been reported yet." in html


def _set_statuses(count: int) -> list[Recommendation]:
    recommendations = list(Recommendation.objects.filter(review__state__iso3="MEX").order_by("id")[:count])
    for day, rec in enumerate(recommendations, start=1):
        recommendation_set_status(
            recommendation=rec,
            status=ImplementationStatus.IN_PROGRESS,
            effective_date=datetime.date(2024, 1, day),
            source=StatusSource.MANUAL,
        )
    return recommendations


def test_home_lists_the_ten_newest_status_changes(client, sample):
    recommendations = _set_statuses(12)

    response = client.get("/en/")

    rows = table(response, "The ten newest changes of implementation status validated by national mechanisms")
    assert [row[0] for row in rows] == [f"Jan. {day}, 2024" for day in range(12, 2, -1)]
    assert {row[1].split(" ", 1)[0] for row in rows} == {"Mexico"}  # the State, then the text
    words = recommendations[-1].text.split()
    assert rows[0][1] == f"Mexico {' '.join(words[:20])} …"  # texts are cut after 20 words
    assert {row[2] for row in rows} == {"In progress (was: No status reported)"}
    newest = recommendations[-1]
    html = response.content.decode()
    assert f'href="/en/recommendations/{newest.code}/"' in html
    assert 'href="/en/states/mex/"' in html
    assert table(response, "Recommendations by implementation status") == [
        ["No status reported", "1608", "99.3%"],
        ["In progress", "12", "0.7%"],
    ]


def test_home_runs_a_fixed_number_of_queries(client, sample, django_assert_max_num_queries):
    _set_statuses(12)

    # One GROUP BY for every figure, one query for the status changes with their States.
    with django_assert_max_num_queries(2):
        response = client.get("/en/")
    assert response.status_code == 200


def test_layout_has_landmarks_skip_link_and_labelled_language_switcher(client):
    html = client.get("/en/").content.decode()

    assert '<html lang="en" dir="ltr">' in html
    assert '<a class="skip-link visually-hidden-focusable" href="#content">Skip to main content</a>' in html
    assert '<main id="content"' in html
    assert "<header" in html and "<footer" in html
    assert '<nav aria-label="Main">' in html
    assert '<label class="visually-hidden" for="language-select">Language</label>' in html
    assert '<form class="language-form d-flex align-items-center gap-2" action="/i18n/setlang/" method="post">' in html
    assert '<option value="ar" lang="ar">العربيّة</option>' in html  # each language named in itself
    assert 'href="/en/recommendations/"' in html  # the recommendation browser's URL name resolves
    assert 'href="/en/" aria-current="page"' in html
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.min.css" in html
    assert '<script src="/static/vendor/htmx-2.0.11.min.js" defer></script>' in html
    assert "UPR Info database" in html and "Universal Human Rights Index" in html


@pytest.mark.parametrize("url", ["/en/", "/ar/", "/en/states/", "/en/states/chn/", "/en/recommendations/"])
def test_pages_keep_to_a_strict_content_security_policy(client, sample, url):
    html = client.get(url).content.decode()

    # Scripts only from files, no style elements or attributes, no event handlers.
    assert html.count("<script") == html.count("<script src=")
    assert "<style" not in html
    assert " style=" not in html
    assert " onclick=" not in html and " onload=" not in html


def test_root_redirects_to_the_visitors_language(client):
    assert client.get("/").headers["Location"] == "/en/"
    assert client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9"}).headers["Location"] == "/fr/"
    assert client.get("/states/chn/").headers["Location"] == "/en/states/chn/"


def test_machine_and_staff_addresses_stay_unprefixed(client):
    assert client.get("/health/").status_code == 200
    assert client.get("/en/health/").status_code == 404
    assert client.get("/admin/login/")["Location"] == "/en/accounts/login/?next=/admin/"


def test_chosen_language_is_remembered_in_the_cookie(client):
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/en/states/"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/ar/states/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert client.get("/").headers["Location"] == "/ar/"
    assert client.get("/states/").headers["Location"] == "/ar/states/"


def test_french_home_is_translated(client, sample, translations_compiled):
    response = client.get("/fr/")

    html = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "<h1>Les recommandations en matière de droits humains et ce que les États en font</h1>" in html
    assert "Aller au contenu principal" in html
    assert table(response, "Recommandations selon la position de l’État") == [
        ["Acceptée", "1224", "75,6 %"],
        ["Notée", "396", "24,4 %"],
    ]


def test_arabic_home_is_right_to_left(client, sample, translations_compiled):
    response = client.get("/ar/")

    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.rtl.min.css" in html
    assert "bootstrap.min.css" not in html
    assert "<h1>توصيات حقوق الإنسان وما تفعله الدول بها</h1>" in html
    assert table(response, "التوصيات حسب موقف الدولة") == [
        ["مؤيَّدة", "1224", "75,6٪"],
        ["محاط بها علمًا", "396", "24,4٪"],
    ]
