"""The profile in a real browser: two-factor enrolment from the QR page, sign-in with the
code, an API token shown once; axe and the Content-Security-Policy on each page."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders.models import MembershipRole, OrganisationKind
from tests.browser.support import AXE, axe_violations, expect, format_violations, screenshot, watch_csp
from tests.stakeholders.factories import PASSWORD, MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def officer(transactional_db):
    secretariat = OrganisationFactory(slug="nmrf", name="NMRF Secretariat", kind=OrganisationKind.SECRETARIAT)
    return MembershipFactory(
        user__email="officer@nmrf.example.org",
        user__first_name="Musa",
        user__last_name="Bello",
        organisation=secretariat,
        role=MembershipRole.MANAGER,
    ).user


def code_now(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # a code is accepted once
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def assert_accessible(page, where: str) -> None:
    # The CSP refuses the inline <script> that add_script_tag inserts; evaluate is not subject to it.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    violations = axe_violations(page)
    assert violations == [], format_violations(where, violations)


def sign_in_with_password(page, email: str) -> None:
    page.goto("/en/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_enrol_then_sign_in_with_a_code(page, officer, settings):
    settings.REQUIRE_2FA_FOR_SECRETARIAT_AND_VALIDATORS = True
    csp = watch_csp(page)
    sign_in_with_password(page, officer.email)

    # REQUIRE_2FA: the secretariat lands on the enrolment, not the workspace.
    expect(page).to_have_url(re.compile(r"/en/accounts/profile/#two-factor$"))
    expect(page.get_by_role("alert")).to_contain_text("Your role requires two-factor authentication.")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.locator("svg.qr-code")).to_be_visible()
    expect(page.locator("code.otp-secret")).to_have_text(re.compile(r"^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$"))
    assert_accessible(page, "two-factor enrolment")
    screenshot(page, "two-factor-enrolment")
    page.get_by_label("Code from your authenticator app").fill(code_now(officer))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("On: signing in asks for a code")).to_be_visible()
    page.get_by_role("link", name="My workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My workspace")

    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, officer.email)
    expect(page).to_have_url(re.compile(r"/en/accounts/login/code/$"))
    assert_accessible(page, "sign-in code step")
    page.get_by_label("Code from your authenticator app").fill(code_now(officer))
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/en/workspace/$"))
    assert csp == []


def test_an_api_token_is_shown_once(page, officer):
    sign_in_with_password(page, officer.email)
    page.get_by_role("link", name=re.compile("Musa Bello")).click()

    page.get_by_label("Token name").fill("weekly export")
    page.get_by_role("button", name="Create token").click()

    key = page.locator("code.api-token-key")
    expect(key).to_have_text(re.compile(r"^upr_[A-Za-z0-9_-]{43}$"))
    expect(page.get_by_role("table", name="Your API tokens")).to_contain_text("weekly export")
    assert_accessible(page, "profile with a new token")
    page.goto("/en/accounts/profile/")
    expect(page.locator("code.api-token-key")).to_have_count(0)
    page.get_by_role("button", name="Revoke weekly export").click()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
