"""Every route as every persona: the expected status from tests/access/routes.py, and not
one marker string of another organisation's secrets in any answer (tests/access/test_leaks.py
searches the rest: admin search, exports, API lists, e-mails, logs).

Routes are discovered from the URL configuration, so a new endpoint without a row in the
table fails `test_every_route_has_a_row`, naming it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from stakeholders.services import api_token_create
from tests.access.conftest import client_for, leaked, response_text
from tests.access.personas import PERSONAS
from tests.access.routes import ALLOWED, ROUTES, Row

pytestmark = pytest.mark.django_db


def discovered_routes(patterns=None, prefix: str = "") -> list[str]:
    """Every route pattern of the site, as Django prints it (i18n ones under `en/`)."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += discovered_routes(pattern.url_patterns, join(prefix, str(pattern.pattern)))
        elif isinstance(pattern, URLPattern):
            found.append(route_key(join(prefix, str(pattern.pattern))))
    return found


def join(prefix: str, route: str) -> str:
    # As Django joins routes in ResolverMatch.route: a nested regex loses its leading `^`.
    return prefix + (route[1:] if prefix and route.startswith("^") else route)


def route_key(route: str) -> str:
    """The row key of a route: the admin's app index lists the registered apps in the order
    they registered, which says nothing about access."""
    return re.sub(r"^admin/\(\?P<app_label>[^)]*\)/\$$", "admin/(?P<app_label>…)/$", route)


def test_every_route_has_a_row():
    missing = sorted(set(discovered_routes()) - set(ROUTES))

    assert not missing, "Routes without a row in tests/access/routes.py (decide who may use them): " + ", ".join(
        missing
    )


def test_every_row_is_a_route():
    stale = sorted(set(ROUTES) - set(discovered_routes()))

    assert not stale, "Rows of tests/access/routes.py for routes that no longer exist: " + ", ".join(stale)


def matches(expected, status: int) -> bool:
    if expected == ALLOWED:
        return status not in (403, 404, 405) and status < 500
    if isinstance(expected, tuple):
        return status in expected
    return status == expected


ROWS = sorted(pattern for pattern, row in ROUTES.items() if isinstance(row, Row))


@pytest.mark.parametrize("pattern", ROWS)
def test_route_answers_each_persona_as_the_table_says(world, pattern):
    row = ROUTES[pattern]
    url = row.url(world)
    assert route_key(resolve(urlsplit(url).path).route) == pattern, f"{url} is not an address of {pattern}"
    failures = []
    for persona in PERSONAS:
        client = client_for(world, persona)
        for method, expect in (("GET", row.get), ("POST", row.post)):
            if expect is None:
                continue
            response = client.get(url) if method == "GET" else client.post(url, row.data(world))
            expected = expect(persona)
            if not matches(expected, response.status_code):
                failures.append(f"{method} {url} as {persona}: {response.status_code}, expected {expected}")
            # The leak test's first half: no other organisation's secret in any answer.
            found = leaked(response_text(response), world.markers_hidden_from(persona))
            if found:
                failures.append(f"{method} {url} as {persona} shows secrets of another organisation: {found}")
    assert not failures, "\n".join(failures)


API_ROWS = sorted(pattern for pattern in ROWS if pattern.startswith("api/v1/") and pattern != "api/v1/auth/token/")
TOKEN_PERSONAS = [p for p in PERSONAS if p.signed_in and (p.role in (None, "viewer", "manager"))]


@pytest.mark.parametrize("pattern", API_ROWS)
def test_an_api_token_gets_what_the_session_gets(world, pattern):
    """Scripts (Authorization: Bearer) and the browser (session) meet the same rules."""
    row = ROUTES[pattern]
    url = row.url(world)
    failures = []
    for persona in TOKEN_PERSONAS:
        _token, key = api_token_create(user=world.users[persona.name], name="matrix")
        client = Client(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {key}")
        for method, expect in (("GET", row.get), ("POST", row.post)):
            if expect is None:
                continue
            response = client.get(url) if method == "GET" else client.post(url, row.data(world))
            if not matches(expect(persona), response.status_code):
                failures.append(
                    f"{method} {url} with {persona}'s token: {response.status_code}, expected {expect(persona)}"
                )
    assert not failures, "\n".join(failures)
