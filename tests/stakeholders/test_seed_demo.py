"""`manage.py seed_demo`: the demo organisations and personas."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from stakeholders.models import Membership, Organisation, OrganisationKind
from tests.pages import table
from tests.stakeholders.conftest import sign_in

pytestmark = pytest.mark.django_db

PASSWORD_LINE = re.compile(r"Password of the new demo users \(shown only now\): (\S+)")
DOMAIN = "demo.upr-portal.example"


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return Organisation.objects.count(), get_user_model().objects.count(), Membership.objects.count()


def test_it_creates_one_organisation_of_each_kind_and_the_personas():
    seed()

    assert set(Organisation.objects.values_list("kind", flat=True)) == set(OrganisationKind.values)
    assert sorted(Membership.objects.values_list("user__email", "organisation__kind", "role")) == [
        (f"cso@{DOMAIN}", "coalition", "contributor"),
        (f"embassy@{DOMAIN}", "embassy", "viewer"),
        (f"focal-health@{DOMAIN}", "government-entity", "contributor"),
        (f"focal-justice@{DOMAIN}", "government-entity", "contributor"),
        (f"nhri@{DOMAIN}", "nhri", "contributor"),
        (f"observer@{DOMAIN}", "media", "viewer"),
        (f"parliament@{DOMAIN}", "parliament", "contributor"),
        (f"secretariat@{DOMAIN}", "nmrf-secretariat", "manager"),
        (f"un-agency@{DOMAIN}", "un-agency", "viewer"),
        (f"validator-justice@{DOMAIN}", "government-entity", "validator"),
    ]
    assert sorted(
        Membership.objects.filter(organisation__kind="government-entity").values_list(
            "user__username", "organisation__slug"
        )
    ) == [
        (f"focal-health@{DOMAIN}", "ministry-of-health"),
        (f"focal-justice@{DOMAIN}", "ministry-of-justice"),
        (f"validator-justice@{DOMAIN}", "ministry-of-justice"),
    ]


def test_the_embassy_represents_a_recommending_state_and_the_coalition_has_members():
    seed()

    embassy = Organisation.objects.get(kind=OrganisationKind.EMBASSY)
    coalition = Organisation.objects.get(kind=OrganisationKind.COALITION)
    assert (embassy.slug, embassy.represents.iso3, embassy.country.iso3) == ("embassy-of-brazil", "BRA", "NGA")
    assert list(coalition.members.values_list("kind", flat=True)) == [OrganisationKind.CSO]


def test_it_is_idempotent_and_prints_the_generated_password_once():
    first = seed()
    before = counts()
    second = seed()

    assert counts() == before == (13, 10, 10)
    (password,) = PASSWORD_LINE.findall(first)
    assert password not in second
    assert "Passwords unchanged" in second
    users = get_user_model().objects.all()
    assert all(user.check_password(password) for user in users)


def test_a_given_password_is_set_on_new_and_existing_users():
    seed()
    output = seed("--password", "demo-passphrase-1")

    assert not PASSWORD_LINE.search(output)
    assert all(user.check_password("demo-passphrase-1") for user in get_user_model().objects.all())
    seed()
    assert all(user.check_password("demo-passphrase-1") for user in get_user_model().objects.all())


def test_re_running_restores_a_changed_role():
    seed("--password", "demo-passphrase-1")
    Membership.objects.filter(user__username=f"secretariat@{DOMAIN}").update(role="viewer", is_active=False)

    seed()

    assert Membership.objects.get(user__username=f"secretariat@{DOMAIN}").can_manage


def test_every_persona_signs_in_and_sees_its_workspace(client):
    seed("--password", "demo-passphrase-1")

    sign_in(client, f"focal-justice@{DOMAIN}", password="demo-passphrase-1")
    response = client.get("/en/workspace/")

    assert table(response, "Your organisations") == [
        ["Federal Ministry of Justice", "Government entity", "Contributor", "yes"]
    ]
