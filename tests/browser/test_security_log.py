"""The security log in a real browser: reached from the workspace, filtered, and accessible."""

from __future__ import annotations

import re

import pytest

from stakeholders.models import MembershipRole, OrganisationKind
from stakeholders.security import security_event
from tests.browser.support import expect
from tests.browser.test_accounts import assert_accessible, sign_in
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def officer(transactional_db):
    secretariat = OrganisationFactory(slug="nmrf", name="NMRF Secretariat", kind=OrganisationKind.SECRETARIAT)
    user = MembershipFactory(
        user__email="officer@nmrf.example.org", organisation=secretariat, role=MembershipRole.MANAGER
    ).user
    security_event("login_failed", username="someone@example.org")
    return user


def test_the_secretariat_reads_and_filters_the_security_log(page, officer):
    sign_in(page, officer.email)
    page.get_by_role("link", name="Security log").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Security log")
    expect(page.get_by_role("table", name="2 events")).to_be_visible()
    assert_accessible(page, "security log")
    page.get_by_label("Event").select_option("login_failed")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/en/workspace/security/\?event=login_failed$"))
    table = page.get_by_role("table", name="1 event")
    expect(table).to_contain_text("someone@example.org")
