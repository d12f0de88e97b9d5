"""What may not be seen looks like what does not exist, and lists hold exactly the visible set."""

from __future__ import annotations

import re

import pytest

from stakeholders.models import Membership, MembershipRole, SecurityEvent
from stakeholders.selectors import security_events_for_user
from tests.access.conftest import client_for
from tests.access.personas import BY_NAME, CONFIDENTIAL, PERSONAS
from tests.pages import tables
from tests.stakeholders.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
OUTSIDERS = [p for p in PERSONAS if p.signed_in and p.kind not in CONFIDENTIAL]


def body(response, slug: str = "no-such-organisation") -> str:
    """The page without its CSRF token, and with the organisation in its own address (the
    language form's `next`) replaced: the rest must be the same byte for byte."""
    return TOKEN.sub("", response.content.decode()).replace(f"/organisations/{slug}/", "/organisations/SLUG/")


@pytest.mark.parametrize("persona", OUTSIDERS, ids=str)
@pytest.mark.parametrize("kind", sorted(CONFIDENTIAL))
def test_a_confidential_members_page_is_the_404_of_an_unknown_organisation(world, persona, kind):
    client = client_for(world, persona)
    slug = world.organisations[kind].slug
    for path in ("members/", "invitations/new/"):
        hidden = client.get(f"/en/workspace/organisations/{slug}/{path}")
        unknown = client.get(f"/en/workspace/organisations/no-such-organisation/{path}")

        assert (hidden.status_code, body(hidden, slug)) == (unknown.status_code, body(unknown)) == (404, body(unknown))
    for path, data in (
        ("members/role/", {"membership": world.secret_memberships[kind], "role": "manager"}),
        ("members/deactivate/", {"membership": world.secret_memberships[kind]}),
        ("invitations/revoke/", {"invitation": world.secret_invitations[kind]}),
    ):
        hidden = client.post(f"/en/workspace/organisations/{slug}/{path}", data)
        unknown = client.post(f"/en/workspace/organisations/no-such-organisation/{path}", data)

        assert (hidden.status_code, body(hidden, slug)) == (404, body(unknown))


def test_someone_elses_token_is_the_404_of_a_missing_one(world):
    client = client_for(world, BY_NAME["secretariat-manager"])

    hidden = client.post(f"/en/accounts/profile/tokens/{world.secret_tokens['cso']}/revoke/")
    missing = client.post("/en/accounts/profile/tokens/999999/revoke/")

    token = world.secret_tokens["cso"]
    assert hidden.status_code == missing.status_code == 404
    assert body(hidden).replace(f"/tokens/{token}/", "/tokens/ID/") == body(missing).replace("/999999/", "/ID/")


def test_ids_of_another_organisations_members_are_404_even_for_its_own_managers(world):
    """The CSO's manager sends the NHRI member's membership id to its own members page."""
    client = client_for(world, BY_NAME["cso-manager"])
    url = f"/en/workspace/organisations/{world.organisations['cso'].slug}/members/deactivate/"

    response = client.post(url, {"membership": world.secret_memberships["nhri"]})

    assert response.status_code == 404
    assert Membership.objects.get(pk=world.secret_memberships["nhri"]).is_active


def members_listed(client, world, kind: str) -> set[str]:
    response = client.get(f"/en/workspace/organisations/{world.organisations[kind].slug}/members/")
    return {row[1] for row in tables(response.content.decode())["Members"][1:]}


@pytest.mark.parametrize("kind", ["cso", "government"])
def test_the_members_page_lists_exactly_the_active_members(world, kind):
    reader = "secretariat-manager" if kind == "government" else "cso-viewer"
    client = client_for(world, BY_NAME[reader])
    active = Membership.objects.active().filter(organisation=world.organisations[kind])

    assert members_listed(client, world, kind) == set(active.values_list("user__email", flat=True))


def log_rows(client) -> list[tuple[str, str]]:
    found = tables(client.get("/en/workspace/security/").content.decode())
    caption = next(caption for caption in found if re.fullmatch(r"\d+ events?", caption))
    return [(row[1], row[2]) for row in found[caption][1:]]


@pytest.mark.parametrize("reader", ["secretariat-manager", "cso-manager", "nhri-manager"])
def test_the_security_log_lists_exactly_the_visible_events(world, reader):
    client = client_for(world, BY_NAME[reader])
    user = world.users[reader]
    rows = log_rows(client)  # the request logs nothing itself: its session was made beforehand

    expected = security_events_for_user(user) if reader.startswith("secretariat") else None
    if expected is None:
        organisation = world.organisations[reader.split("-")[0]]
        members = Membership.objects.filter(organisation=organisation).values("user_id")
        expected = SecurityEvent.objects.filter(organisation=organisation) | SecurityEvent.objects.filter(
            organisation=None, user__in=members
        )
        expected |= SecurityEvent.objects.filter(
            organisation=None, user=None, username__in=members.values("user__email")
        )
    assert sorted(rows) == sorted((e.event, e.user.email if e.user else e.username) for e in expected)
    confidential = {w.email for w in world.secret_members.values()} - {
        world.secret_members.get(reader.split("-")[0], user).email
    }
    assert not {email for _, email in rows} & confidential


def test_a_member_of_both_the_secretariat_and_a_cso_sees_each_only_while_acting_for_it(world, client):
    user = UserFactory(email="double.hat@example.org")
    MembershipFactory(user=user, organisation=world.organisations["secretariat"], role=MembershipRole.MANAGER)
    MembershipFactory(user=user, organisation=world.organisations["cso"], role=MembershipRole.VIEWER)
    client.force_login(user)  # acts for its first organisation
    members = f"/en/workspace/organisations/{world.organisations['cso'].slug}/members/"
    client.post("/en/workspace/organisation/", {"organisation": world.organisations["secretariat"].slug})

    as_secretariat = (client.get(members).status_code, client.get("/en/workspace/security/").status_code)
    client.post("/en/workspace/organisation/", {"organisation": world.organisations["cso"].slug})
    as_cso = (client.get(members).status_code, client.get("/en/workspace/security/").status_code)

    assert as_secretariat == (404, 200)
    assert as_cso == (200, 404)
