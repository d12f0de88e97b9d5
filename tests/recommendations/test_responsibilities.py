"""Responsible institutions: the secretariat's services, pages and API, and the focal point's list."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict

from recommendations.models import ImplementationStatus, Recommendation, Responsibility, StatusSource
from recommendations.selectors import facet_counts, recommendation_filterset
from recommendations.services import (
    recommendation_set_status,
    recommendations_import,
    responsibilities_bulk_assign,
    responsibility_remove,
    responsibility_set,
)
from recommendations.vocabulary import data_version
from stakeholders.models import MembershipRole, OrganisationKind
from stakeholders.permissions import acting_membership
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "data"

pytestmark = pytest.mark.django_db


# --- Personas and data -------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    recommendations_import(path=DATA / "upr_info" / "upr_info_sample_5_states.csv")


@pytest.fixture
def rec(demo):
    return Recommendation.objects.filter(f_state="CHN").order_by("id").first()


@pytest.fixture
def interior(db):
    return OrganisationFactory(
        slug="ministry-of-interior", name="Ministry of Interior", kind=OrganisationKind.GOVERNMENT
    )


def member(kind: str, role: str = MembershipRole.CONTRIBUTOR, slug: str | None = None, **user):
    organisation = OrganisationFactory(slug=slug or kind, name=kind.title(), kind=kind)
    return MembershipFactory(organisation=organisation, role=role, **({f"user__{k}": v for k, v in user.items()})).user


@pytest.fixture
def secretariat(db):
    return member(OrganisationKind.SECRETARIAT, email="secretariat@example.org")


@pytest.fixture
def focal_point(justice):
    return MembershipFactory(
        organisation=justice, role=MembershipRole.CONTRIBUTOR, user__email="focal@justice.example.org"
    ).user


@pytest.fixture
def superuser(db):
    """Django superuser and staff, but no member of the secretariat."""
    return UserFactory(email="root@example.org", is_superuser=True, is_staff=True)


def rows(recommendation) -> dict[str, str]:
    return dict(Responsibility.objects.filter(recommendation=recommendation).values_list("organisation__slug", "role"))


# --- responsibility_set / responsibility_remove ------------------------------------------------


def test_set_assigns_one_lead_and_supporting_institutions_and_records_who(rec, secretariat, justice, health, interior):
    result = responsibility_set(recommendation=rec, lead=justice, supporting=[health, interior], by=secretariat)

    assert sorted((row.organisation.slug, row.role) for row in result) == [
        ("ministry-of-health", "supporting"),
        ("ministry-of-interior", "supporting"),
        ("ministry-of-justice", "lead"),
    ]
    assert set(Responsibility.objects.values_list("assigned_by__email", flat=True)) == {"secretariat@example.org"}
    assert all(row.assigned_at is not None for row in result)
    rec.refresh_from_db()
    assert rec.f_institutions == ["ministry-of-health", "ministry-of-interior", "ministry-of-justice"]


def test_set_replaces_the_assignment_and_keeps_unchanged_rows(rec, secretariat, justice, health, interior):
    responsibility_set(recommendation=rec, lead=justice, supporting=[health], by=secretariat)
    kept = Responsibility.objects.get(recommendation=rec, organisation=health)

    responsibility_set(recommendation=rec, lead=interior, supporting=[health, justice], by=secretariat)

    assert rows(rec) == {
        "ministry-of-interior": "lead",
        "ministry-of-health": "supporting",
        "ministry-of-justice": "supporting",
    }
    assert Responsibility.objects.get(pk=kept.pk).assigned_at == kept.assigned_at

    responsibility_set(recommendation=rec, lead=None, supporting=[], by=secretariat)
    assert rows(rec) == {}
    rec.refresh_from_db()
    assert rec.f_institutions == []


def test_the_lead_cannot_also_support(rec, secretariat, justice):
    with pytest.raises(ValidationError) as raised:
        responsibility_set(recommendation=rec, lead=justice, supporting=[justice], by=secretariat)

    assert raised.value.messages == ["Ministry of Justice cannot be both the lead and a supporting institution."]
    assert rows(rec) == {}


@pytest.mark.parametrize("kind", [OrganisationKind.PARLIAMENT, OrganisationKind.CSO, OrganisationKind.SECRETARIAT])
def test_only_government_entities_can_be_responsible(rec, secretariat, justice, kind):
    other = OrganisationFactory(slug=f"other-{kind}", name="Other body", kind=kind)

    for lead, supporting in ((other, []), (justice, [other])):
        with pytest.raises(ValidationError) as raised:
            responsibility_set(recommendation=rec, lead=lead, supporting=supporting, by=secretariat)
        assert raised.value.messages == [
            "Other body is not a government entity: only those can be responsible for recommendations."
        ]
    with pytest.raises(ValidationError):
        responsibilities_bulk_assign(
            recommendations=Recommendation.objects.all(), organisation=other, role="supporting", by=secretariat
        )
    assert Responsibility.objects.count() == 0


def test_only_the_secretariat_assigns(rec, focal_point, superuser, justice):
    viewer = member(OrganisationKind.SECRETARIAT, role=MembershipRole.VIEWER, slug="nmrf-viewers")
    cso = member(OrganisationKind.CSO)
    for user in (focal_point, superuser, viewer, cso):
        with pytest.raises(PermissionDenied):
            responsibility_set(recommendation=rec, lead=justice, supporting=[], by=user)
        with pytest.raises(PermissionDenied):
            responsibilities_bulk_assign(
                recommendations=Recommendation.objects.all(), organisation=justice, role="lead", by=user
            )
        with pytest.raises(PermissionDenied):
            responsibility_remove(recommendation=rec, organisation=justice, by=user)
    assert Responsibility.objects.count() == 0


def test_remove_takes_one_institution_off(rec, secretariat, justice, health):
    responsibility_set(recommendation=rec, lead=justice, supporting=[health], by=secretariat)

    assert responsibility_remove(recommendation=rec, organisation=justice, by=secretariat) is True
    assert responsibility_remove(recommendation=rec, organisation=justice, by=secretariat) is False
    assert rows(rec) == {"ministry-of-health": "supporting"}


def test_the_database_allows_one_lead_per_recommendation(rec, justice, health):
    Responsibility.objects.create(recommendation=rec, organisation=justice, role="lead")
    with pytest.raises(IntegrityError), transaction.atomic():
        Responsibility.objects.create(recommendation=rec, organisation=health, role="lead")


# --- responsibilities_bulk_assign --------------------------------------------------------------


def test_bulk_assigns_exactly_the_filtered_set_in_a_constant_number_of_queries(
    demo, secretariat, justice, health, django_assert_num_queries
):
    small = recommendation_filterset(QueryDict("state=CHN&q=torture"))
    large = recommendation_filterset(QueryDict("state=MEX"))
    assert small.is_valid() and large.is_valid()
    small_ids, large_ids = set(small.qs.values_list("pk", flat=True)), set(large.qs.values_list("pk", flat=True))
    assert (len(small_ids), len(large_ids)) == (12, 357)
    assert acting_membership(secretariat) is not None  # read once per request in the pages

    # lock, ids, counts, promote, insert, reindex and version; savepoint and release
    with django_assert_num_queries(9) as small_queries:
        outcome = responsibilities_bulk_assign(
            recommendations=small.qs, organisation=justice, role="lead", by=secretariat
        )
    with django_assert_num_queries(8):  # no promotion for a supporting role
        responsibilities_bulk_assign(recommendations=large.qs, organisation=health, role="supporting", by=secretariat)

    assert (outcome.matched, outcome.assigned, outcome.unchanged, outcome.skipped) == (12, 12, 0, 0)
    assert (
        set(Responsibility.objects.filter(organisation=justice).values_list("recommendation_id", flat=True))
        == small_ids
    )
    assert (
        set(Responsibility.objects.filter(organisation=health).values_list("recommendation_id", flat=True)) == large_ids
    )
    assert set(Responsibility.objects.values_list("assigned_by__email", flat=True)) == {"secretariat@example.org"}
    assert Recommendation.objects.filter(f_institutions__contains=["ministry-of-health"]).count() == 357
    assert sum("INSERT INTO recommendations_responsibility" in q["sql"] for q in small_queries.captured_queries) == 1


def test_bulk_lead_leaves_other_leads_unless_asked_to_replace_them(demo, secretariat, justice, health, interior):
    recs = list(Recommendation.objects.filter(f_state="CHN").order_by("id")[:4])
    responsibility_set(recommendation=recs[0], lead=health, supporting=[], by=secretariat)
    responsibility_set(recommendation=recs[1], lead=None, supporting=[justice], by=secretariat)
    responsibility_set(recommendation=recs[2], lead=justice, supporting=[interior], by=secretariat)
    chosen = Recommendation.objects.filter(pk__in=[r.pk for r in recs])

    outcome = responsibilities_bulk_assign(recommendations=chosen, organisation=justice, role="lead", by=secretariat)

    assert (outcome.matched, outcome.assigned, outcome.unchanged, outcome.skipped, outcome.demoted) == (4, 2, 1, 1, 0)
    assert [rows(r) for r in recs] == [
        {"ministry-of-health": "lead"},
        {"ministry-of-justice": "lead"},
        {"ministry-of-justice": "lead", "ministry-of-interior": "supporting"},
        {"ministry-of-justice": "lead"},
    ]

    outcome = responsibilities_bulk_assign(
        recommendations=chosen, organisation=justice, role="lead", replace_lead=True, by=secretariat
    )
    assert (outcome.assigned, outcome.unchanged, outcome.skipped, outcome.demoted) == (1, 3, 0, 1)
    assert rows(recs[0]) == {"ministry-of-health": "supporting", "ministry-of-justice": "lead"}


def test_bulk_supporting_keeps_an_institution_that_leads(demo, secretariat, justice):
    recs = list(Recommendation.objects.filter(f_state="CHN").order_by("id")[:2])
    responsibility_set(recommendation=recs[0], lead=justice, supporting=[], by=secretariat)

    outcome = responsibilities_bulk_assign(
        recommendations=Recommendation.objects.filter(pk__in=[r.pk for r in recs]),
        organisation=justice,
        role="supporting",
        by=secretariat,
    )

    assert (outcome.matched, outcome.assigned, outcome.unchanged) == (2, 1, 1)
    assert [rows(r) for r in recs] == [{"ministry-of-justice": "lead"}, {"ministry-of-justice": "supporting"}]


def test_the_institution_facet_and_the_pages_show_an_assignment(client, rec, secretariat, justice):
    assert client.get(f"/en/recommendations/{rec.code}/").status_code == 200  # cached before the change
    filterset = recommendation_filterset(QueryDict("state=CHN"))
    assert filterset.is_valid()
    assert [facet.values for facet in facet_counts(filterset) if facet.name == "institution"] == [[]]

    responsibility_set(recommendation=rec, lead=justice, supporting=[], by=secretariat)

    filterset = recommendation_filterset(QueryDict("state=CHN"))
    assert filterset.is_valid()
    (institution,) = [facet for facet in facet_counts(filterset) if facet.name == "institution"]
    assert [(v.value, v.label, v.count) for v in institution.values] == [
        ("ministry-of-justice", "Ministry of Justice", 1)
    ]
    listed = client.get("/en/recommendations/", {"institution": "ministry-of-justice"})
    assert "1 recommendation<" in listed.content.decode()
    assert "Ministry of Justice (Lead institution)" in client.get(f"/en/recommendations/{rec.code}/").content.decode()


# --- Pages: detail --------------------------------------------------------------------------------

FORM_MARK = 'id="responsibilities-heading"'
BULK_MARK = 'id="bulk-assign"'


def test_only_the_secretariat_sees_the_detail_form(client, rec, secretariat, focal_point, superuser, justice):
    url = f"/en/recommendations/{rec.code}/"
    client.force_login(secretariat)
    page = client.get(url).content.decode()
    assert FORM_MARK in page
    assert '<option value="ministry-of-justice">Ministry of Justice</option>' in page
    for user in (focal_point, superuser, None):
        client.logout()
        if user:
            client.force_login(user)
        page = client.get(url).content.decode()
        assert FORM_MARK not in page
        assert "/responsibilities/" not in page


def test_the_cached_detail_content_never_holds_the_form(client, rec, secretariat):
    client.force_login(secretariat)
    assert FORM_MARK in client.get(f"/en/recommendations/{rec.code}/").content.decode()

    content = cache.get(f"recommendation-page:{data_version()}:en:{rec.code}")["content"]
    assert "Responsible institutions" in content
    assert FORM_MARK not in content
    assert "csrfmiddlewaretoken" not in content


def test_the_secretariat_saves_the_institutions(client, rec, secretariat, justice, health):
    client.force_login(secretariat)
    response = client.post(
        f"/en/recommendations/{rec.code}/responsibilities/",
        {"lead": "ministry-of-justice", "supporting": ["ministry-of-health"]},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/en/recommendations/{rec.code}/"
    assert rows(rec) == {"ministry-of-justice": "lead", "ministry-of-health": "supporting"}
    page = client.get(response["Location"]).content.decode()
    assert "The responsible institutions are saved." in page
    assert "Ministry of Justice (Lead institution)" in page
    assert '<option value="ministry-of-justice" selected>' in page


def test_the_edit_page_shows_the_current_institutions(client, rec, secretariat, justice, health):
    responsibility_set(recommendation=rec, lead=justice, supporting=[health], by=secretariat)
    client.force_login(secretariat)

    response = client.get(f"/en/recommendations/{rec.code}/responsibilities/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<option value="ministry-of-justice" selected>Ministry of Justice</option>' in page
    assert '<option value="ministry-of-health" selected>Ministry of Health</option>' in page


def test_an_invalid_choice_is_shown_with_what_was_typed(client, rec, secretariat, justice, health):
    client.force_login(secretariat)
    response = client.post(
        f"/en/recommendations/{rec.code}/responsibilities/",
        {"lead": "ministry-of-justice", "supporting": ["ministry-of-justice", "ministry-of-health"]},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ministry of Justice is already the lead institution: it cannot also support." in page
    assert '<option value="ministry-of-health" selected>' in page
    assert rows(rec) == {}


def test_others_may_not_assign(client, rec, focal_point, superuser, justice):
    url = f"/en/recommendations/{rec.code}/responsibilities/"
    for user in (None, focal_point, superuser):
        client.logout()
        if user:
            client.force_login(user)
        assert client.post(url, {"lead": "ministry-of-justice"}).status_code == 403
        assert client.get(url).status_code == 403
        assert client.post("/en/recommendations/assign/", {"organisation": "ministry-of-justice"}).status_code == 403
    assert rows(rec) == {}


def test_an_unknown_recommendation_is_a_404(client, secretariat):
    client.force_login(secretariat)
    assert client.get("/en/recommendations/00000000-0000-0000-0000-000000000000/responsibilities/").status_code == 404


# --- Pages: bulk assignment from the list ---------------------------------------------------------


def test_the_list_offers_the_bulk_form_to_the_secretariat_only(client, demo, secretariat, focal_point, justice):
    client.force_login(secretariat)
    page = client.get("/en/recommendations/", {"state": "CHN", "q": "torture"}).content.decode()
    assert BULK_MARK in page
    assert "Assign the 12 recommendations of this result to an institution" in page
    assert 'name="query" value="state=CHN&amp;q=torture"' in page

    client.force_login(focal_point)
    page = client.get("/en/recommendations/", {"state": "CHN"}).content.decode()
    assert BULK_MARK not in page
    client.logout()
    assert BULK_MARK not in client.get("/en/recommendations/").content.decode()


def test_bulk_assignment_is_reviewed_then_confirmed(client, demo, secretariat, justice):
    client.force_login(secretariat)
    form = {"query": "state=CHN&q=torture&page=2", "organisation": "ministry-of-justice", "role": "lead"}

    review = client.post("/en/recommendations/assign/", form)

    assert review.status_code == 200
    page = review.content.decode()
    assert "Assign the 12 recommendations of this result to Ministry of Justice as the lead institution?" in page
    assert '<input type="hidden" name="expected" value="12">' in page
    assert Responsibility.objects.count() == 0

    done = client.post("/en/recommendations/assign/", form | {"expected": "12", "confirm": "1"})

    assert done.status_code == 302
    assert done["Location"] == "/en/recommendations/?state=CHN&q=torture"
    expected = set(recommendation_filterset(QueryDict("state=CHN&q=torture")).qs.values_list("pk", flat=True))
    assigned = set(
        Responsibility.objects.filter(organisation=justice, role="lead").values_list("recommendation_id", flat=True)
    )
    assert len(assigned) == 12
    assert assigned == expected
    assert "12 recommendations assigned to Ministry of Justice." in client.get(done["Location"]).content.decode()


def test_a_result_that_changed_since_the_review_is_not_applied(client, demo, secretariat, justice):
    client.force_login(secretariat)
    form = {"query": "state=CHN&q=torture", "organisation": "ministry-of-justice", "role": "supporting"}

    response = client.post("/en/recommendations/assign/", form | {"expected": "11", "confirm": "1"})

    assert response.status_code == 200
    assert "The result has changed since you reviewed it: it now has 12 recommendations." in response.content.decode()
    assert Responsibility.objects.count() == 0


def test_bulk_errors_are_400_and_keep_the_form(client, demo, secretariat, justice):
    client.force_login(secretariat)
    missing = client.post("/en/recommendations/assign/", {"query": "state=CHN", "role": "lead"})
    assert missing.status_code == 400
    assert 'name="query" value="state=CHN"' in missing.content.decode()

    bad = client.post(
        "/en/recommendations/assign/", {"query": "state=XXX", "organisation": "ministry-of-justice", "role": "lead"}
    )
    assert bad.status_code == 400
    assert "XXX is not one of the available choices" in bad.content.decode()
    assert Responsibility.objects.count() == 0


# --- Pages: the focal point's assigned recommendations --------------------------------------------


def test_the_focal_point_sees_what_is_assigned_to_its_institution(
    client, demo, secretariat, focal_point, justice, health
):
    recs = list(Recommendation.objects.filter(f_state="CHN").order_by("id")[:3])
    responsibility_set(recommendation=recs[0], lead=justice, supporting=[], by=secretariat)
    responsibility_set(recommendation=recs[1], lead=health, supporting=[justice], by=secretariat)
    responsibility_set(recommendation=recs[2], lead=health, supporting=[], by=secretariat)
    recommendation_set_status(
        recommendation=recs[1],
        status=ImplementationStatus.IN_PROGRESS,
        effective_date=recs[1].f_date or "2020-01-01",
        source=StatusSource.MANUAL,
    )
    client.force_login(focal_point)

    page = client.get("/en/workspace/assigned/").content.decode()
    assert "Recommendations assigned to Ministry of Justice" in page
    assert "2 recommendations" in page
    assert str(recs[0].code) in page and str(recs[1].code) in page and str(recs[2].code) not in page

    lead_only = client.get("/en/workspace/assigned/", {"role": "lead"}).content.decode()
    assert str(recs[0].code) in lead_only and str(recs[1].code) not in lead_only
    in_progress = client.get("/en/workspace/assigned/", {"status": "in-progress"}).content.decode()
    assert str(recs[1].code) in in_progress and str(recs[0].code) not in in_progress
    assert "/en/workspace/assigned/" in client.get("/en/workspace/").content.decode()


def test_the_assigned_page_takes_a_constant_number_of_queries(
    client, demo, secretariat, focal_point, justice, django_assert_num_queries
):
    client.force_login(focal_point)
    client.get("/en/workspace/assigned/")
    responsibilities_bulk_assign(
        recommendations=Recommendation.objects.filter(f_state="MEX"), organisation=justice, role="lead", by=secretariat
    )
    # session, user, memberships; count, page; the session's save (savepoint, update, release)
    with django_assert_num_queries(8):
        response = client.get("/en/workspace/assigned/", {"page": "2"})
    assert "Page 2 of 18" in response.content.decode()


def test_others_get_an_explanation_on_the_assigned_page(client, demo):
    cso = member(OrganisationKind.CSO)
    client.force_login(cso)
    response = client.get("/en/workspace/assigned/")
    assert response.status_code == 200
    assert "You are acting for Cso, which is not a government entity" in response.content.decode()
    assert "/en/workspace/assigned/" not in client.get("/en/workspace/").content.decode()

    client.logout()
    assert client.get("/en/workspace/assigned/").status_code == 302


# --- API -------------------------------------------------------------------------------------------


def api_url(rec) -> str:
    return f"/api/v1/recommendations/{rec.code}/responsibilities/"


def test_the_api_shows_the_institutions_to_anyone(client, rec, secretariat, justice, health):
    responsibility_set(recommendation=rec, lead=justice, supporting=[health], by=secretariat)

    response = client.get(api_url(rec))

    assert response.status_code == 200
    assert [(row["slug"], row["name"], row["role"]) for row in response.json()] == [
        ("ministry-of-justice", "Ministry of Justice", "lead"),
        ("ministry-of-health", "Ministry of Health", "supporting"),
    ]
    assert "assigned_by" not in response.json()[0]


def test_the_secretariat_sets_the_institutions_through_the_api(client, rec, secretariat, justice, health):
    client.force_login(secretariat)

    response = client.put(
        api_url(rec),
        {"lead": "ministry-of-justice", "supporting": ["ministry-of-health"]},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert [row["slug"] for row in response.json()] == ["ministry-of-justice", "ministry-of-health"]
    assert rows(rec) == {"ministry-of-justice": "lead", "ministry-of-health": "supporting"}


def test_api_errors_name_the_field(client, rec, secretariat, justice):
    OrganisationFactory(slug="parliament", name="Parliament", kind=OrganisationKind.PARLIAMENT)
    client.force_login(secretariat)

    not_government = client.put(api_url(rec), {"lead": "parliament"}, content_type="application/json")
    both = client.put(
        api_url(rec),
        {"lead": "ministry-of-justice", "supporting": ["ministry-of-justice"]},
        content_type="application/json",
    )
    unknown = client.put(
        "/api/v1/recommendations/00000000-0000-0000-0000-000000000000/responsibilities/",
        {"lead": "ministry-of-justice"},
        content_type="application/json",
    )

    assert not_government.status_code == 400
    assert not_government.json() == {
        "lead": ["parliament is not a government entity: only those can be responsible for recommendations."]
    }
    assert both.status_code == 400
    assert both.json() == {"supporting": ["The lead institution cannot also be supporting."]}
    assert unknown.status_code == 404
    assert rows(rec) == {}


def test_the_api_refuses_writes_by_others(client, rec, focal_point, superuser, justice):
    body = {"lead": "ministry-of-justice"}
    # Anonymous: 401 or 403 depending on the first authentication class (a token scheme answers 401).
    assert client.put(api_url(rec), body, content_type="application/json").status_code in (401, 403)
    for user in (focal_point, superuser):
        client.force_login(user)
        assert client.put(api_url(rec), body, content_type="application/json").status_code == 403
        response = client.post(
            "/api/v1/recommendations/assign/?state=CHN",
            {"organisation": "ministry-of-justice", "role": "lead", "expected_count": 1},
            content_type="application/json",
        )
        assert response.status_code == 403
    assert Responsibility.objects.count() == 0


def test_the_api_assigns_a_filtered_result_when_the_count_matches(client, demo, secretariat, justice):
    client.force_login(secretariat)
    url = "/api/v1/recommendations/assign/?state=CHN&q=torture"
    body = {"organisation": "ministry-of-justice", "role": "supporting"}

    wrong = client.post(url, body | {"expected_count": 11}, content_type="application/json")
    assert wrong.status_code == 400
    assert wrong.json() == {"expected_count": ["The filters match 12 recommendations, not 11."]}
    assert Responsibility.objects.count() == 0

    done = client.post(url, body | {"expected_count": 12}, content_type="application/json")
    assert done.status_code == 200
    assert done.json() == {"matched": 12, "assigned": 12, "unchanged": 0, "skipped": 0, "demoted": 0}
    assert Responsibility.objects.filter(organisation=justice, role="supporting").count() == 12

    bad_filter = client.post(
        "/api/v1/recommendations/assign/?state=XXX", body | {"expected_count": 0}, content_type="application/json"
    )
    assert bad_filter.status_code == 400
    assert list(bad_filter.json()) == ["state"]
