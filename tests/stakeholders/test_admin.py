"""The admin under the threat model: superusers and staff see no member, invitation, security
event or TOTP device of a CSO, coalition or NHRI, and cannot join or reshape one."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders.models import Invitation, Membership, MembershipRole, OrganisationKind, SecurityEvent
from stakeholders.security import security_event
from tests.stakeholders.conftest import without_csrf
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "hidden.activist@rights.example.org"
NAME = "Zephyrine"


@pytest.fixture
def cso(db):
    return OrganisationFactory(slug="rights-watch", name="Rights Watch", kind=OrganisationKind.CSO)


@pytest.fixture
def activist(cso):
    """A CSO member with a pending invitation, a TOTP device and security events."""
    membership = MembershipFactory(user__email=EMAIL, user__first_name=NAME, organisation=cso)
    Invitation.objects.create(
        organisation=cso,
        email="another.activist@rights.example.org",
        digest=secrets.token_hex(32),
        expires_at=timezone.now() + timedelta(days=3),
    )
    TOTPDevice.objects.create(user=membership.user, name="activist phone", confirmed=True)
    security_event("login", user=membership.user, organisation=cso)
    security_event("login_failed", username=EMAIL)
    return membership.user


@pytest.fixture
def superuser(client):
    user = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


CHANGELISTS = [
    "/admin/auth/user/",
    "/admin/stakeholders/membership/",
    "/admin/stakeholders/invitation/",
    "/admin/stakeholders/securityevent/",
    "/admin/otp_totp/totpdevice/",
]


@pytest.mark.parametrize("url", CHANGELISTS)
def test_no_changelist_shows_a_cso_member(client, superuser, activist, url):
    response = client.get(url)

    assert response.status_code == 200
    content = response.content.decode().lower()
    assert "activist" not in content
    assert NAME.lower() not in content


@pytest.mark.parametrize("url", CHANGELISTS)
@pytest.mark.parametrize("query", ["activist", "rights.example.org", NAME, "activist phone"])
def test_no_admin_search_finds_a_cso_member(client, superuser, activist, url, query):
    response = client.get(url, {"q": query})

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="result_list"' not in content  # no row matches
    assert EMAIL not in content


def test_open_organisations_members_are_listed(client, superuser, justice, focal_point):
    content = client.get("/admin/stakeholders/membership/").content.decode()

    assert "focal@justice.example.org" in content


def admin_pages(activist) -> list[str]:
    membership = Membership.objects.get(user=activist)
    invitation = Invitation.objects.get(email="another.activist@rights.example.org")
    device = TOTPDevice.objects.get(user=activist)
    events = SecurityEvent.objects.filter(username=EMAIL) | SecurityEvent.objects.filter(user=activist)
    return [
        f"/admin/auth/user/{activist.pk}/change/",
        f"/admin/auth/user/{activist.pk}/history/",
        f"/admin/auth/user/{activist.pk}/delete/",
        f"/admin/stakeholders/membership/{membership.pk}/change/",
        f"/admin/stakeholders/invitation/{invitation.pk}/change/",
        *(f"/admin/stakeholders/securityevent/{event.pk}/change/" for event in events),
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
    ]


def test_change_pages_of_hidden_rows_answer_as_for_a_missing_row(client, superuser, activist):
    for url in admin_pages(activist):
        response = client.get(url, follow=True)
        missing = client.get(url.replace(f"/{url.split('/')[4]}/", "/999999/"), follow=True)

        assert response.redirect_chain == [("/admin/", 302)], url
        assert EMAIL not in response.content.decode()
        # The "doesn't exist" message differs only by the id.
        page, other = (without_csrf(r.content).decode() for r in (response, missing))
        assert page.replace(f"“{url.split('/')[4]}”", "“ID”") == other.replace("“999999”", "“ID”"), url


def test_a_hidden_users_password_page_and_totp_configuration_are_404(client, superuser, activist):
    device = TOTPDevice.objects.get(user=activist)

    assert client.get(f"/admin/auth/user/{activist.pk}/password/").status_code == 404
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 404
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 404


def test_a_cso_page_is_read_only_without_members(client, superuser, cso, activist):
    response = client.get(f"/admin/stakeholders/organisation/{cso.pk}/change/")
    change = client.post(
        f"/admin/stakeholders/organisation/{cso.pk}/change/", {"name": "Renamed", "kind": "government-entity"}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert EMAIL not in content
    assert 'name="kind"' not in content and 'name="public_profile"' not in content
    assert change.status_code == 403
    cso.refresh_from_db()
    assert (cso.name, cso.kind) == ("Rights Watch", OrganisationKind.CSO)
    assert client.get(f"/admin/stakeholders/organisation/{cso.pk}/delete/").status_code == 403


def test_an_open_organisation_page_lists_its_members(client, superuser, justice, focal_point):
    content = client.get(f"/admin/stakeholders/organisation/{justice.pk}/change/").content.decode()

    assert "focal@justice.example.org" in content
    assert 'name="kind"' in content


def test_nobody_joins_a_cso_through_the_admin(client, superuser, cso, activist):
    form = client.get("/admin/stakeholders/membership/add/").content.decode()
    response = client.post(
        "/admin/stakeholders/membership/add/",
        {"user": superuser.pk, "organisation": cso.pk, "role": MembershipRole.MANAGER, "is_active": "on"},
    )

    assert f'value="{cso.pk}"' not in form
    assert EMAIL not in form
    assert response.status_code == 200  # the form again, with an error
    assert not Membership.objects.filter(user=superuser).exists()


def test_adding_a_member_in_the_admin_goes_through_the_service(client, superuser, justice):
    user = UserFactory(email="new.officer@justice.example.org")

    response = client.post(
        "/admin/stakeholders/membership/add/",
        {"user": user.pk, "organisation": justice.pk, "role": MembershipRole.VALIDATOR, "is_active": "on"},
    )

    assert response.status_code == 302
    assert Membership.objects.get(user=user).role == MembershipRole.VALIDATOR
    event = SecurityEvent.objects.get(event="membership_role_change", user=user)
    assert event.details == {"role": "validator", "previous": "none", "by": superuser.pk}


@pytest.mark.parametrize("data", [{"role": MembershipRole.VIEWER, "is_active": "on"}, {"role": "manager"}])
def test_the_admin_keeps_an_organisations_last_manager(client, superuser, justice, data):
    manager = MembershipFactory(organisation=justice, role=MembershipRole.MANAGER)

    response = client.post(f"/admin/stakeholders/membership/{manager.pk}/change/", data)

    assert response.status_code == 200  # the form again
    assert "An organisation needs at least one active manager" in response.content.decode()
    manager.refresh_from_db()
    assert (manager.role, manager.is_active) == (MembershipRole.MANAGER, True)


def test_the_admin_demotes_a_manager_when_another_remains(client, superuser, justice):
    first, _second = (MembershipFactory(organisation=justice, role=MembershipRole.MANAGER) for _ in range(2))

    response = client.post(f"/admin/stakeholders/membership/{first.pk}/change/", {"role": "viewer", "is_active": "on"})

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.role == MembershipRole.VIEWER


def test_api_tokens_are_not_in_the_admin(client, superuser):
    assert client.get("/admin/stakeholders/apitoken/").status_code == 404


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/admin/otp_totp/totpdevice/add/", {"name": "probe", "tolerance": 1, "drift": 0, "digits": 6, "step": 30}),
        ("/admin/stakeholders/membership/add/", {"role": MembershipRole.VIEWER, "is_active": "on"}),
    ],
)
def test_typing_a_hidden_users_id_into_a_form_does_not_name_them(client, superuser, justice, activist, url, data):
    response = client.post(url, {"user": activist.pk, "organisation": justice.pk, **data})

    assert response.status_code == 200  # the form again: not a valid choice
    assert EMAIL not in response.content.decode()
    assert not TOTPDevice.objects.filter(name="probe").exists()


def test_the_admin_autocomplete_finds_no_hidden_user(client, superuser, activist):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "otp_totp", "model_name": "totpdevice", "field_name": "user", "term": "activist"},
    )

    assert response.status_code == 200
    assert response.json()["results"] == []
