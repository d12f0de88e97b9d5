"""Browser tests: Playwright for Python driving the system's Chromium against `live_server`.

Only Debian's Chromium (`/usr/bin/chromium`) is used, never a browser that Playwright
downloads (`playwright install` is not part of the set-up). Without it, or without the
`playwright` package, the tests are skipped, except in CI (`CI=true`), where that fails.

Tests here need `@pytest.mark.django_db(transaction=True, serialized_rollback=True)`: the
live server answers from its own thread and database connection, so it only sees committed
data, and `serialized_rollback` brings back the States and mechanisms that migrations seed
after each test's flush.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.support import DESKTOP
from tests.conftest import service_unavailable

# Playwright's sync API keeps an event loop running in the test's thread, which makes
# Django refuse database access from test code and fixtures (SynchronousOnlyOperation).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None
else:
    expect.set_options(timeout=10_000)  # a loaded 2-core CI machine is slower than the default 5 s

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the test process (each xdist worker has its own)."""
    if sync_playwright is None:
        service_unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        service_unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_context(browser, live_server):
    """Makes browser contexts on the live server (English, desktop size), closed after the test."""
    contexts = []

    def make(**options):
        options = {"base_url": live_server.url, "viewport": DESKTOP, "locale": "en-GB", **options}
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A fresh page in a fresh context (own cookies, so no language choice leaks between tests)."""
    return new_context(accept_downloads=True).new_page()


@pytest.fixture
def demo_data(transactional_db):
    """The demo sample committed to the test database, where the live server sees it."""
    from recommendations.services import recommendations_import

    for path in (
        DATA / "upr_info" / "upr_info_sample_5_states.csv",
        DATA / "ohchr" / "Matrix_recommendations_2013.docx",
    ):
        outcome = recommendations_import(path=path)
        assert not outcome.errors, outcome.errors
