"""Security baseline: `check --deploy`, response headers, and a strict CSP that every page keeps.

The CSP test walks the public pages, a signed-in member's pages, the admin (every
changelist and add form) and the API docs, and checks each page's HTML for what the policy
would block: inline scripts, <style> elements, style attributes, on* handlers and
javascript: links. docs/security.md describes the policy.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import reverse

from recommendations.api_urls import REDOC_STYLE_HASHES
from recommendations.models import Recommendation
from recommendations.services import recommendations_import
from stakeholders.models import MembershipRole, OrganisationKind
from tests.stakeholders.factories import MembershipFactory

BASE_DIR = Path(__file__).resolve().parent.parent
SAMPLE = BASE_DIR / "tests" / "data" / "upr_info" / "upr_info_sample_5_states.csv"
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# <script type=…> that browsers do not run, so CSP does not govern them (json_script).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction"}


def csp_directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP blocks: inline scripts and styles, handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag == "script":
            executable = (attributes.get("type") or "text/javascript").lower() not in DATA_SCRIPT_TYPES
            self._in_script = executable and not attributes.get("src")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            script_url = name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:")
            if name == "style" or name.startswith("on") or script_url:
                self.problems.append(f'<{tag} {name}="{value}">')

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:80]}")


def inline_problems(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems


def assert_strict_page(client, url: str, status: int = 200) -> None:
    response = client.get(url, follow=False)
    assert response.status_code == status, url
    assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP, url
    if "html" in response.get("Content-Type", ""):
        assert inline_problems(response.content.decode()) == [], url


# --- check --deploy --------------------------------------------------------------------------------


def production_environment() -> dict[str, str]:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is no production setting either (and the
    # deploy check warns about it).
    skipped = ("SECURE_", "SESSION_", "CSRF_", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {key: value for key, value in os.environ.items() if not key.startswith(skipped)}
    return env | {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "upr.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://upr.example.org",
        "SECURE_SSL_REDIRECT": "1",
        "DJANGO_SETTINGS_MODULE": "upr_portal.settings",
    }


def test_check_deploy_passes_with_production_settings():
    # A fresh interpreter, so that settings are read from this environment, not the tests'.
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_fails_with_a_short_secret_key():
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    env = production_environment() | {"SECRET_KEY": "short"}
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


# --- headers ---------------------------------------------------------------------------------------


@pytest.fixture
def production_headers(settings):
    """The production values that the tests' environment turns off (SSL redirect aside)."""
    settings.DEBUG = False
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


@pytest.mark.django_db
def test_every_page_sends_the_security_headers(client, production_headers):
    response = client.get("/en/accounts/login/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP


@pytest.mark.django_db
def test_cookies_are_secure_and_the_session_cookie_is_http_only(client, production_headers):
    membership = MembershipFactory(role=MembershipRole.VIEWER)
    client.force_login(membership.user)

    response = client.get("/en/workspace/", secure=True)

    assert response.status_code == 200
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert response.cookies["csrftoken"]["secure"] is True


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/en/states/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/en/states/"


@pytest.mark.django_db
def test_the_api_sends_the_csp_too(client):
    response = client.get("/api/v1/")

    assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP


# --- CSP: every page keeps to it -------------------------------------------------------------------


@pytest.fixture
def sample(db):
    outcome = recommendations_import(path=SAMPLE)
    assert outcome.ok, outcome.errors


def test_the_finder_sees_what_csp_blocks():
    html = (
        '<script src="/static/a.js"></script><script type="application/json">{"a": 1}</script>'
        "<script>alert(1)</script><style>p{}</style><p style=\"color:red\" onclick='x()'>"
        '<a href="javascript:alert(1)">x</a><svg><style>.a{}</style></svg>'
    )

    assert inline_problems(html) == [
        "inline <script>: alert(1)",
        "<style> element",
        '<p style="color:red">',
        '<p onclick="x()">',
        '<a href="javascript:alert(1)">',
        "<style> element",
    ]


@pytest.mark.django_db
def test_public_pages_keep_to_the_csp(client, sample):
    first = Recommendation.objects.select_related("review__state").order_by("pk").first()
    code, iso3 = first.code, first.review.state.iso3.lower()
    pages = [
        "/en/",
        "/en/recommendations/",
        f"/en/recommendations/?q=torture&state={iso3}",
        f"/en/recommendations/{code}/",
        "/en/states/",
        f"/en/states/{iso3}/",
        f"/ar/states/{iso3}/",
        "/en/accounts/login/",
        reverse("password_reset"),
    ]
    for url in pages:
        assert_strict_page(client, url)
    assert_strict_page(client, "/en/no-such-page/", status=404)


@pytest.mark.django_db
def test_api_docs_keep_to_the_csp(client):
    assert_strict_page(client, reverse("api:docs"))


@pytest.mark.django_db
def test_redoc_alone_admits_its_run_time_styles_by_nonce_and_its_search_worker(client):
    response = client.get(reverse("api:redoc"))

    assert response.status_code == 200
    html = response.content.decode()
    assert inline_problems(html) == []
    directives = csp_directives(response["Content-Security-Policy"])
    nonce = re.search(r'data-nonce="([^"]+)"', html).group(1)
    assert directives == EXPECTED_CSP | {
        "style-src": f"'self' 'nonce-{nonce}' {' '.join(REDOC_STYLE_HASHES)}",
        "worker-src": "blob:",
    }


def language_routes() -> list[str]:
    """Every page address under /en/ in the URL configuration, as a route pattern."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return [route for route in walk(get_resolver().url_patterns) if route.startswith("en/")]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [MembershipRole.MANAGER, MembershipRole.VIEWER])
def test_every_page_a_member_can_open_keeps_to_the_csp(client, sample, role):
    """Discovered from the URL configuration, so a new page is checked without a new line here;
    the secretariat's manager and a CSO's viewer see most of them."""
    secretariat = MembershipFactory(role=role, organisation__kind=OrganisationKind.SECRETARIAT)
    MembershipFactory(user=secretariat.user, role=role, organisation__kind=OrganisationKind.CSO)
    client.force_login(secretariat.user)
    first = Recommendation.objects.select_related("review__state").order_by("pk").first()
    values = {
        "<slug:slug>": secretariat.organisation.slug,
        "<uuid:code>": str(first.code),
        "<iso3:iso3>": first.review.state.iso3.lower(),
    }
    checked = []
    for route in language_routes():
        for placeholder, value in values.items():
            route = route.replace(placeholder, value)
        if "<" in route or "(?P" in route or route.endswith("logout/"):
            continue  # ids and secrets of objects this test did not make; signing out
        response = client.get(f"/{route}")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue  # POST-only, a redirect, or not this role's page
        assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP, route
        assert inline_problems(response.content.decode()) == [], route
        checked.append(route)

    assert {"en/", "en/workspace/", "en/accounts/profile/"} <= set(checked), checked


@pytest.mark.django_db
def test_the_admin_keeps_to_the_csp(client, django_user_model, sample):
    superuser = django_user_model.objects.create_superuser(username="root", email="root@example.org", password=None)
    client.force_login(superuser)

    assert_strict_page(client, "/admin/")
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        assert_strict_page(client, reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(_request_for(superuser)):
            assert_strict_page(client, reverse("admin:{}_{}_add".format(*info)))
    recommendation = Recommendation.objects.order_by("pk").first()
    assert_strict_page(client, reverse("admin:recommendations_recommendation_change", args=[recommendation.pk]))
    assert_strict_page(client, reverse("admin:recommendations_importrun_import"))


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
