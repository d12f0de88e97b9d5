"""Memberships, roles, the acting organisation and the organisation switcher."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from stakeholders import accounts
from stakeholders.backends import EmailBackend
from stakeholders.models import Membership, MembershipRole
from stakeholders.services import membership_deactivate, membership_set_role, user_create
from tests.pages import table
from tests.stakeholders.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

WORKSPACE_URL = "/en/workspace/"
SWITCH_URL = "/en/workspace/organisation/"


def acting_for(client) -> list[list[str]]:
    """The workspace rows (organisation, kind, role, acting) of the signed-in user."""
    return table(client.get(WORKSPACE_URL), "Your organisations")


# --- Roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "capabilities"),
    [
        (MembershipRole.VIEWER, (False, False, False)),
        (MembershipRole.CONTRIBUTOR, (True, False, False)),
        (MembershipRole.VALIDATOR, (True, True, False)),
        (MembershipRole.MANAGER, (True, True, True)),
    ],
)
def test_each_role_includes_the_capabilities_before_it(role, capabilities):
    membership = Membership(role=role)

    assert (membership.can_contribute, membership.can_validate, membership.can_manage) == capabilities


def test_an_inactive_membership_can_do_nothing():
    membership = Membership(role=MembershipRole.MANAGER, is_active=False)

    assert (membership.can_contribute, membership.can_validate, membership.can_manage) == (False, False, False)


def test_a_user_has_one_membership_per_organisation(justice):
    membership = MembershipFactory(organisation=justice)

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=membership.user, organisation=justice, role=MembershipRole.MANAGER)


def test_active_memberships_leave_out_inactive_ones_and_inactive_users(justice, health, coalition):
    active = MembershipFactory(organisation=justice)
    MembershipFactory(organisation=health, is_active=False)
    MembershipFactory(organisation=coalition, user__is_active=False)

    assert list(Membership.objects.active()) == [active]


def test_setting_a_role_creates_changes_and_logs(focal_point, justice, health, caplog):
    caplog.set_level(logging.INFO, logger="upr_portal.security")
    secretariat_officer = UserFactory()

    membership_set_role(user=focal_point, organisation=justice, role=MembershipRole.VALIDATOR, by=secretariat_officer)
    membership_set_role(user=focal_point, organisation=justice, role=MembershipRole.VALIDATOR)  # unchanged
    membership_set_role(user=focal_point, organisation=health, role="viewer")
    membership_deactivate(membership=Membership.objects.get(user=focal_point, organisation=health))

    assert sorted(
        Membership.objects.filter(user=focal_point).values_list("organisation__slug", "role", "is_active")
    ) == [
        ("ministry-of-health", "viewer", False),
        ("ministry-of-justice", "validator", True),
    ]
    events = [record.getMessage().split(" at=")[0] for record in caplog.records if record.name == "upr_portal.security"]
    user = focal_point.pk
    assert events == [
        f"membership_role_change user={user} organisation=ministry-of-justice role=validator previous=contributor"
        f" by={secretariat_officer.pk}",
        f"membership_role_change user={user} organisation=ministry-of-health role=viewer previous=none",
        f"membership_role_change user={user} organisation=ministry-of-health role=none previous=viewer",
    ]


# --- Users and the e-mail backend -----------------------------------------------------------------


def test_users_are_created_with_their_email_as_username():
    user = user_create(email=" Ngozi.Eze@Justice.example.org ", first_name="Ngozi", last_name="Eze", password=PASSWORD)

    assert (user.username, user.email, user.get_full_name()) == (
        "ngozi.eze@justice.example.org",
        "ngozi.eze@justice.example.org",
        "Ngozi Eze",
    )
    assert user.check_password(PASSWORD)


def test_an_email_address_belongs_to_one_user_only(focal_point):
    with pytest.raises(ValidationError) as error:
        user_create(email="Focal@JUSTICE.example.org")

    assert error.value.message_dict == {"email": ["A user with this e-mail address already exists."]}
    assert get_user_model().objects.count() == 1


def test_a_user_created_without_a_password_cannot_sign_in_until_it_sets_one():
    user = user_create(email="new@example.org")

    assert not user.has_usable_password()


def test_the_backend_matches_the_email_whatever_its_case(focal_point):
    request = RequestFactory().post("/")
    backend = EmailBackend()

    assert backend.authenticate(request, username="Focal@Justice.Example.org", password=PASSWORD) == focal_point
    assert backend.authenticate(request, username="focal@justice.example.org", password="wrong") is None
    assert backend.authenticate(request, username="nobody@justice.example.org", password=PASSWORD) is None
    assert backend.authenticate(request, username="", password=PASSWORD) is None


def test_the_backend_refuses_an_address_that_two_users_share(focal_point):
    UserFactory(username="legacy", email="FOCAL@justice.example.org")  # made outside the services

    assert EmailBackend().authenticate(None, username=focal_point.email, password=PASSWORD) is None


# --- The acting organisation and the switcher ---------------------------------------------------


@pytest.fixture
def two_hats(focal_point, health):
    """The Justice focal point is also a viewer at the Ministry of Health."""
    MembershipFactory(user=focal_point, organisation=health, role=MembershipRole.VIEWER)
    return focal_point


def test_signing_in_acts_for_the_first_organisation(client, two_hats):
    client.force_login(two_hats)

    assert acting_for(client) == [
        ["Ministry of Health", "Government entity", "Viewer", "yes"],
        ["Ministry of Justice", "Government entity", "Contributor", "no"],
    ]


def test_the_switcher_lists_only_the_users_own_organisations(client, two_hats, coalition):
    client.force_login(two_hats)
    content = client.get("/en/states/").content.decode()

    assert '<option value="ministry-of-health" selected>Ministry of Health</option>' in content
    assert '<option value="ministry-of-justice">Ministry of Justice</option>' in content
    assert "cso-coalition" not in content


def test_the_switcher_changes_the_acting_organisation(client, two_hats):
    client.force_login(two_hats)
    response = client.post(SWITCH_URL, {"organisation": "ministry-of-justice", "next": "/en/states/"})

    assert response.status_code == 302
    assert response["Location"] == "/en/states/"
    assert (
        client.session[accounts.ACTIVE_ORGANISATION]
        == Membership.objects.get(user=two_hats, organisation__slug="ministry-of-justice").organisation_id
    )
    assert [row[3] for row in acting_for(client)] == ["no", "yes"]


def test_the_switcher_goes_to_the_workspace_rather_than_another_site(client, two_hats):
    client.force_login(two_hats)
    response = client.post(SWITCH_URL, {"organisation": "ministry-of-justice", "next": "https://evil.example/"})

    assert response["Location"] == WORKSPACE_URL


@pytest.mark.parametrize("slug", ["cso-coalition", "no-such-organisation", ""])
def test_the_switcher_refuses_an_organisation_the_user_is_not_a_member_of(client, focal_point, coalition, slug):
    client.force_login(focal_point)
    before = client.session[accounts.ACTIVE_ORGANISATION]

    response = client.post(SWITCH_URL, {"organisation": slug})

    assert response.status_code == 404
    assert client.session[accounts.ACTIVE_ORGANISATION] == before


def test_the_switcher_refuses_an_inactive_membership(client, two_hats):
    Membership.objects.filter(user=two_hats, organisation__slug="ministry-of-justice").update(is_active=False)
    client.force_login(two_hats)

    assert client.post(SWITCH_URL, {"organisation": "ministry-of-justice"}).status_code == 404


def test_the_switcher_takes_a_post_from_a_signed_in_user(client, focal_point):
    assert client.get(SWITCH_URL).status_code == 405
    anonymous = client.post(SWITCH_URL, {"organisation": "ministry-of-justice"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/en/accounts/login/")


def test_a_deactivated_membership_stops_acting_on_the_next_request(client, focal_point):
    client.force_login(focal_point)
    assert "Ministry of Justice" in client.get("/en/states/").content.decode()

    membership_deactivate(membership=focal_point.memberships.get())
    response = client.get(WORKSPACE_URL)

    assert response.wsgi_request.membership is None
    assert "You are not a member of any organisation." in response.content.decode()
    assert accounts.ACTIVE_ORGANISATION not in client.session
    assert "Ministry of Justice" not in client.get("/en/states/").content.decode()


def test_a_removed_membership_hands_over_to_the_users_other_organisation(client, two_hats):
    client.force_login(two_hats)
    client.post(SWITCH_URL, {"organisation": "ministry-of-justice"})

    Membership.objects.filter(user=two_hats, organisation__slug="ministry-of-justice").delete()
    response = client.get(WORKSPACE_URL)

    assert response.wsgi_request.membership.organisation.slug == "ministry-of-health"
    assert acting_for(client) == [["Ministry of Health", "Government entity", "Viewer", "yes"]]


def test_the_membership_is_read_with_one_query_per_request(client, two_hats):
    client.force_login(two_hats)
    client.get(WORKSPACE_URL)

    with CaptureQueriesContext(connection) as captured:
        client.get(WORKSPACE_URL)

    statements = [query["sql"].split(" ", 2)[:2] for query in captured if "SAVEPOINT" not in query["sql"]]
    assert statements == [
        ["SELECT", '"django_session"."session_key",'],
        ["SELECT", '"auth_user"."id",'],
        ["SELECT", '"stakeholders_membership"."id",'],
        ["UPDATE", '"django_session"'],
    ]
