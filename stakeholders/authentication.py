"""API authentication by token (`Authorization: Bearer <key>`) and the signed-in users' throttle.

A token acts for its user's first active organisation, or for the one named by an
`X-Organisation: <slug>` header, which must be one of the user's own. The acting
membership is set on the user (`set_acting_membership`) and on the request, as
MembershipMiddleware does for the browser, so the access rules answer the same either way.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.throttling import UserRateThrottle

from stakeholders import two_factor
from stakeholders.models import ApiToken, Membership
from stakeholders.permissions import set_acting_membership
from stakeholders.services import api_token_digest

KEYWORDS = (b"bearer", b"token")
ORGANISATION_HEADER = "HTTP_X_ORGANISATION"
# last_used_at is written at most this often, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>` (or `Token <key>`), looked up by the key's SHA-256 digest."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Invalid Authorization header: give the token after “Bearer ”."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed(_("Invalid token.")) from exc
        token = ApiToken.objects.select_related("user").filter(digest=api_token_digest(key)).first()
        # An inactive user's token gets the same answer as an unknown one.
        if token is None or not token.user.is_active:
            raise AuthenticationFailed(_("Invalid token."))
        _touch(token)
        _act(request, token.user)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def _act(request, user) -> None:
    memberships = list(Membership.objects.active().filter(user=user).select_related("organisation"))
    slug = request.META.get(ORGANISATION_HEADER, "").strip()
    if slug:
        chosen = next((m for m in memberships if m.organisation.slug == slug), None)
        if chosen is None:
            raise PermissionDenied(_("You are not a member of the organisation named in X-Organisation."))
    else:
        chosen = memberships[0] if memberships else None
    if two_factor.enrolment_required(memberships) and two_factor.confirmed_device(user) is None:
        # REQUIRE_2FA turned on after this token was made: no access until the user enrols.
        raise PermissionDenied(_("Two-factor authentication is required: set it up in your profile first."))
    set_acting_membership(user, chosen)
    django_request = getattr(request, "_request", request)
    django_request.membership = chosen
    django_request.memberships = memberships


class SignedInRateThrottle(UserRateThrottle):
    """The `user` rate, per signed-in user; anonymous clients are left to AnonRateThrottle."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "stakeholders.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token, created in the profile page or with `POST /api/v1/auth/token/`: "
                "`Authorization: Bearer <key>` (`Token <key>` is accepted too)."
            ),
        }
