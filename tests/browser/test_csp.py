"""The Content-Security-Policy in a real browser: no page, API docs included, trips it.

Chromium reports every blocked inline script or style, handler and foreign source on the
console ("Refused to … because it violates the following Content Security Policy
directive"); `support.watch_csp` collects those messages while a page is open.
"""

from __future__ import annotations

import re

import pytest

from recommendations.models import Recommendation
from tests.browser.support import expect, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_public_pages_raise_no_csp_violation(page, demo_data):
    violations = watch_csp(page)
    first = Recommendation.objects.select_related("review__state").order_by("pk").first()
    urls = [
        "/en/",
        "/en/recommendations/",
        f"/en/recommendations/{first.code}/",
        "/en/states/",
        f"/en/states/{first.review.state.iso3.lower()}/",
        "/ar/states/",
        "/en/accounts/login/",
    ]
    for url in urls:
        response = page.goto(url)
        assert response.ok, (url, response.status)
        page.wait_for_load_state("networkidle")
    # htmx at work: a search swaps the results in place.
    page.goto("/en/recommendations/")
    page.get_by_label("Search the recommendations").fill("torture")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"q=torture"))
    page.wait_for_load_state("networkidle")

    assert violations == []


def test_api_docs_work_under_the_csp(page):
    violations = watch_csp(page)

    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("UPR Portal open-data API")
    page.goto("/api/v1/redoc/")
    expect(page.locator("h1")).to_contain_text("UPR Portal open-data API")
    # Its search runs (in a worker made from a blob, which the page's policy allows).
    page.get_by_placeholder("Search...").fill("recommendation")
    expect(page.get_by_role("search").get_by_role("menuitem", name="One recommendation")).to_be_visible()
    page.wait_for_load_state("networkidle")

    # Redoc always shows its maker's logo from a CDN; the policy blocks that request, as meant.
    assert [text for text in violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in text] == []


def test_the_admin_works_under_the_csp(page, demo_data, django_user_model):
    django_user_model.objects.create_superuser(
        username="root", email="root@example.org", password="a long admin password 7"
    )
    violations = watch_csp(page)

    page.goto("/admin/")  # to the admin's sign-in, which is the portal's
    page.get_by_label("E-mail address").fill("root@example.org")
    page.get_by_label("Password").fill("a long admin password 7")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#site-name")).to_be_visible()
    recommendation = Recommendation.objects.order_by("pk").first()
    for url in (
        "/admin/recommendations/recommendation/",
        f"/admin/recommendations/recommendation/{recommendation.pk}/change/",
        "/admin/recommendations/importrun/import/",
        "/admin/stakeholders/organisation/add/",
    ):
        response = page.goto(url)
        assert response.ok, (url, response.status)
        page.wait_for_load_state("networkidle")

    assert violations == []
