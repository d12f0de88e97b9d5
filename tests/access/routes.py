"""Every route of the site, how to reach it in the access tests' world, and who gets what.

`tests/access/test_matrix.py` discovers the routes from the URL configuration and fails for
any route without a row here, naming it: adding an endpoint means deciding, here, who may
use it. Keys are the route patterns as Django prints them (i18n routes under `en/`).
Expected outcomes are functions of the persona (tests/access/personas.py) returning a
status code, a tuple of acceptable codes, or ALLOWED (any answer but 403, 404, 405 or a
5xx: for changes whose valid data would be awkward to build, the point is only that the
persona got past the access check). docs/permissions.md names the rule of each row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.access.personas import Persona

ALLOWED = "allowed"
Expected = int | tuple[int, ...] | str
Expect = Callable[[Persona], Expected]


@dataclass(frozen=True)
class Row:
    url: Callable  # world -> concrete URL
    get: Expect | None  # None: GET is not requested (e.g. it would change something)
    post: Expect | None = None  # None: POST is not tried
    data: Callable = field(default=lambda world: {})  # world -> POST data


@dataclass(frozen=True)
class Skip:
    reason: str


# --- Expectations -----------------------------------------------------------------------------


def everyone(status: Expected) -> Expect:
    return lambda persona: status


def signed_in(status: Expected, anonymous: Expected = 302) -> Expect:
    """`status` for any signed-in persona; anonymous visitors are sent to the login page."""
    return lambda persona: status if persona.signed_in else anonymous


def only(allowed: Callable[[Persona], bool], yes: Expected = 200, no: Expected = 404) -> Expect:
    """`yes` for the personas `allowed` says yes to, `no` (404: existence is not told) for
    the other signed-in ones, the login page for anonymous visitors."""
    return lambda persona: 302 if persona.anonymous else (yes if allowed(persona) else no)


def secretariat(persona: Persona) -> bool:
    return persona.secretariat


def security_log_reader(persona: Persona) -> bool:
    """stakeholders.view_security_events: the secretariat, confidential organisations' managers."""
    return persona.secretariat or (persona.confidential and persona.manager)


# --- The Django admin -------------------------------------------------------------------------
# Staff here hold every view_* permission and nothing else; the superuser has all. Everyone
# else is sent to the admin's login page. Confidential organisations' rows are not in the
# admin at all (tests/stakeholders/test_admin.py, tests/access/test_leaks.py).


def admin_only(staff: Expected, superuser: Expected, others: Expected = 302) -> Expect:
    def expect(persona: Persona) -> Expected:
        if persona.superuser:
            return superuser
        return staff if persona.staff else others

    return expect


def admin_model(label: str, *, add: bool = True, change: bool = True, delete: bool = True) -> dict[str, Row]:
    """The six routes of a registered model; add/change/delete: whether the superuser may."""
    app, model = label.split(".")
    base = f"admin/{app}/{model}/"

    def object_url(suffix: str) -> Callable:
        def url(world) -> str:
            return f"/{base}{world.admin_ids[label] or 0}/{suffix}"

        return url

    def on_object(staff: Expected, superuser: Expected) -> Expect:
        # A missing object (no such row in the world) is a redirect to the admin index.
        return admin_only(staff, superuser)

    forbidden_unless = lambda allowed: ALLOWED if allowed else 403  # noqa: E731
    return {
        base: Row(url=lambda world: f"/{base}", get=admin_only(200, 200)),
        f"{base}add/": Row(
            url=lambda world: f"/{base}add/",
            get=admin_only(403, 200 if add else 403),
            post=admin_only(403, forbidden_unless(add)),
        ),
        f"{base}<path:object_id>/history/": Row(url=object_url("history/"), get=on_object(200, 200)),
        f"{base}<path:object_id>/delete/": Row(
            url=object_url("delete/"),
            get=on_object(403, 200 if delete else 403),
            post=on_object(403, forbidden_unless(delete)),
        ),
        f"{base}<path:object_id>/change/": Row(
            url=object_url("change/"),
            get=on_object(200, 200),
            post=on_object(403, forbidden_unless(change)),
        ),
        f"{base}<path:object_id>/": Row(url=object_url(""), get=admin_only(302, 302)),
    }


