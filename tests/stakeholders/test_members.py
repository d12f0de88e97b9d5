"""An organisation's members page: who sees it, role changes, removal, the last-manager guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from stakeholders import services
from stakeholders.models import Invitation, Membership, MembershipRole, OrganisationKind, SecurityEvent
from tests.pages import table, tables
from tests.stakeholders.conftest import without_csrf
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS_URL = "/en/workspace/organisations/ministry-of-justice/members/"
ROLE_URL = "/en/workspace/organisations/ministry-of-justice/members/role/"
DEACTIVATE_URL = "/en/workspace/organisations/ministry-of-justice/members/deactivate/"


def membership(user, organisation) -> Membership:
    return Membership.objects.select_related("user", "organisation").get(user=user, organisation=organisation)


def same_page(response, other, path: str, other_path: str) -> bool:
    """Equal but for their own addresses (in the header's forms) and CSRF tokens."""
    first = without_csrf(response.content).decode().replace(path, "PATH")
    second = without_csrf(other.content).decode().replace(other_path, "PATH")
    return (response.status_code, first) == (other.status_code, second)


# --- The page ------------------------------------------------------------------------------------


def test_the_page_lists_active_members_and_pending_invitations(client, manager, focal_point, justice, health):
    MembershipFactory(user__email="gone@justice.example.org", organisation=justice, is_active=False)
    MembershipFactory(user__email="left@justice.example.org", organisation=justice, user__is_active=False)
    MembershipFactory(user__email="doctor@health.example.org", organisation=health)
    Invitation.objects.create(
        organisation=justice, email="new@example.org", role="viewer", digest="a" * 64, expires_at=_in(days=3)
    )
    Invitation.objects.create(
        organisation=justice, email="old@example.org", role="viewer", digest="b" * 64, expires_at=_in(days=-1)
    )
    client.force_login(manager)

    response = client.get(MEMBERS_URL)

    assert response.status_code == 200
    rows = table(response, "Members")
    assert [row[:3] for row in rows] == [
        ["Grace Eze", "manager@justice.example.org", "Manager"],
        ["Ada Okafor", "focal@justice.example.org", "Contributor"],
    ]
    assert [row[:2] for row in table(response, "Pending invitations")] == [["new@example.org", "Viewer"]]
    content = response.content.decode()
    assert '<label class="visually-hidden" for="role-' in content
    assert "Send invitation" in content


def _in(days: int):
    return timezone.now() + timedelta(days=days)


def test_a_contributor_sees_its_colleagues_without_the_management_forms(client, manager, focal_point):
    client.force_login(focal_point)

    response = client.get(MEMBERS_URL)

    assert response.status_code == 200
    assert table(response, "Members") == [
        ["Grace Eze", "manager@justice.example.org", "Manager"],
        ["Ada Okafor", "focal@justice.example.org", "Contributor"],
    ]
    assert "Pending invitations" not in tables(response.content.decode())
    assert "Change role" not in response.content.decode()
    assert "Send invitation" not in response.content.decode()


def test_the_secretariat_sees_the_members_of_an_open_organisation(client, officer, manager):
    client.force_login(officer)

    response = client.get(MEMBERS_URL)

    assert [row[1] for row in table(response, "Members")] == ["manager@justice.example.org"]


def test_the_secretariat_gets_the_same_404_for_a_cso_as_for_no_organisation(client, officer, cso):
    MembershipFactory(user__email="activist@cso.example.org", organisation=cso, role=MembershipRole.MANAGER)
    client.force_login(officer)

    hidden = client.get("/en/workspace/organisations/rights-watch/members/")
    unknown = client.get("/en/workspace/organisations/no-such-organisation/members/")

    assert hidden.status_code == 404
    assert same_page(
        hidden,
        unknown,
        "/en/workspace/organisations/rights-watch/members/",
        "/en/workspace/organisations/no-such-organisation/members/",
    )
    assert "activist@cso.example.org" not in hidden.content.decode()


@pytest.mark.parametrize("staff", [False, True])
def test_a_superuser_without_membership_gets_a_404(client, manager, cso, staff):
    client.force_login(UserFactory(is_superuser=True, is_staff=staff))

    assert client.get(MEMBERS_URL).status_code == 404
    assert client.get("/en/workspace/organisations/rights-watch/members/").status_code == 404


def test_a_member_of_another_organisation_gets_a_404(client, manager, health):
    client.force_login(MembershipFactory(organisation=health, role=MembershipRole.MANAGER).user)

    assert client.get(MEMBERS_URL).status_code == 404


def test_the_page_needs_signing_in(client, manager):
    response = client.get(MEMBERS_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/en/accounts/login/?next={MEMBERS_URL}"


def test_the_cso_manager_sees_its_own_members(client, cso):
    activist = MembershipFactory(user__email="activist@cso.example.org", organisation=cso, role=MembershipRole.MANAGER)
    client.force_login(activist.user)

    response = client.get("/en/workspace/organisations/rights-watch/members/")

    assert [row[1] for row in table(response, "Members")] == ["activist@cso.example.org"]


def test_the_members_page_makes_the_same_queries_whatever_the_number_of_members(
    client, manager, justice, django_assert_num_queries
):
    client.force_login(manager)
    client.get(MEMBERS_URL)  # warm up: the session's first save, Django's lazy imports

    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(MEMBERS_URL).status_code == 200
        return len(captured)

    few = queries()
    for number in range(5):
        MembershipFactory(organisation=justice, role=MembershipRole.VIEWER)
        Invitation.objects.create(
            organisation=justice, email=f"n{number}@example.org", digest=f"{number}" * 64, expires_at=_in(days=3)
        )
    with django_assert_num_queries(few):
        response = client.get(MEMBERS_URL)
    assert len(table(response, "Members")) == 6
    assert len(table(response, "Pending invitations")) == 5
    # Session, user, memberships (middleware), organisation, members, invitations, and the
    # session's save (an UPDATE between a savepoint and its release, in a test's transaction).
    assert few == 9


# --- Changing roles -------------------------------------------------------------------------------


def test_a_manager_changes_a_members_role(client, manager, focal_point, justice):
    client.force_login(manager)
    focal = membership(focal_point, justice)

    response = client.post(ROLE_URL, {"membership": focal.pk, "role": "validator"})

    assert response["Location"] == MEMBERS_URL
    focal.refresh_from_db()
    assert focal.role == "validator"
    event = SecurityEvent.objects.filter(event="membership_role_change").get()
    assert (event.user, event.organisation, event.details) == (
        focal_point,
        justice,
        {"role": "validator", "previous": "contributor", "by": manager.pk},
    )
    assert "Ada Okafor is now Validator." in client.get(MEMBERS_URL).content.decode()


def test_a_member_of_another_organisation_cannot_be_changed_through_ones_own(client, manager, health):
    other = MembershipFactory(organisation=health, role=MembershipRole.VIEWER)
    client.force_login(manager)

    through_own = client.post(ROLE_URL, {"membership": other.pk, "role": "manager"})
    through_theirs = client.post(
        "/en/workspace/organisations/ministry-of-health/members/role/", {"membership": other.pk, "role": "manager"}
    )
    deactivate = client.post(DEACTIVATE_URL, {"membership": other.pk})

    assert (through_own.status_code, through_theirs.status_code, deactivate.status_code) == (404, 404, 404)
    other.refresh_from_db()
    assert (other.role, other.is_active) == ("viewer", True)


def test_a_contributor_may_not_change_roles(client, manager, focal_point, justice, post_request):
    client.force_login(focal_point)
    own = membership(focal_point, justice)

    assert client.post(ROLE_URL, {"membership": own.pk, "role": "manager"}).status_code == 403
    assert client.post(DEACTIVATE_URL, {"membership": membership(manager, justice).pk}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.member_change_role(membership=own, role="manager", by=focal_point, request=post_request(focal_point))
    assert membership(focal_point, justice).role == "contributor"


def test_a_bad_role_or_id_is_a_bad_request(client, manager, justice):
    client.force_login(manager)
    own = membership(manager, justice)

    assert client.post(ROLE_URL, {"membership": own.pk, "role": "owner"}).status_code == 400
    assert client.post(ROLE_URL, {"membership": "x", "role": "viewer"}).status_code == 400
    assert client.get(ROLE_URL).status_code == 405


def test_the_last_manager_cannot_be_demoted_or_removed(client, manager, focal_point, justice, post_request):
    client.force_login(manager)
    own = membership(manager, justice)

    demoted = client.post(ROLE_URL, {"membership": own.pk, "role": "viewer"}, follow=True)
    removed = client.post(DEACTIVATE_URL, {"membership": own.pk}, follow=True)

    message = "An organisation needs at least one active manager: make another member a manager first."
    assert message in demoted.content.decode()
    assert message in removed.content.decode()
    own.refresh_from_db()
    assert (own.role, own.is_active) == ("manager", True)
    with pytest.raises(ValidationError):
        services.member_deactivate(membership=own, by=manager, request=post_request(manager))


def test_the_secretariat_cannot_demote_a_ministrys_last_manager_either(officer, manager, justice, post_request):
    with pytest.raises(ValidationError):
        services.member_change_role(
            membership=membership(manager, justice), role="viewer", by=officer, request=post_request(officer)
        )


def test_with_another_manager_a_manager_may_step_down(client, manager, focal_point, justice):
    client.force_login(manager)
    client.post(ROLE_URL, {"membership": membership(focal_point, justice).pk, "role": "manager"})

    response = client.post(ROLE_URL, {"membership": membership(manager, justice).pk, "role": "contributor"})

    assert response.status_code == 302
    assert membership(manager, justice).role == "contributor"
    # Acting as a contributor now: the management forms are gone.
    assert "Change role" not in client.get(MEMBERS_URL).content.decode()


def test_an_inactive_manager_does_not_count_as_the_other_manager(manager, focal_point, justice, post_request):
    MembershipFactory(organisation=justice, role=MembershipRole.MANAGER, user__is_active=False)

    with pytest.raises(ValidationError):
        services.member_deactivate(membership=membership(manager, justice), by=manager, request=post_request(manager))


# --- Removing members -----------------------------------------------------------------------------


def test_a_removed_member_stops_acting_at_its_next_request(client, manager, focal_point, justice):
    client.force_login(manager)

    response = client.post(DEACTIVATE_URL, {"membership": membership(focal_point, justice).pk})

    assert response["Location"] == MEMBERS_URL
    focal = membership(focal_point, justice)
    assert focal.is_active is False
    assert [row[1] for row in table(client.get(MEMBERS_URL), "Members")] == ["manager@justice.example.org"]
    event = SecurityEvent.objects.get(event="membership_role_change")
    assert event.details == {"role": "none", "previous": "contributor", "by": manager.pk}
    client.force_login(focal_point)
    assert client.get(MEMBERS_URL).status_code == 404


def test_the_secretariat_manages_an_open_organisations_members(client, officer, manager, focal_point, justice):
    client.force_login(officer)

    client.post(ROLE_URL, {"membership": membership(focal_point, justice).pk, "role": "viewer"})

    assert membership(focal_point, justice).role == "viewer"


# --- The workspace link ---------------------------------------------------------------------------


def test_the_workspace_links_to_the_acting_organisations_members(client, manager):
    client.force_login(manager)

    content = client.get("/en/workspace/").content.decode()

    assert f'<a href="{MEMBERS_URL}">Members of Ministry of Justice</a>' in content


def test_a_user_without_organisation_gets_no_members_link(client):
    client.force_login(UserFactory(is_superuser=True))

    assert "/members/" not in client.get("/en/workspace/").content.decode()


# --- The secretariat's list of organisations -----------------------------------------------------

ORGANISATIONS_URL = "/en/workspace/organisations/"


def test_the_secretariat_lists_organisations_with_what_it_may_do_for_each(client, officer, justice, cso):
    OrganisationFactory(slug="coalition-upr", name="Coalition on the UPR", kind=OrganisationKind.COALITION)
    MembershipFactory(organisation=cso, role=MembershipRole.MANAGER)
    client.force_login(officer)

    response = client.get(ORGANISATIONS_URL)

    assert table(response, "Organisations") == [
        ["Coalition on the UPR", "Coalition", "Invite its first manager of Coalition on the UPR"],
        ["Ministry of Justice", "Government entity", "Members of Ministry of Justice"],
        ["NMRF Secretariat", "NMRF secretariat", "Members of NMRF Secretariat"],
        ["Rights Watch Nigeria", "Civil society organisation", "Not shown"],
    ]
    content = response.content.decode()
    assert 'href="/en/workspace/organisations/coalition-upr/invitations/new/"' in content
    assert 'href="/en/workspace/organisations/rights-watch/' not in content
    assert '<a href="/en/workspace/organisations/">Organisations and their members</a>' in (
        client.get("/en/workspace/").content.decode()
    )


def test_the_organisations_list_makes_one_query_for_any_number(client, officer, django_assert_num_queries):
    client.force_login(officer)
    client.get(ORGANISATIONS_URL)
    for number in range(3):
        OrganisationFactory(slug=f"cso-{number}", kind=OrganisationKind.CSO)
        OrganisationFactory(slug=f"ministry-{number}", kind=OrganisationKind.GOVERNMENT)

    # Session, user, memberships (middleware), organisations, the session's save (3 statements).
    with django_assert_num_queries(7):
        response = client.get(ORGANISATIONS_URL)
    assert len(table(response, "Organisations")) == 7


@pytest.mark.parametrize("who", ["manager", "superuser", "cso_manager"])
def test_only_the_secretariat_lists_organisations(client, manager, cso, who):
    user = {
        "manager": manager,
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "cso_manager": MembershipFactory(organisation=cso, role=MembershipRole.MANAGER).user,
    }[who]
    client.force_login(user)

    assert client.get(ORGANISATIONS_URL).status_code == 404
    assert "Organisations and their members" not in client.get("/en/workspace/").content.decode()


def test_a_manager_who_leaves_goes_back_to_its_workspace(client, manager, focal_point, justice):
    client.force_login(manager)
    client.post(ROLE_URL, {"membership": membership(focal_point, justice).pk, "role": "manager"})

    response = client.post(DEACTIVATE_URL, {"membership": membership(manager, justice).pk})

    assert response["Location"] == "/en/workspace/"
    assert membership(manager, justice).is_active is False
    workspace = client.get("/en/workspace/").content.decode()
    assert "Grace Eze is no longer a member." in workspace
    assert "You are not a member of any organisation." in workspace
