"""Session policy and the acting organisation, shared by the middleware and the sign-in hooks.

A session ends after SESSION_COOKIE_AGE seconds without a request (the cookie and the stored
session expire; the middleware checks `seen_at` too, whatever the session engine) and
SESSION_MAX_AGE_SECONDS after sign-in (`login_at`), however active. The organisation a user
acts for is `active_organisation` in the session, re-checked against its memberships on
every request, so that a removed membership or a deactivated user stops acting at once.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from stakeholders.models import Membership

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
ACTIVE_ORGANISATION = "active_organisation"


def _now() -> int:
    return int(timezone.now().timestamp())


def session_start(request: HttpRequest, user) -> Membership | None:
    """At sign-in: stamp the session and act for the user's first organisation."""
    now = _now()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    memberships = list(Membership.objects.active().filter(user=user).select_related("organisation"))
    return act_for(request, memberships[0] if memberships else None)


def session_expiry(request: HttpRequest) -> str | None:
    """Why the signed-in session is over ("max-age", "idle"), or None while it is valid."""
    now = _now()
    login_at = request.session.get(LOGIN_AT)
    seen_at = request.session.get(SEEN_AT, login_at)
    # A session without a sign-in time predates this policy: treat it as expired.
    if not isinstance(login_at, int) or now - login_at > settings.SESSION_MAX_AGE_SECONDS:
        return "max-age"
    if not isinstance(seen_at, int) or now - seen_at > settings.SESSION_COOKIE_AGE:
        return "idle"
    return None


def session_touch(request: HttpRequest) -> None:
    request.session[SEEN_AT] = _now()


def acting_membership(request: HttpRequest, memberships: list[Membership]) -> Membership | None:
    """The membership chosen in the session if still active, else the first one left."""
    chosen = request.session.get(ACTIVE_ORGANISATION)
    for membership in memberships:
        if membership.organisation_id == chosen:
            return membership
    return act_for(request, memberships[0] if memberships else None)


def act_for(request: HttpRequest, membership: Membership | None) -> Membership | None:
    """Act for `membership`'s organisation from now on (None: for no organisation)."""
    if membership is None:
        request.session.pop(ACTIVE_ORGANISATION, None)
    else:
        request.session[ACTIVE_ORGANISATION] = membership.organisation_id
    return membership