ADMIN = {
    "admin/": Row(url=lambda world: "/admin/", get=admin_only(200, 200)),
    # Anonymous visitors go to the portal's sign-in (second factor, lockout); signed-in
    # users who are not staff see the admin's own page, which says they may not enter.
    "admin/login/": Row(
        url=lambda world: "/admin/login/",
        get=lambda persona: 302 if persona.anonymous else admin_only(302, 302, others=200)(persona),
    ),
    "admin/logout/": Row(url=lambda world: "/admin/logout/", get=admin_only(405, 405)),
    "admin/password_change/": Row(url=lambda world: "/admin/password_change/", get=admin_only(200, 200)),
    "admin/password_change/done/": Row(url=lambda world: "/admin/password_change/done/", get=admin_only(200, 200)),
    "admin/autocomplete/": Row(url=lambda world: "/admin/autocomplete/", get=admin_only(403, 403)),
    "admin/jsi18n/": Row(url=lambda world: "/admin/jsi18n/", get=admin_only(200, 200)),
    # Django's "view on site" redirect: none of the stakeholder models has a public page.
    "admin/r/<path:content_type_id>/<path:object_id>/": Row(
        url=lambda world: f"/admin/r/0/{world.admin_ids['stakeholders.membership']}/", get=admin_only(404, 404)
    ),
    # The pattern lists the registered apps (tests/access/test_matrix.py: route_key).
    "admin/(?P<app_label>…)/$": Row(url=lambda world: "/admin/stakeholders/", get=admin_only(200, 200)),
    "admin/(?P<url>.*)$": Row(url=lambda world: "/admin/no-such-page/", get=admin_only(404, 404)),
    "admin/auth/user/<id>/password/": Row(
        url=lambda world: f"/admin/auth/user/{world.admin_ids['auth.user']}/password/",
        get=admin_only(403, 200),
        post=admin_only(403, ALLOWED),
    ),
    **admin_model("otp_totp.totpdevice"),
    "admin/otp_totp/totpdevice/<int:pk>/config/": Row(
        url=lambda world: f"/admin/otp_totp/totpdevice/{world.admin_ids['otp_totp.totpdevice']}/config/",
        get=admin_only(403, 403),  # OTP_ADMIN_HIDE_SENSITIVE_DATA: no key shown, to anyone
    ),
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": Row(
        url=lambda world: f"/admin/otp_totp/totpdevice/{world.admin_ids['otp_totp.totpdevice']}/qrcode/",
        get=admin_only(403, 403),
    ),
    **admin_model("auth.group"),
    **admin_model("auth.user"),
    **admin_model("stakeholders.state"),
    **admin_model("stakeholders.organisation", delete=False),
    **admin_model("stakeholders.membership", delete=False),
    **admin_model("stakeholders.invitation", add=False, change=False, delete=False),
    **admin_model("stakeholders.securityevent", add=False, change=False, delete=False),
    **admin_model("recommendations.mechanism"),
    **admin_model("recommendations.review"),
    **admin_model("recommendations.theme"),
    **admin_model("recommendations.affectedgroup"),
    **admin_model("recommendations.sdggoal"),
    **admin_model("recommendations.sdgtarget"),
    **admin_model("recommendations.recommendation"),
    **admin_model("recommendations.statuschange", add=False, change=False, delete=False),
    **admin_model("recommendations.recommendationchange", add=False, change=False, delete=False),
    **admin_model("recommendations.importrun", add=False, change=False, delete=False),
    "admin/recommendations/recommendation/<path:object_id>/set-status/": Row(
        url=lambda world: f"/admin/recommendations/recommendation/{world.recommendation.pk}/set-status/",
        get=admin_only(403, 200),
        post=admin_only(403, ALLOWED),
    ),
    "admin/recommendations/importrun/import/": Row(
        url=lambda world: "/admin/recommendations/importrun/import/",
        get=admin_only(403, 200),
        post=admin_only(403, ALLOWED),
    ),
    "admin/recommendations/importrun/<int:object_id>/status/": Row(
        url=lambda world: "/admin/recommendations/importrun/0/status/", get=admin_only(404, 404)
    ),
    "admin/recommendations/importrun/<int:object_id>/confirm/": Row(
        url=lambda world: "/admin/recommendations/importrun/0/confirm/",
        get=admin_only(405, 405),
        post=admin_only(404, 404),
    ),
}


# --- The open-data API (public, read-only) ----------------------------------------------------


def api(path: Callable | str) -> Row:
    url = path if callable(path) else (lambda world: path)
    return Row(url=url, get=everyone(200), post=everyone(405))


