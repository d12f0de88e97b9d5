"""Two-factor authentication: TOTP devices (django-otp), the code step of sign-in, enrolment.

Sign-in is two steps for a user with a confirmed device: the password step only remembers
the user in the session (`PENDING`), and `django.contrib.auth.login` runs after the code
is right, so no other address can be reached half signed in. Any other sign-in path (the
admin's own login form, a test client's `force_login`) that skips the code is undone by
`on_login` (connected in apps.py). Wrong codes count toward the same django-axes lockout
as wrong passwords, on top of django-otp's own growing delay between attempts.

With REQUIRE_2FA_FOR_SECRETARIAT_AND_VALIDATORS on, every member of the secretariat and
every validator or manager of any organisation (any, not only the acting one: switching
organisation must not be a way round it) is sent to enrolment before anything else.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders.models import Membership, OrganisationKind
from stakeholders.security import security_event

PENDING = "two_factor_pending"
# Pages a user who must enrol may still reach: the enrolment itself, signing out, languages.
ENROLMENT_URL_NAMES = frozenset(
    {"profile", "two_factor_enrol", "two_factor_confirm", "logout", "set_language", "health"}
)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def unconfirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def enrolment_required(memberships: list[Membership]) -> bool:
    """Whether the deployment requires a second factor of a user with these (active) memberships."""
    if not settings.REQUIRE_2FA_FOR_SECRETARIAT_AND_VALIDATORS:
        return False
    return any(m.organisation.kind == OrganisationKind.SECRETARIAT or m.can_validate for m in memberships)


def secret_text(device: TOTPDevice) -> str:
    """The key in base32 (what authenticator apps take), in groups of four for typing."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (no script, no style attribute)."""
    title = _("QR code for your authenticator app")
    return segno.make(device.config_url, error="m").svg_inline(scale=4, title=title, svgclass="qr-code")


# --- Checking a code ----------------------------------------------------------------------------


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def is_locked_out(request, user) -> bool:
    """Whether django-axes locks this user out from this client address (as at the password step)."""
    return not AxesProxyHandler.is_allowed(request, _credentials(user))


def code_check(request, *, user, device: TOTPDevice, code: str, stage: str) -> bool:
    """Verify `code`; a wrong one is logged and counted by django-axes like a wrong password.

    `request` may be Django's or DRF's request; when the failure reaches the limit, axes
    flags it (`request.axes_locked_out`).
    """
    if device.verify_token(code.strip()):
        return True
    security_event("two_factor_failed", request=request, user=user, stage=stage)
    AxesProxyHandler.user_login_failed(sender=__name__, credentials=_credentials(user), request=request)
    return False


def lockout_response(request: HttpRequest, user) -> HttpResponse:
    return get_lockout_response(request, None, _credentials(user))


def signed_in(request, user) -> None:
    """A sign-in that does not go through `django.contrib.auth.login` (the token endpoint)
    clears the failures counted so far, as a sign-in on the login page does."""
    AxesProxyHandler.user_logged_in(sender=__name__, request=request, user=user)


# --- The pending sign-in between the password and the code -------------------------------------


def pending_start(request: HttpRequest, user, *, backend: str, next_url: str) -> None:
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "at": int(timezone.now().timestamp()),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> tuple | None:
    """(user, backend, next URL) of the sign-in waiting for its code, or None (none, expired, inactive)."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if timezone.now().timestamp() - pending.get("at", 0) > settings.TWO_FACTOR_LOGIN_SECONDS:
        pending_clear(request)
        return None
    user = get_user_model()._default_manager.filter(pk=pending.get("user"), is_active=True).first()
    if user is None:
        pending_clear(request)
        return None
    return user, pending["backend"], pending.get("next", "")


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def on_login(sender, request, user, **kwargs) -> None:
    """A sign-in that skipped the code of a user with a device is undone at once."""
    if request is None or getattr(user, "otp_device", None) is not None:
        return
    if confirmed_device(user) is None:
        return
    backend = request.session.get(BACKEND_SESSION_KEY, "")
    security_event("two_factor_required", request=request, user=user)
    logout(request)
    pending_start(request, user, backend=backend, next_url="")


# --- Enrolment required by the deployment ------------------------------------------------------


class TwoFactorEnrolmentMiddleware:
    """With REQUIRE_2FA: users who must have a second factor reach only the enrolment until
    their session is verified. Goes after MembershipMiddleware (it reads request.memberships)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.user.is_authenticated
            and enrolment_required(request.memberships)
            and not request.user.is_verified()
            and not _may_pass(request)
        ):
            return _enrolment_response(request)
        return self.get_response(request)


def _may_pass(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.url_name in ENROLMENT_URL_NAMES


def _enrolment_response(request: HttpRequest) -> HttpResponse:
    if confirmed_device(request.user) is not None:
        # Signed in before the device was confirmed (in another session): sign in again.
        logout(request)
        return redirect("login")
    if request.path_info.startswith("/api/"):
        message = _("Two-factor authentication is required: set it up in your profile first.")
        return JsonResponse({"detail": message}, status=403)
    return redirect(reverse("profile") + "#two-factor")


# --- Enrolment and removal (writes) ---------------------------------------------------------------


def two_factor_start(*, user) -> TOTPDevice:
    """A new, unconfirmed device with a fresh key, replacing an earlier unfinished enrolment."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)


def two_factor_enable(*, request: HttpRequest, device: TOTPDevice, code: str) -> bool:
    """Confirm `device` with a code from the app; this session then counts as verified."""
    if not code_check(request, user=request.user, device=device, code=code, stage="enrol"):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    security_event("two_factor_enabled", request=request, user=request.user)
    return True


def two_factor_disable(*, request: HttpRequest, device: TOTPDevice, code: str) -> bool:
    """Remove the user's second factor; a current code proves the device is at hand."""
    if not code_check(request, user=request.user, device=device, code=code, stage="disable"):
        return False
    TOTPDevice.objects.filter(user=request.user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    security_event("two_factor_disabled", request=request, user=request.user)
    return True
