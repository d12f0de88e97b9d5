"""The open-data API (/api/v1/) over the sample imports: exact counts, payloads, errors,
pagination, throttling, query counts, the OpenAPI schema and a schemathesis run."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from recommendations.models import Recommendation, Responsibility, ResponsibilityRole, StatusSource
from recommendations.services import recommendation_set_status, recommendations_import
from stakeholders.models import Organisation, OrganisationKind

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLES = (
    DATA / "upr_info" / "upr_info_sample_5_states.csv",
    DATA / "ohchr" / "Matrix_recommendations_2013.docx",
    # Treaty-body and special-procedure reviews (keyed by symbol) and SDG tags.
    DATA / "uhri" / "uhri_sample.xlsx",
)
API = "/api/v1/"
LOOKUPS = [("recommendations", "code"), ("states", "iso3"), ("reviews", "key"), ("mechanisms", "code")]
LOOKUPS += [("themes", "slug"), ("groups", "slug"), ("sdgs", "number")]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def sample(django_db_setup, django_db_blocker):
    """The sample files imported once per module, in a transaction rolled back at its end
    (each test runs inside it, in a savepoint of its own)."""
    with django_db_blocker.unblock(), transaction.atomic():
        for path in SAMPLES:
            assert not recommendations_import(path=path).errors
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def api_settings(sample, db, settings, monkeypatch):
    # A cache of its own per test (the throttle counts there) and a rate no test reaches.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(uuid.uuid4())}
    }
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "100000/minute")


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def rec(state: str, session: int, paragraph: str) -> Recommendation:
    return Recommendation.objects.get(f_state=state, f_session=session, paragraph=paragraph)


def count(client: APIClient, query: str) -> int:
    response = client.get(f"{API}recommendations/?{query}")
    assert response.status_code == 200, response.json()
    return response.json()["count"]


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=CHN", 388),
        ("state=chn", 388),
        ("state=CHN&state=MEX", 745),  # several values of one filter are ORed
        ('q="death penalty"', 73),
        ("sdg=16", 6),
        ("sdg=16.9", 1),
        ("sdg=16&sdg=5", 8),
        ("theme=upr-info-death-penalty", 73),
        ("theme=death-penalty", 11),
        ("group=roma", 2),
        ("state=CHN&recommending_state=BGR", 3),
        ("state=CHN&position=noted", 129),
        ("mechanism=upr&cycle=2", 1049),
        ("state=CHN&session=17&ordering=paragraph", 252),
        ("requires_legislation=false&state=SVN", 12),
    ],
)
def test_list_filters(client, query, expected):
    assert count(client, query) == expected


def test_unknown_filter_value_is_400_with_the_field(client):
    response = client.get(f"{API}recommendations/?state=XXX&theme=nope")
    assert response.status_code == 400
    assert response.json() == {
        "state": ["Select a valid choice. XXX is not one of the available choices."],
        "theme": ["Select a valid choice. nope is not one of the available choices."],
    }
    assert client.get(f"{API}recommendations/facets/?sdg=99").json() == {
        "sdg": ["Select a valid choice. 99 is not one of the available choices."]
    }


def test_list_row(client):
    response = client.get(f"{API}recommendations/?state=CHN&session=17&ordering=paragraph&page_size=1")
    row = response.json()["results"][0]
    first = rec("CHN", 17, "186.1")
    assert row == {
        "code": str(first.code),
        "url": f"http://testserver{API}recommendations/{first.code}/",
        "text": first.text,
        "state": "CHN",
        "state_name": "China",
        "mechanism": "upr",
        "cycle": 2,
        "session": 17,
        "date": None,
        "paragraph": "186.1",
        "recommending_states": first.f_recommending,
        "position": first.position,
        "status": "not-reported",
        "status_date": None,
        "themes": row["themes"],
        "document_symbols": ["A/HRC/25/5", "A/HRC/25/5/Add.1"],
    }
    assert [theme["slug"] for theme in row["themes"]] == first.f_themes
    assert all(theme["name"] for theme in row["themes"])


def test_facets(client):
    response = client.get(f"{API}recommendations/facets/?state=CHN&session=17")
    facets = {facet["name"]: facet for facet in response.json()["facets"]}
    assert response.status_code == 200
    assert facets["session"]["values"] == [
        {"value": "17", "label": "Session 17", "count": 252, "selected": True},
        {"value": "4", "label": "Session 4", "count": 136, "selected": False},
    ]
    assert facets["position"]["values"][0] == {
        "value": "supported",
        "label": "Supported",
        "count": 204,
        "selected": False,
    }


# --- one recommendation ---------------------------------------------------------------------------


def test_detail_payload(client):
    china = rec("CHN", 17, "186.2")
    response = client.get(f"{API}recommendations/{china.code}/")
    assert response.status_code == 200
    assert response.json() == {
        "code": str(china.code),
        "url": f"http://testserver{API}recommendations/{china.code}/",
        "text": (
            "Ratify as soon as possible ICCPR (Brazil); Speed up the ratification of the ICCPR, which has been "
            "already signed by China (Bulgaria); Speed up the process of the ratification of the ICCPR (Estonia); "
            "Expedite the ratification of the ICCPR (Ghana)"
        ),
        "state": "CHN",
        "state_name": "China",
        "mechanism": "upr",
        "cycle": 2,
        "session": 17,
        "date": None,
        "paragraph": "186.2",
        "recommending_states": ["BGR", "BRA", "EST", "GHA"],
        "position": "noted",
        "status": "not-reported",
        "status_date": None,
        "themes": [
            {"slug": "acceptance-of-international-norms", "name": "Acceptance of international norms"},
            {
                "slug": "civil-and-political-rights-general-measures-of-implementation",
                "name": "Civil & political rights - general measures of implementation",
            },
            {"slug": "upr-info-cp-rights-general", "name": "CP rights - general (UPR Info)"},
            {"slug": "upr-info-international-instruments", "name": "International instruments (UPR Info)"},
        ],
        "document_symbols": ["A/HRC/25/5", "A/HRC/25/5/Add.1"],
        "review": {
            "key": "upr-chn-17",
            "url": f"http://testserver{API}reviews/upr-chn-17/",
            "mechanism": "upr",
            "state": "CHN",
            "state_name": "China",
            "cycle": 2,
            "session": 17,
            "date": None,
            "symbol": "",
            "document_symbols": ["A/HRC/25/5", "A/HRC/25/5/Add.1"],
        },
        "position_source": "A/HRC/25/5/Add.1 - Para. 186.2.",
        "action_category": 5,
        "requires_legislation": False,
        "affected_groups": [{"slug": "general", "name": "General"}],
        "sdg_goals": [],
        "sdg_targets": [],
        "responsible_institutions": [],
        "status_history": [],
        "related": [],
    }


def test_detail_institutions_history_sdgs_and_related(client):
    china = rec("CHN", 17, "186.3")
    ministry = Organisation.objects.create(
        name="Ministry of Justice",
        acronym="MoJ",
        slug="moj",
        kind=OrganisationKind.GOVERNMENT,
        show_name_publicly=False,
    )
    Responsibility.objects.create(recommendation=china, organisation=ministry, role=ResponsibilityRole.LEAD)
    recommendation_set_status(
        recommendation=china,
        status="in-progress",
        effective_date=datetime.date(2016, 3, 1),
        source=StatusSource.MANUAL,
        note="Internal note, never public.",
    )
    data = client.get(f"{API}recommendations/{china.code}/").json()
    assert data["responsible_institutions"] == [
        {"name": "Ministry of Justice", "acronym": "MoJ", "slug": "moj", "role": "lead"}
    ]
    assert data["status_history"] == [{"date": "2016-03-01", "status": "in-progress", "source": "manual"}]
    assert (data["status"], data["status_date"]) == ("in-progress", "2016-03-01")
    related = {item["code"]: item["url"] for item in data["related"]}
    texts = dict(Recommendation.objects.filter(code__in=related).values_list("code", "text"))
    assert [texts[uuid.UUID(code)] for code in related] == [
        "Consider ratifying ICCPR",
        "Ratify the ICCPR",
        "Analyse the possibility of ratifying the ICCPR",
    ]
    assert all(url == f"http://testserver{API}recommendations/{code}/" for code, url in related.items())
    assert count(client, "institution=moj") == 1

    slovenia = Recommendation.objects.get(f_state="SVN", f_mechanism="ccpr")
    data = client.get(f"{API}recommendations/{slovenia.code}/").json()
    assert data["sdg_goals"] == [
        {"number": 10, "name": "Reduced inequalities"},
        {"number": 16, "name": "Peace, justice and strong institutions"},
    ]
    assert data["sdg_targets"] == [{"number": "16.9", "title": "Provide legal identity for all"}]
    assert data["review"]["key"] == "ccpr-svn-ccpr-c-svn-co-4"


def test_absorbed_code_redirects(client):
    china = rec("CHN", 17, "186.2")
    old = uuid.uuid4()
    Recommendation.objects.filter(pk=china.pk).update(former_codes=[old])
    response = client.get(f"{API}recommendations/{old}/")
    assert response.status_code == 301
    assert response["Location"] == f"http://testserver{API}recommendations/{china.code}/"


@pytest.mark.parametrize(
    "path",
    [
        f"recommendations/{uuid.UUID(int=1)}/",
        "recommendations/not-a-uuid/",
        "recommendations/12345678-1234-1234-1234-1234567890ab-x/",
        "states/XXX/",
        "states/chin/",
        "reviews/upr-chn-99/",
        "reviews/upr-xxx-17/",
        "reviews/nope/",
        "mechanisms/nope/",
        "themes/nope/",
        "themes/a%2Fb/",
        "themes/a%0A/",
        "sdgs/%F2%91%89%8E%0A%07%60/",
        "groups/nope/",
        "sdgs/18/",
        "sdgs/999/",
        "nothing-here/",
    ],
)
def test_unknown_is_json_404(client, path):
    response = client.get(f"{API}{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


# --- lookups --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("states/chn/", {"iso3": "CHN", "name": "China", "region": "asia-pacific", "is_observer": False}),
        ("reviews/upr-chn-17/", {"key": "upr-chn-17", "session": 17, "recommendation_count": 252}),
        ("reviews/crc-svn-crc-c-svn-co-5-6/", {"symbol": "CRC/C/SVN/CO/5-6", "recommendation_count": 1}),
        ("reviews/special-procedures-svn-a-hrc-58-52-add-1/", {"mechanism": "special-procedures", "session": None}),
        ("mechanisms/cedaw/", {"code": "cedaw", "acronym": "CEDAW", "kind": "treaty-body"}),
        ("themes/death-penalty/", {"slug": "death-penalty", "name": "Death penalty", "vocabulary": "uhri"}),
        ("groups/roma/", {"slug": "roma", "name": "Roma"}),
        ("sdgs/16/", {"number": 16, "name": "Peace, justice and strong institutions"}),
    ],
)
def test_lookups(client, path, fields):
    response = client.get(f"{API}{path}")
    assert response.status_code == 200
    data = response.json()
    assert {key: data[key] for key in fields} == fields


def test_sdg_goals_carry_their_targets(client):
    data = client.get(f"{API}sdgs/").json()
    assert data["count"] == 17
    assert sum(len(goal["targets"]) for goal in data["results"]) == 169
    assert data["results"][15]["targets"][8] == {"number": "16.9", "title": "Provide legal identity for all"}


def test_every_review_answers_at_its_own_url(client):
    data = client.get(f"{API}reviews/?page_size=200").json()
    assert data["count"] == 15
    for review in data["results"]:
        assert client.get(review["url"]).json()["key"] == review["key"]


# --- pagination, throttling, query counts ------------------------------------------------------------


def test_pagination(client):
    data = client.get(f"{API}recommendations/?state=CHN&page_size=2&page=2").json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert (data["count"], len(data["results"])) == (388, 2)
    assert data["next"] == f"http://testserver{API}recommendations/?page=3&page_size=2&state=CHN"
    assert data["previous"] == f"http://testserver{API}recommendations/?page_size=2&state=CHN"
    assert len(client.get(f"{API}recommendations/").json()["results"]) == 50
    assert len(client.get(f"{API}recommendations/?page_size=100000").json()["results"]) == 200
    assert len(client.get(f"{API}recommendations/?page_size=-3").json()["results"]) == 50
    assert len(client.get(f"{API}recommendations/?page_size=abc").json()["results"]) == 50
    for page in ("abc", "0", "-1", "99999999999999999999"):
        response = client.get(f"{API}recommendations/?page={page}")
        assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})


def test_throttling(client, monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    # A forged X-Forwarded-For does not make a new client (API_NUM_PROXIES is 0).
    statuses = [client.get(f"{API}states/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(f"{API}recommendations/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert set(response.json()) == {"detail"}


def queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url", "most"),
    [
        ("recommendations/?state=CHN&q=ratify", 4),
        ("recommendations/?theme=death-penalty&ordering=date", 4),
        ("states/", 2),
        ("reviews/", 2),
        ("mechanisms/", 2),
        ("themes/", 2),
        ("groups/", 2),
        ("sdgs/", 3),
    ],
)
def test_query_count_does_not_grow_with_the_page(client, django_assert_max_num_queries, url, most):
    client.get(f"{API}{url}")  # fills the vocabulary cache
    small = queries(client, f"{API}{url}&page_size=2" if "?" in url else f"{API}{url}?page_size=2")
    with django_assert_max_num_queries(most):
        large = queries(client, f"{API}{url}&page_size=200" if "?" in url else f"{API}{url}?page_size=200")
    assert small == large


def test_the_search_matches_are_cached_until_the_data_changes(client):
    url = f"{API}recommendations/?q=torture&state=CHN"
    first = client.get(url).json()

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).json() == first
    assert not [query for query in captured.captured_queries if "COUNT(" in query["sql"] or "ts_rank" in query["sql"]]

    recommendation_set_status(
        recommendation=Recommendation.objects.get(code=first["results"][0]["code"]),
        status="in-progress",
        effective_date=datetime.date(2016, 5, 1),
        source=StatusSource.PROGRESS_UPDATE,
    )
    assert client.get(url).json()["results"][0]["status"] == "in-progress"


def test_detail_query_count(client, django_assert_max_num_queries):
    china = rec("CHN", 17, "186.2")
    client.get(f"{API}recommendations/{china.code}/")
    with django_assert_max_num_queries(11):
        client.get(f"{API}recommendations/{china.code}/")


# --- schema and documentation ------------------------------------------------------------------------


def test_schema_is_valid(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_schema_documents_every_filter_and_error(client):
    schema = client.get(f"{API}schema/?format=json").json()
    operation = schema["paths"][f"{API}recommendations/"]["get"]
    params = {param["name"]: param for param in operation["parameters"]}
    facets = ["state", "mechanism", "cycle", "session", "position", "status", "theme", "group", "sdg"]
    facets += ["recommending_state", "region", "action_category", "institution"]
    for name in facets:
        assert params[name]["schema"]["type"] == "array"
        assert params[name]["schema"]["items"]["type"] == "string"
        assert params[name]["explode"] is True
    assert set(params) == {*facets, "q", "requires_legislation", "ordering", "page", "page_size"}
    assert set(operation["responses"]) == {"200", "400", "404", "429"}
    facet_operation = schema["paths"][f"{API}recommendations/facets/"]["get"]
    assert {param["name"] for param in facet_operation["parameters"]} == {
        *facets,
        "q",
        "requires_legislation",
        "ordering",
    }
    detail = schema["paths"][f"{API}recommendations/{{code}}/"]["get"]
    assert set(detail["responses"]) == {"200", "301", "404", "429"}


def test_docs_use_local_files(client):
    for path in ("docs/", "redoc/"):
        page = client.get(f"{API}{path}").content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "https://" not in page
        assert "<style" not in page
        assert "<script>" not in page
    assert client.get(f"{API}docs/?script=").status_code == 200


# --- schemathesis ------------------------------------------------------------------------------------


OPERATIONS = [
    "/api/v1/recommendations/facets/",
    *(f"/api/v1/{name}/" for name, _ in LOOKUPS),
    *(f"/api/v1/{name}/{{{key}}}/" for name, key in LOOKUPS),
]


@pytest.fixture
def api_schema() -> Iterator[schemathesis.BaseSchema]:
    """The schema served by the WSGI app, called in this thread and this test's transaction.

    Like Django's test client, keep the end of a request from closing the connection
    (which, inside the test transaction, would look unusable).
    """
    from upr_portal.wsgi import application

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(f"{API}schema/", application)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


# The account endpoints, checked against the schema in tests/stakeholders/test_api_me.py.
ACCOUNT_OPERATIONS = ["/api/v1/auth/token/", "/api/v1/me/"]


# Responsible institutions (POST; GET and PUT), tested in tests/recommendations/test_responsibilities.py.
RESPONSIBILITY_OPERATIONS = [
    "/api/v1/recommendations/assign/",
    *["/api/v1/recommendations/{code}/responsibilities/"] * 2,
]


def test_schemathesis_covers_every_operation(api_schema):
    paths = sorted(result.ok().path for result in api_schema.get_all_operations())
    assert paths == sorted(OPERATIONS + ACCOUNT_OPERATIONS + RESPONSIBILITY_OPERATIONS)


@pytest.mark.parametrize("path", OPERATIONS)
def test_api_conforms_to_its_schema(api_schema, path):
    """Generated requests, valid and invalid: never a 500, never an undocumented answer."""
    operation = api_schema[path]["GET"]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)

    @given(case=st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes)))
    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    check()


@pytest.mark.parametrize(
    "query",
    ["", "state=MEX", "position=noted&position=supported", "requires_legislation=true", "q=torture&state=CHN",
     "q=torture&ordering=date", "theme=upr-info-womens-rights&ordering=paragraph"],
)  # fmt: skip
def test_the_list_count_and_pages_come_from_the_facet_index_as_the_orm_gives_them(client, query):
    from django.http import QueryDict

    from recommendations.selectors import recommendation_filterset

    filterset = recommendation_filterset(QueryDict(query))
    assert filterset.is_valid()
    ordered = [str(code) for code in filterset.qs.values_list("code", flat=True)]

    first = client.get(f"{API}recommendations/?{query}").json()
    assert first["count"] == len(ordered)
    assert [row["code"] for row in first["results"]] == ordered[:50]
    if len(ordered) > 50:
        second = client.get(f"{API}recommendations/?{query}&page=2").json()
        assert [row["code"] for row in second["results"]] == ordered[50:100]


def test_the_list_query_count_is_the_search_and_the_page(client, django_assert_num_queries):
    client.get(f"{API}recommendations/")  # this data version's facet index, built once
    client.get(f"{API}recommendations/?q=women")  # and the vocabulary of the version, cached

    with django_assert_num_queries(2):  # data version, the page's rows
        assert client.get(f"{API}recommendations/?state=MEX&position=noted").status_code == 200
    with django_assert_num_queries(3):  # … and the search
        assert client.get(f"{API}recommendations/?q=torture&state=MEX").status_code == 200