API = {
    "api/v1/": api("/api/v1/"),
    "api/v1/schema/": api("/api/v1/schema/"),
    "api/v1/docs/": api("/api/v1/docs/"),
    "api/v1/redoc/": api("/api/v1/redoc/"),
    "api/v1/recommendations/$": api("/api/v1/recommendations/"),
    "api/v1/recommendations/facets/$": api("/api/v1/recommendations/facets/"),
    "api/v1/recommendations/(?P<code>[^/]+)/$": api(
        lambda world: f"/api/v1/recommendations/{world.recommendation.code}/"
    ),
    "api/v1/states/$": api("/api/v1/states/"),
    "api/v1/states/(?P<iso3>[A-Za-z]{3})/$": api("/api/v1/states/NGA/"),
    "api/v1/reviews/$": api("/api/v1/reviews/"),
    "api/v1/reviews/(?P<key>[-a-zA-Z0-9_]+)/$": api(lambda world: f"/api/v1/reviews/{world.review_key}/"),
    "api/v1/mechanisms/$": api("/api/v1/mechanisms/"),
    "api/v1/mechanisms/(?P<code>[-a-zA-Z0-9_]+)/$": api("/api/v1/mechanisms/upr/"),
    "api/v1/themes/$": api("/api/v1/themes/"),
    "api/v1/themes/(?P<slug>[-a-zA-Z0-9_]+)/$": api(lambda world: f"/api/v1/themes/{world.theme_slug}/"),
    "api/v1/groups/$": api("/api/v1/groups/"),
    "api/v1/groups/(?P<slug>[-a-zA-Z0-9_]+)/$": api(lambda world: f"/api/v1/groups/{world.group_slug}/"),
    "api/v1/sdgs/$": api("/api/v1/sdgs/"),
    "api/v1/sdgs/(?P<number>[0-9]{1,2})/$": api("/api/v1/sdgs/5/"),
    "api/v1/[\\s\\S]*/\\Z": Row(url=lambda world: "/api/v1/no-such-endpoint/", get=everyone(404)),
}


# --- Public pages and accounts ----------------------------------------------------------------

PAGES = {
    "health/": Row(url=lambda world: "/health/", get=everyone(200)),
    "en/": Row(url=lambda world: "/en/", get=everyone(200)),
    "en/recommendations/": Row(url=lambda world: "/en/recommendations/", get=everyone(200)),
    "en/recommendations/<uuid:code>/": Row(
        url=lambda world: f"/en/recommendations/{world.recommendation.code}/", get=everyone(200)
    ),
    "en/states/": Row(url=lambda world: "/en/states/", get=everyone(200)),
    "en/states/<iso3:iso3>/": Row(url=lambda world: "/en/states/nga/", get=everyone(200)),
    # Signed-in users are sent on to their workspace.
    "en/accounts/login/": Row(
        url=lambda world: "/en/accounts/login/", get=signed_in(302, anonymous=200), post=signed_in(302, anonymous=200)
    ),
    "en/accounts/logout/": Row(url=lambda world: "/en/accounts/logout/", get=everyone(405), post=everyone(302)),
    "en/accounts/password-reset/": Row(
        url=lambda world: "/en/accounts/password-reset/", get=everyone(200), post=everyone(200)
    ),
    "en/accounts/password-reset/sent/": Row(url=lambda world: "/en/accounts/password-reset/sent/", get=everyone(200)),
    # An invalid link shows the "invalid link" page.
    "en/accounts/reset/<uidb64>/<token>/": Row(
        url=lambda world: "/en/accounts/reset/MQ/set-password/", get=everyone(200)
    ),
    "en/accounts/reset/done/": Row(url=lambda world: "/en/accounts/reset/done/", get=everyone(200)),
    "en/workspace/": Row(url=lambda world: "/en/workspace/", get=signed_in(200)),
    # Acting for an organisation one does not belong to is a 404.
    "en/workspace/organisation/": Row(
        url=lambda world: "/en/workspace/organisation/",
        get=everyone(405),
        post=only(lambda persona: persona.kind == "cso", yes=302),
        data=lambda world: {"organisation": world.organisations["cso"].slug},
    ),
    "en/workspace/security/": Row(
        url=lambda world: "/en/workspace/security/", get=only(security_log_reader), post=everyone(405)
    ),
}


# --- Members and invitations (the CSO's: the organisation most at risk) ----------------------


def cso_member(persona: Persona) -> bool:
    return persona.kind == "cso"


def cso_manager(persona: Persona) -> bool:
    return persona.kind == "cso" and persona.manager


def cso_change(persona: Persona) -> Expected:
    """A change in the CSO's members: done by its managers (302), refused to its other
    members who see the list (403), a 404 for everyone else, whatever ids they send."""
    if persona.anonymous:
        return 302
    if cso_member(persona):
        return 302 if persona.manager else 403
    return 404


def cso_members_url(suffix: str) -> Callable:
    return lambda world: f"/en/workspace/organisations/{world.organisations['cso'].slug}/{suffix}"


