"""The public pages in a real browser: search, facets, detail, language, download, keyboard, axe."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.contrib.postgres.search import SearchQuery

from recommendations.exports import COLUMNS
from recommendations.filters import SEARCH_CONFIG
from recommendations.models import Recommendation
from tests.browser.support import DESKTOP, PHONE, axe_violations, expect, format_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHRASE = '"death penalty"'


def _phrase_count(**filters) -> int:
    """What the list should count, computed from the database independently of the view."""
    query = SearchQuery(PHRASE, config=SEARCH_CONFIG, search_type="websearch")
    return Recommendation.objects.filter(search__vector=query, **filters).count()


def _results(count: int) -> str:
    return f"{count} recommendation" if count == 1 else f"{count} recommendations"


def _facet(page, legend: str, label: str):
    """The checkbox whose label starts with `label` in the facet (fieldset) named `legend`."""
    return page.get_by_role("group", name=legend, exact=True).get_by_role(
        "checkbox", name=re.compile(rf"^{re.escape(label)}\b")
    )


def test_search_narrow_open_switch_to_arabic_and_download(page, demo_data, live_server):
    heading = page.locator("#results-heading")
    response = page.goto("/en/recommendations/")
    assert response.ok, response.status

    # A phrase search: htmx swaps the results in place and pushes the URL.
    page.get_by_label("Search the recommendations").fill(PHRASE)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]q=%22death(%20|\+)penalty%22"))
    expect(heading).to_have_text(_results(_phrase_count()))

    # Two facets, one after the other; each updates the list and the address.
    _facet(page, "State under review", "China").check()
    expect(heading).to_have_text(_results(_phrase_count(f_state="CHN")))
    _facet(page, "Position", "Noted").check()
    expected = _phrase_count(f_state="CHN", position="noted")
    assert expected > 20  # more than one page: the download below must hold them all
    expect(heading).to_have_text(_results(expected))
    expect(page).to_have_url(
        re.compile(
            r"/en/recommendations/\?(?=(?:.*&)?q=%22death(?:%20|\+)penalty%22(?:&|$))"
            r"(?=(?:.*&)?state=CHN(?:&|$))(?=(?:.*&)?position=noted(?:&|$))"
        )
    )
    expect(_facet(page, "State under review", "China")).to_be_checked()
    expect(_facet(page, "Position", "Noted")).to_be_checked()

    # The first result opens its page.
    page.locator("ol.results li.result a").first.click()
    expect(page).to_have_url(re.compile(r"/en/recommendations/[0-9a-f-]{36}/$"))
    code = page.url.rstrip("/").rsplit("/", 1)[1]
    rec = Recommendation.objects.select_related("review__state", "review__mechanism").get(code=code)
    assert (rec.f_state, rec.position) == ("CHN", "noted")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Recommendation to {rec.review.state.name} ({rec.review.mechanism.acronym})"
    )

    # The language form: the same page in Arabic, right to left.
    language = page.get_by_label("Language")
    expect(language.locator('option[value="ar"]')).to_have_text(re.compile("^العربي"))  # Django's name: العربيّة
    language.select_option(value="ar")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page).to_have_url(f"{live_server.url}/ar/recommendations/{code}/")
    expect(page.locator("html")).to_have_attribute("lang", "ar")

    # Back to the filtered list (the address htmx pushed is a real page) and download it.
    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/en/recommendations/\?.*position=noted"))
    expect(heading).to_have_text(_results(expected))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "recommendations.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == expected
    query = SearchQuery(PHRASE, config=SEARCH_CONFIG, search_type="websearch")
    codes = Recommendation.objects.filter(search__vector=query, f_state="CHN", position="noted").values_list("code")
    assert {row["code"] for row in rows} == {str(code) for (code,) in codes}


def test_the_list_works_without_javascript(new_context, demo_data):
    page = new_context(java_script_enabled=False).new_page()
    heading = page.locator("#results-heading")
    response = page.goto("/en/recommendations/")
    assert response.ok, response.status

    page.get_by_label("Search the recommendations").fill("torture")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/en/recommendations/\?q=torture&"))
    expect(heading).to_have_text(_results(Recommendation.objects.filter(search__vector=_query("torture")).count()))

    # Facets apply with the button that only shows without JavaScript.
    _facet(page, "State under review", "China").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]state=CHN"))
    count = Recommendation.objects.filter(search__vector=_query("torture"), f_state="CHN").count()
    expect(heading).to_have_text(_results(count))
    expect(page.locator("ol.results li.result")).to_have_count(min(count, 20))


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


def _focus_outline(page) -> tuple[str, float]:
    style, width = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    return style, float(width.removesuffix("px"))


def test_keyboard_reaches_the_skip_link_first_and_focus_is_visible(page):
    assert page.goto("/en/").ok
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.bounding_box()["width"] <= 1  # hidden until focused

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box["width"] > 50 and box["height"] > 20, box
    style, width = _focus_outline(page)
    assert style != "none" and width >= 2, (style, width)

    page.keyboard.press("Tab")
    expect(page.locator(".portal-name")).to_be_focused()
    style, width = _focus_outline(page)
    assert style != "none" and width >= 2, (style, width)
    assert skip.bounding_box()["width"] <= 1  # hidden again

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#content$"))
    expect(page.locator("main#content")).to_be_focused()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_public_pages_pass_axe_and_fit_a_phone(new_context, demo_data, lang):
    # bypass_csp: axe is injected as an inline script, which a strict CSP would refuse.
    page = new_context(bypass_csp=True).new_page()
    rec = Recommendation.objects.get(f_state="CHN", paragraph="186.2")
    pages = {
        "home": f"/{lang}/",
        "list": f"/{lang}/recommendations/?q=torture&state=CHN",
        "detail": f"/{lang}/recommendations/{rec.code}/",
        "state": f"/{lang}/states/chn/",
    }
    failures = []
    for name, url in pages.items():
        response = page.goto(url)
        assert response.ok, (url, response.status)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            screenshot(page, name)
            where = f"{url} at {size['width']} px"
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                failures.append(f"{where}: the page scrolls sideways by {overflow} px")
            violations = axe_violations(page)
            if violations:
                failures.append(format_violations(where, violations))
    assert not failures, "\n\n".join(failures)
