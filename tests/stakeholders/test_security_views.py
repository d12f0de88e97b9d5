"""The security log page (/workspace/security/) and `security_events_for_user`."""

from __future__ import annotations

import re

import pytest

from stakeholders.models import MembershipRole, OrganisationKind
from stakeholders.security import security_event
from stakeholders.selectors import security_events_for_user
from tests.pages import tables
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/en/workspace/security/"


@pytest.fixture
def secretariat(db):
    return OrganisationFactory(slug="nmrf", name="NMRF", kind=OrganisationKind.SECRETARIAT)


@pytest.fixture
def cso(db):
    return OrganisationFactory(slug="rights-watch", name="Rights Watch", kind=OrganisationKind.CSO)


@pytest.fixture
def officer(secretariat):
    return MembershipFactory(user__email="officer@nmrf.example.org", organisation=secretariat, role="manager").user


@pytest.fixture
def cso_manager(cso):
    return MembershipFactory(user__email="boss@rights.example.org", organisation=cso, role="manager").user


@pytest.fixture
def events(justice, cso, focal_point, cso_manager):
    """Events of a ministry's focal point, of a CSO activist (who also sits in the ministry)
    and of a failed sign-in with the activist's address."""
    activist = MembershipFactory(user__email="activist@rights.example.org", organisation=cso).user
    MembershipFactory(user=activist, organisation=justice)
    security_event("login", user=focal_point, organisation=justice)
    security_event("session_expired", user=focal_point, reason="idle")
    security_event("login_failed", username="nobody@example.org")
    security_event("login", user=activist, organisation=cso)
    security_event("login", user=activist, organisation=justice)
    security_event("session_expired", user=activist, reason="idle")
    security_event("login_failed", username="activist@rights.example.org")
    security_event("membership_role_change", user=cso_manager, organisation=cso, role="manager", previous="none")
    return activist


def rows(client, **query) -> list[tuple[str, str, str]]:
    """(event, user, organisation) of each row of the log's table, captioned "N events"."""
    response = client.get(URL, query)
    assert response.status_code == 200
    found = tables(response.content.decode())
    caption = next(caption for caption in found if re.fullmatch(r"\d+ events?", caption))
    return [(row[1], row[2], row[3]) for row in found[caption][1:]]


def test_the_secretariat_sees_no_event_of_a_cso_or_its_members(client, officer, events):
    client.force_login(officer)

    assert rows(client) == [
        ("login", "officer@nmrf.example.org", "NMRF"),  # its own sign-in just now
        ("login_failed", "nobody@example.org", ""),
        ("session_expired", "focal@justice.example.org", ""),
        ("login", "focal@justice.example.org", "Ministry of Justice"),
    ]


def test_a_cso_manager_sees_its_own_members_events_only_within_its_organisation(client, cso_manager, events):
    client.force_login(cso_manager)

    assert rows(client) == [
        ("login", "boss@rights.example.org", "Rights Watch"),
        ("membership_role_change", "boss@rights.example.org", "Rights Watch"),
        ("login_failed", "activist@rights.example.org", ""),
        ("session_expired", "activist@rights.example.org", ""),
        ("login", "activist@rights.example.org", "Rights Watch"),
    ]


def test_the_log_filters_by_event(client, officer, events):
    client.force_login(officer)

    assert rows(client, event="session_expired") == [("session_expired", "focal@justice.example.org", "")]


@pytest.mark.parametrize("role", [MembershipRole.VIEWER, MembershipRole.CONTRIBUTOR, MembershipRole.VALIDATOR])
def test_other_members_of_a_cso_get_a_404(client, cso, role):
    client.force_login(MembershipFactory(organisation=cso, role=role).user)

    assert client.get(URL).status_code == 404


def test_a_secretariat_viewer_a_ministry_manager_staff_and_superusers_get_a_404(client, secretariat, justice):
    for user in (
        MembershipFactory(organisation=secretariat, role=MembershipRole.VIEWER).user,
        MembershipFactory(organisation=justice, role=MembershipRole.MANAGER).user,
        UserFactory(is_staff=True),
        UserFactory(is_staff=True, is_superuser=True),
    ):
        client.force_login(user)

        assert client.get(URL).status_code == 404
        assert list(security_events_for_user(user)) == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(URL)["Location"] == f"/en/accounts/login/?next={URL}"


def test_the_log_pages_by_50(client, officer):
    for n in range(60):
        security_event("login_failed", username=f"guess{n}@example.org")
    client.force_login(officer)

    response = client.get(URL, {"event": "login_failed", "page": 2})

    content = response.content.decode()
    assert "Page 2 of 2" in content
    assert 'href="?event=login_failed&amp;page=1"' in content
    assert "guess0@example.org" in content and "guess10@example.org" not in content


def test_the_page_takes_a_constant_number_of_queries(client, officer, events, django_assert_num_queries):
    client.force_login(officer)
    client.get(URL)
    for n in range(20):
        security_event("login_failed", username=f"guess{n}@example.org")

    # Session, user, memberships (middleware); events' types; count; the page's rows; the
    # session's new expiry (savepoint, update, release).
    with django_assert_num_queries(9):
        assert client.get(URL).status_code == 200


def test_the_workspace_links_to_the_log_for_its_readers_only(client, officer, cso, justice):
    client.force_login(officer)
    for_officer = client.get("/en/workspace/").content.decode()
    client.force_login(MembershipFactory(organisation=justice, role=MembershipRole.MANAGER).user)
    for_ministry = client.get("/en/workspace/").content.decode()

    assert f'<a href="{URL}">Security log</a>' in for_officer
    assert URL not in for_ministry
