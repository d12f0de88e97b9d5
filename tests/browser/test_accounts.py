"""Accounts in a real browser: signing in, inviting and accepting from the e-mailed link,
switching the organisation one acts for; axe on the members and invitation pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from stakeholders.models import Invitation, Membership, MembershipRole, OrganisationKind
from tests.browser.support import AXE, axe_violations, expect, format_violations, screenshot
from tests.stakeholders.factories import PASSWORD, MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_PASSWORD = "a long and unusual passphrase 42"


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Through the login page, as a person would."""
    page.goto("/en/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/en/workspace/$"))


def acting_row(page):
    """The workspace row of the organisation the user acts for."""
    return (
        page.get_by_role("table", name="Your organisations")
        .get_by_role("row")
        .filter(has=page.get_by_role("cell", name="yes", exact=True))
    )


def assert_accessible(page, where: str) -> None:
    # The pages' Content-Security-Policy refuses the inline <script> that `add_script_tag`
    # would insert; code evaluated through the DevTools protocol is not subject to it.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    violations = axe_violations(page)
    assert violations == [], format_violations(where, violations)


def test_a_member_signs_in_on_the_login_page(page, manager):
    sign_in(page, "Manager@Justice.example.org")

    expect(page.get_by_role("heading", level=1)).to_have_text("My workspace")
    expect(page.get_by_text("Signed in as Grace Eze.")).to_be_visible()
    expect(acting_row(page)).to_contain_text("Ministry of Justice")


def test_an_invitation_from_the_members_page_to_the_new_members_workspace(page, new_context, manager, justice):
    sign_in(page, manager.email)
    page.get_by_role("link", name="Members of Ministry of Justice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Members of Ministry of Justice")

    invite = page.locator("form.invite-form")
    invite.get_by_label("E-mail address").fill("new.member@example.org")
    invite.get_by_label("Role").select_option("contributor")
    invite.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_contain_text("Invitation sent to new.member@example.org.")
    expect(page.get_by_role("table", name="Pending invitations")).to_contain_text("new.member@example.org")
    assert_accessible(page, "members page")
    screenshot(page, "members")

    # The invitee opens the e-mailed link in its own browser.
    [message] = mail.outbox
    link = re.search(r"http://\S+/en/accounts/invitation/[\w-]+/", message.body).group(0)
    invitee = new_context().new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Ministry of Justice")
    expect(invitee.locator(".invitation-summary")).to_contain_text("as Contributor")
    assert_accessible(invitee, "invitation page")

    invitee.get_by_label("First name").fill("Chidi")
    invitee.get_by_label("Last name").fill("Nwosu")
    invitee.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    invitee.get_by_label("Password again").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create my account and join").click()

    expect(invitee).to_have_url(re.compile(r"/en/workspace/$"))
    expect(invitee.get_by_role("status")).to_contain_text("Welcome: you are now Contributor of Ministry of Justice.")
    expect(invitee.get_by_text("Signed in as Chidi Nwosu.")).to_be_visible()
    expect(acting_row(invitee)).to_contain_text("Ministry of Justice")
    assert Membership.objects.get(user__email="new.member@example.org").role == "contributor"

    # The link worked once.
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("This invitation link is not valid")
    assert Invitation.objects.get().accepted_at is not None


def test_a_weak_password_is_explained_on_the_invitation_page(page, manager, justice, live_server):
    from stakeholders.services import invitation_digest

    secret = "s" * 43
    Invitation.objects.create(
        organisation=justice,
        email="weak@example.org",
        role="viewer",
        digest=invitation_digest(secret),
        expires_at="2999-01-01T00:00:00Z",
    )
    page.goto(f"/en/accounts/invitation/{secret}/")
    page.get_by_label("First name").fill("Weak")
    page.get_by_label("Last name").fill("Choice")
    page.get_by_label("Password", exact=True).fill("password")
    page.get_by_label("Password again").fill("password")
    page.get_by_role("button", name="Create my account and join").click()

    expect(page.get_by_text("This password is too common.")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Weak")
    assert_accessible(page, "invitation page with errors")


def test_a_member_of_two_organisations_switches_the_one_it_acts_for(page, manager, justice, health):
    MembershipFactory(user=manager, organisation=health, role=MembershipRole.VIEWER)
    sign_in(page, manager.email)
    # The first organisation by name: the Ministry of Health.
    expect(acting_row(page)).to_contain_text("Ministry of Health")
    expect(page.get_by_role("link", name="Members of Ministry of Health")).to_be_visible()

    page.get_by_label("Acting for").select_option(label="Ministry of Justice")
    page.get_by_role("button", name="Switch organisation").click()

    expect(page).to_have_url(re.compile(r"/en/workspace/$"))
    expect(acting_row(page)).to_contain_text("Ministry of Justice")
    expect(page.get_by_label("Acting for")).to_have_value("ministry-of-justice")
    # Acting as the Ministry of Justice's manager now: its members page offers management.
    page.get_by_role("link", name="Members of Ministry of Justice").click()
    expect(page.get_by_role("button", name="Send invitation")).to_be_visible()


def test_the_secretariat_invites_the_first_manager_of_a_new_cso(page, new_context, justice):
    secretariat = OrganisationFactory(slug="nmrf", name="NMRF Secretariat", kind=OrganisationKind.SECRETARIAT)
    officer = MembershipFactory(user__email="officer@nmrf.example.org", organisation=secretariat).user
    OrganisationFactory(slug="rights-watch", name="Rights Watch Nigeria", kind=OrganisationKind.CSO)
    sign_in(page, officer.email)

    page.get_by_role("link", name="Organisations and their members").click()
    organisations = page.get_by_role("table", name="Organisations")
    expect(organisations.get_by_role("row")).to_have_count(4)  # the header and three organisations
    assert_accessible(page, "organisations page")
    organisations.get_by_role("link", name="Invite its first manager of Rights Watch Nigeria").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Invite someone to Rights Watch Nigeria")
    expect(page.get_by_label("Role").locator("option")).to_have_text(["Manager"])
    page.get_by_label("E-mail address").fill("founder@rights-watch.example.org")
    page.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(re.compile(r"/en/workspace/$"))
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to founder@rights-watch.example.org.")
    # The founder joins as the CSO's manager and, from then on, the secretariat is shut out.
    link = re.search(r"http://\S+/en/accounts/invitation/[\w-]+/", mail.outbox[-1].body).group(0)
    founder = new_context().new_page()
    founder.goto(link)
    founder.get_by_label("First name").fill("Amina")
    founder.get_by_label("Last name").fill("Bello")
    founder.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    founder.get_by_label("Password again").fill(NEW_PASSWORD)
    founder.get_by_role("button", name="Create my account and join").click()
    expect(founder.get_by_role("link", name="Members of Rights Watch Nigeria")).to_be_visible()

    page.goto("/en/workspace/organisations/")
    expect(page.get_by_role("row").filter(has_text="Rights Watch Nigeria")).to_contain_text("Not shown")
    assert page.goto("/en/workspace/organisations/rights-watch/invitations/new/").status == 404
