"""Responsible institutions in a real browser: the bulk form follows the filters that htmx
changes in place, the review step shows the count, and the pages pass axe."""

from __future__ import annotations

import re

import pytest

from recommendations.models import Recommendation, Responsibility
from stakeholders.models import MembershipRole, OrganisationKind
from tests.browser.support import axe_violations, expect, format_violations
from tests.stakeholders.factories import PASSWORD, MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def secretariat(transactional_db):
    OrganisationFactory(slug="ministry-of-justice", name="Ministry of Justice", kind=OrganisationKind.GOVERNMENT)
    nmrf = OrganisationFactory(slug="nmrf", name="NMRF secretariat", kind=OrganisationKind.SECRETARIAT)
    return MembershipFactory(
        organisation=nmrf, role=MembershipRole.CONTRIBUTOR, user__email="secretariat@example.org"
    ).user


@pytest.fixture
def page(new_context):
    # bypass_csp: axe is injected as an inline script, which the strict CSP would refuse.
    return new_context(bypass_csp=True).new_page()


def sign_in(page, email: str) -> None:
    page.goto("/en/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/en/workspace/$"))


def test_the_bulk_form_follows_the_filters_and_is_confirmed(page, demo_data, secretariat):
    sign_in(page, "secretariat@example.org")
    page.goto("/en/recommendations/?state=CHN")
    everything = Recommendation.objects.filter(f_state="CHN").count()
    summary = page.locator("#bulk-assign summary")
    expect(summary).to_have_text(f"Assign the {everything} recommendations of this result to an institution")

    # A facet ticked: htmx swaps the results and, out of band, the bulk form.
    page.get_by_role("group", name="UPR cycle", exact=True).get_by_role(
        "checkbox", name=re.compile(r"^Cycle 2\b")
    ).check()
    narrowed = Recommendation.objects.filter(f_state="CHN", f_cycle=2).count()
    expect(summary).to_have_text(f"Assign the {narrowed} recommendations of this result to an institution")

    summary.click()
    page.get_by_label("Institution", exact=True).select_option(label="Ministry of Justice")
    page.get_by_role("radio", name="Lead institution").check()
    page.get_by_role("button", name="Review the assignment").click()
    expect(page.locator("p.lead")).to_have_text(
        f"Assign the {narrowed} recommendations of this result to Ministry of Justice as the lead institution?"
    )
    violations = axe_violations(page)
    assert not violations, format_violations("bulk review", violations)
    assert Responsibility.objects.count() == 0

    page.get_by_role("button", name=f"Assign {narrowed} recommendations").click()
    expect(page.locator("#bulk-assign .alert")).to_have_text(
        f"{narrowed} recommendations assigned to Ministry of Justice."
    )
    assert Responsibility.objects.filter(role="lead").count() == narrowed
    assert set(Responsibility.objects.values_list("recommendation__f_cycle", flat=True)) == {2}


def test_the_detail_form_saves_and_passes_axe(page, demo_data, secretariat):
    rec = Recommendation.objects.filter(f_state="CHN").order_by("id").first()
    sign_in(page, "secretariat@example.org")
    page.goto(f"/en/recommendations/{rec.code}/")
    violations = axe_violations(page)
    assert not violations, format_violations("detail with the form", violations)

    page.get_by_label("Lead institution").select_option(label="Ministry of Justice")
    page.get_by_role("button", name="Save responsible institutions").click()

    expect(page.get_by_text("The responsible institutions are saved.")).to_be_visible()
    expect(page.get_by_text("Ministry of Justice (Lead institution)")).to_be_visible()
