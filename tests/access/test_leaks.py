"""The leak test: secrets planted in the CSO, the coalition and the NHRI (member names and
addresses, pending invitations, API tokens, TOTP devices, security events) never reach
anyone outside the organisation — not in pages (tests/access/test_matrix.py checks every
route's answer), admin search and change pages, exports, API lists, e-mails or logs.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib import admin
from django.core import mail
from django.urls import reverse

from tests.access.conftest import MARKER, client_for, leaked, response_text
from tests.access.personas import BY_NAME, CONFIDENTIAL, PERSONAS

pytestmark = pytest.mark.django_db

API_LISTS = [
    "/api/v1/me/",
    "/api/v1/recommendations/?page_size=200",
    "/api/v1/states/?page_size=200",
    "/api/v1/reviews/",
    "/api/v1/mechanisms/",
    "/api/v1/themes/",
    "/api/v1/groups/",
    "/api/v1/sdgs/",
    "/api/v1/schema/",
]
EXPORTS = ["/en/recommendations/?download=csv", "/en/recommendations/?download=xlsx"]


def admin_lists() -> list[str]:
    """Every admin changelist, plain and searched for the markers."""
    urls = []
    for model in admin.site._registry:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        urls += [changelist, f"{changelist}?q={MARKER}", f"{changelist}?q=secret.example.org"]
    return urls


def extra_urls(world) -> list[str]:
    urls = [*API_LISTS, *EXPORTS, *admin_lists()]
    urls += [f"/en/workspace/security/?event={event}" for event in ("login", "login_failed", "session_expired")]
    for kind in CONFIDENTIAL:
        slug = world.organisations[kind].slug
        urls += [
            f"/en/workspace/organisations/{slug}/members/",
            f"/en/workspace/organisations/{slug}/invitations/new/",
        ]
        urls += world.secret_admin_urls[kind]
    return urls


@pytest.mark.parametrize("persona", PERSONAS, ids=str)
def test_no_other_organisation_secret_in_admin_exports_or_api(world, persona):
    client = client_for(world, persona)
    hidden = world.markers_hidden_from(persona)
    found = {}
    for url in extra_urls(world):
        text = response_text(client.get(url))
        if leaked(text, hidden):
            found[url] = leaked(text, hidden)

    assert found == {}


def test_the_secrets_are_there_for_their_own_managers(world):
    """The markers are real: each confidential organisation's manager finds its own."""
    for kind in CONFIDENTIAL:
        client = client_for(world, BY_NAME[f"{kind}-manager"])
        slug = world.organisations[kind].slug
        members = response_text(client.get(f"/en/workspace/organisations/{slug}/members/"))
        log = response_text(client.get("/en/workspace/security/"))

        member = world.secret_members[kind]
        assert member.email in members and member.email in log
        assert leaked(members + log, world.secrets[kind]) == [
            marker for marker in world.secrets[kind] if "token" not in marker and "device" not in marker
        ]


def test_e_mails_sent_to_others_carry_no_secret(world, django_capture_on_commit_callbacks):
    """Invitations and password resets sent by the secretariat, a ministry and the CSO."""
    secretariat = client_for(world, BY_NAME["secretariat-manager"])
    cso = client_for(world, BY_NAME["cso-manager"])
    anonymous = client_for(world, BY_NAME["anonymous"])
    with django_capture_on_commit_callbacks(execute=True):
        secretariat.post(
            f"/en/workspace/organisations/{world.organisations['government'].slug}/invitations/new/",
            {"email": "new.officer@government.example.org", "role": "contributor"},
        )
        cso.post(
            f"/en/workspace/organisations/{world.organisations['cso'].slug}/invitations/new/",
            {"email": "new.activist@example.org", "role": "viewer"},
        )
        for persona in ("government-contributor", "secretariat-manager"):
            anonymous.post("/en/accounts/password-reset/", {"email": BY_NAME[persona].email})
    owners = {member.email for member in world.secret_members.values()}

    assert len(mail.outbox) == 4
    for message in mail.outbox:
        if set(message.to) & owners:
            continue
        text = " ".join(
            [message.subject, message.body, *(alt[0] for alt in getattr(message, "alternatives", []))]
        ).lower()
        assert leaked(text, [m for markers in world.secrets.values() for m in markers]) == [], message.to


def test_logs_name_no_member_of_a_confidential_organisation(world, caplog):
    """A failed sign-in with a CSO member's address, a sign-in, a role change: the log lines
    (which operators read) carry user ids, not addresses."""
    caplog.set_level(logging.DEBUG)
    member = world.secret_members["cso"]
    anonymous = client_for(world, BY_NAME["anonymous"])
    anonymous.post("/en/accounts/login/", {"username": member.email, "password": "wrong"})
    anonymous.post("/en/accounts/login/", {"username": member.email, "password": "correct horse battery staple"})
    client_for(world, BY_NAME["cso-manager"]).post(
        f"/en/workspace/organisations/{world.organisations['cso'].slug}/members/role/",
        {"membership": world.secret_memberships["cso"], "role": "viewer"},
    )

    assert leaked(caplog.text.lower(), world.secrets["cso"]) == []