MEMBERS = {
    "en/workspace/organisations/": Row(url=lambda world: "/en/workspace/organisations/", get=only(secretariat)),
    "en/workspace/organisations/<slug:slug>/members/": Row(
        url=cso_members_url("members/"), get=only(cso_member), post=everyone(405)
    ),
    "en/workspace/organisations/<slug:slug>/members/role/": Row(
        url=cso_members_url("members/role/"),
        get=everyone(405),
        post=cso_change,
        data=lambda world: {"membership": world.secret_memberships["cso"], "role": "viewer"},
    ),
    "en/workspace/organisations/<slug:slug>/members/deactivate/": Row(
        url=cso_members_url("members/deactivate/"),
        get=everyone(405),
        post=cso_change,
        data=lambda world: {"membership": world.secret_memberships["cso"]},
    ),
    # Its managers invite (its other members: 403). The
    # secretariat may invite only the first manager of a CSO without members: 404 here.
    "en/workspace/organisations/<slug:slug>/invitations/new/": Row(
        url=cso_members_url("invitations/new/"),
        get=lambda persona: cso_change(persona) if persona.anonymous or not cso_manager(persona) else 200,
        post=cso_change,
        data=lambda world: {"email": "new.member@example.org", "role": "viewer"},
    ),
    "en/workspace/organisations/<slug:slug>/invitations/revoke/": Row(
        url=cso_members_url("invitations/revoke/"),
        get=everyone(405),
        post=cso_change,
        data=lambda world: {"invitation": world.secret_invitations["cso"]},
    ),
    # An unknown, used, revoked or expired link: one "invalid link" page, 404.
    "en/accounts/invitation/<str:secret>/": Row(
        url=lambda world: "/en/accounts/invitation/not-a-real-secret/", get=everyone(404), post=everyone(404)
    ),
}


# --- Profile: API tokens, two-factor authentication -------------------------------------------

PROFILE = {
    # Without a pending password step the code page sends back to the login page.
    "en/accounts/login/code/": Row(url=lambda world: "/en/accounts/login/code/", get=everyone(302), post=everyone(302)),
    "en/accounts/profile/": Row(url=lambda world: "/en/accounts/profile/", get=signed_in(200), post=everyone(405)),
    "en/accounts/profile/tokens/": Row(
        url=lambda world: "/en/accounts/profile/tokens/",
        get=everyone(405),
        post=signed_in(200),
        data=lambda world: {"token-name": "script"},
    ),
    # Somebody else's token (the CSO member's) is a 404 for everyone, its owner aside.
    "en/accounts/profile/tokens/<int:token_id>/revoke/": Row(
        url=lambda world: f"/en/accounts/profile/tokens/{world.secret_tokens['cso']}/revoke/",
        get=everyone(405),
        post=signed_in(404),
    ),
    "en/accounts/profile/two-factor/enrol/": Row(
        url=lambda world: "/en/accounts/profile/two-factor/enrol/", get=everyone(405), post=signed_in(ALLOWED)
    ),
    "en/accounts/profile/two-factor/confirm/": Row(
        url=lambda world: "/en/accounts/profile/two-factor/confirm/", get=everyone(405), post=signed_in(ALLOWED)
    ),
    "en/accounts/profile/two-factor/disable/": Row(
        url=lambda world: "/en/accounts/profile/two-factor/disable/", get=everyone(405), post=signed_in(ALLOWED)
    ),
    "api/v1/recommendations/(?P<code>[^/]+)/responsibilities/$": Row(
        url=lambda world: f"/api/v1/recommendations/{world.recommendation.code}/responsibilities/",
        get=everyone(200),
        post=lambda persona: 401 if persona.anonymous else (405 if persona.secretariat else 403),
    ),
    "api/v1/recommendations/assign/$": Row(
        url=lambda world: "/api/v1/recommendations/assign/",
        get=everyone(405),
        post=lambda persona: 401 if persona.anonymous else (400 if persona.secretariat else 403),
    ),
    "api/v1/auth/token/": Row(url=lambda world: "/api/v1/auth/token/", get=everyone(405), post=everyone(400)),
    "api/v1/me/": Row(
        url=lambda world: "/api/v1/me/", get=signed_in(200, anonymous=401), post=signed_in(405, anonymous=401)
    ),
}


# --- Responsible institutions (public recommendations: refusals are 403, not 404) -------------

RESPONSIBILITIES = {
    "en/recommendations/<uuid:code>/responsibilities/": Row(
        url=lambda world: f"/en/recommendations/{world.recommendation.code}/responsibilities/",
        get=lambda persona: 200 if persona.secretariat else 403,
        post=lambda persona: 302 if persona.secretariat else 403,  # empty: no lead, no supporting
    ),
    "en/recommendations/assign/": Row(
        url=lambda world: "/en/recommendations/assign/",
        get=everyone(405),
        post=lambda persona: 400 if persona.secretariat else 403,
    ),
    "en/workspace/assigned/": Row(url=lambda world: "/en/workspace/assigned/", get=signed_in(200)),
}


# --- Technical routes, not requested ----------------------------------------------------------

SKIPPED = {
    "i18n/setlang/": Skip("Django's set_language: stores the language choice in a cookie, no data"),
}

ROUTES: dict[str, Row | Skip] = {**ADMIN, **API, **PAGES, **MEMBERS, **PROFILE, **RESPONSIBILITIES, **SKIPPED}
