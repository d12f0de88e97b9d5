"""Account endpoints of the API: a token for a script (`POST /api/v1/auth/token/`) and the
signed-in user (`GET /api/v1/me/`).

The token endpoint signs in as the login page does: `django.contrib.auth.authenticate` runs
through django-axes, so failures here and on the page add up to the same lockout per
(e-mail address, client address), and a locked-out pair gets 429 here as it does there.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from stakeholders import two_factor
from stakeholders.models import Membership, MembershipRole, OrganisationKind
from stakeholders.permissions import acting_membership
from stakeholders.services import api_token_create
from upr_portal.lib.api import ERROR, RETRY_AFTER, THROTTLED

INVALID_LOGIN = gettext_lazy("The e-mail address or the password is not correct. The password is case-sensitive.")


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(max_length=80, required=False, help_text="What the token is for.")
    otp = serializers.RegexField(
        r"^\s*\d{6}\s*$",
        required=False,
        help_text="The current code of the user's authenticator app; required when it has two-factor authentication.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key: send it as `Authorization: Bearer <key>`. It is shown once.")


class OrganisationRoleSerializer(serializers.Serializer):
    slug = serializers.SlugField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    kind = serializers.ChoiceField(source="organisation.kind", choices=OrganisationKind.choices)
    role = serializers.ChoiceField(choices=MembershipRole.choices)


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    organisations = OrganisationRoleSerializer(many=True, help_text="Active memberships only.")
    acting_for = serializers.SlugField(
        allow_null=True, help_text="The slug of the organisation the request acts for (null: none)."
    )


FIELD_ERRORS = {
    "type": "object",
    "description": (
        "Invalid fields, or (`non_field_errors`) a wrong e-mail address or password: the same "
        "message whether or not the address has an account."
    ),
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"non_field_errors": [str(INVALID_LOGIN)]},
}
LOCKED_OR_THROTTLED = OpenApiResponse(
    ERROR,
    description=(
        "Too many failed sign-ins for this e-mail address from this client address (the login "
        "page's lockout: wait `Retry-After` seconds, the cool-off period), or too many requests."
    ),
)


@extend_schema(
    summary="Create an API token",
    description=(
        "Exchange an e-mail address and password for a new API token of that user. Wrong "
        "credentials count toward the same lockout as the login page "
        "(`AXES_FAILURE_LIMIT` failures per e-mail address and client address); a locked-out "
        "pair gets 429 until the cool-off period ends, even with the right password. A user "
        "with two-factor authentication must send `otp` too; a wrong code counts as a failure."
    ),
    request=TokenRequestSerializer,
    responses={
        201: TokenSerializer,
        400: OpenApiResponse(FIELD_ERRORS, description="Invalid fields or credentials."),
        403: OpenApiResponse(
            ERROR,
            description="The deployment requires two-factor authentication of this user, "
            "who has not set it up yet (do so in the profile page).",
        ),
        429: LOCKED_OR_THROTTLED,
    },
    parameters=[RETRY_AFTER],
    examples=[OpenApiExample("Request", value={"email": "ana@example.org", "password": "…"}, request_only=True)],
    tags=["account"],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def token_create(request: Request) -> Response:
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    # The DRF request goes to axes: a lockout flags it, not the Django request that
    # AxesMiddleware would turn into the HTML lockout page.
    user = authenticate(request=request, username=data["email"], password=data["password"])
    if user is None:
        return _refused(request)
    device = two_factor.confirmed_device(user)
    if device is None and two_factor.enrolment_required(_memberships(user)):
        message = _("Two-factor authentication is required: set it up in your profile first.")
        return Response({"detail": message}, status=status.HTTP_403_FORBIDDEN)
    if device is not None:
        if not data.get("otp"):
            return Response({"otp": [_("This user has two-factor authentication: send the current code.")]}, 400)
        if not two_factor.code_check(request, user=user, device=device, code=data["otp"], stage="api"):
            return _refused(request)
    two_factor.signed_in(request, user)
    try:
        _token, key = api_token_create(user=user, name=data.get("name") or _("API token"), request=request)
    except ValidationError as error:
        return Response({"non_field_errors": error.messages}, status=status.HTTP_400_BAD_REQUEST)
    return Response({"token": key}, status=status.HTTP_201_CREATED)


def _memberships(user) -> list[Membership]:
    return list(Membership.objects.active().filter(user=user).select_related("organisation"))


def _refused(request: Request) -> Response:
    if getattr(request, "axes_locked_out", False):
        message = _("Sign-in has been paused after too many unsuccessful attempts. Please try again later.")
        retry_after = int(settings.AXES_COOLOFF_TIME.total_seconds())
        return Response(
            {"detail": message}, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(retry_after)}
        )
    return Response({"non_field_errors": [str(INVALID_LOGIN)]}, status=status.HTTP_400_BAD_REQUEST)


@extend_schema(
    summary="The signed-in user",
    description=(
        "The user, its organisations with its role in each (active memberships only) and the "
        "one it acts for: with a token, the first one or the one named by `X-Organisation`; "
        "in the browser, the one chosen in the page header."
    ),
    parameters=[
        OpenApiParameter(
            "X-Organisation",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description="With a token: the slug of the organisation to act for (one of the user's).",
        ),
        RETRY_AFTER,
    ],
    responses={
        200: MeSerializer,
        401: OpenApiResponse(ERROR, description="No credentials, or an unknown or revoked token."),
        403: OpenApiResponse(
            ERROR,
            description=(
                "`X-Organisation` names an organisation the user is not a member of, or (in the "
                "browser) the deployment requires two-factor authentication the user has not set up."
            ),
        ),
        429: THROTTLED,
    },
    tags=["account"],
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request: Request) -> Response:
    user = request.user
    membership = acting_membership(user)
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        # Read by MembershipMiddleware (session) or the token authentication: active ones only.
        "organisations": request.memberships,
        "acting_for": membership.organisation.slug if membership else None,
    }
    return Response(MeSerializer(data).data)
