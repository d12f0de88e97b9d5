"""Personas and helpers for the account tests."""

from __future__ import annotations

import re

import pytest
from axes.utils import reset as axes_reset
from django.test import RequestFactory

from stakeholders.models import MembershipRole, OrganisationKind
from tests.stakeholders.factories import PASSWORD, MembershipFactory, OrganisationFactory

LOGIN_URL = "/en/accounts/login/"
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _accounts(db):
    """No lockout state left over from another test."""
    axes_reset()
    yield
    axes_reset()


@pytest.fixture
def coalition(db):
    return OrganisationFactory(slug="cso-coalition", name="CSO Coalition", kind=OrganisationKind.COALITION)


@pytest.fixture
def focal_point(justice):
    """A contributor at the Ministry of Justice: focal@justice.example.org."""
    membership = MembershipFactory(
        user__email="focal@justice.example.org",
        user__first_name="Ada",
        user__last_name="Okafor",
        organisation=justice,
        role=MembershipRole.CONTRIBUTOR,
    )
    return membership.user


def sign_in(client, email: str, password: str = PASSWORD, ip: str = "203.0.113.5", next: str = "", **extra):
    """POST the login form from client address `ip` (`extra`: more request.META)."""
    data = {"username": email, "password": password} | ({"next": next} if next else {})
    return client.post(LOGIN_URL, data, REMOTE_ADDR=ip, **extra)


def without_csrf(content: bytes) -> bytes:
    return CSRF_TOKEN.sub(b'name="csrfmiddlewaretoken" value=""', content)


@pytest.fixture
def secretariat(db):
    return OrganisationFactory(slug="nmrf-secretariat", name="NMRF Secretariat", kind=OrganisationKind.SECRETARIAT)


@pytest.fixture
def officer(secretariat):
    """A secretariat officer (contributor)."""
    return MembershipFactory(
        user__email="officer@nmrf.example.org", organisation=secretariat, role=MembershipRole.CONTRIBUTOR
    ).user


@pytest.fixture
def cso(db):
    return OrganisationFactory(slug="rights-watch", name="Rights Watch Nigeria", kind=OrganisationKind.CSO)


@pytest.fixture
def post_request(rf: RequestFactory):
    def make(user):
        request = rf.post("/en/", REMOTE_ADDR="203.0.113.9")
        request.user = user
        return request

    return make
