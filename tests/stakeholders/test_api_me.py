"""`POST /api/v1/auth/token/` (under the login page's lockout) and `GET /api/v1/me/`."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from stakeholders.authentication import SignedInRateThrottle
from stakeholders.models import ApiToken, MembershipRole, OrganisationKind, SecurityEvent
from stakeholders.services import api_token_create
from tests.stakeholders.conftest import sign_in
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"
ATTACKER_IP = "203.0.113.66"
VICTIM_IP = "198.51.100.7"
INVALID = {"non_field_errors": ["The e-mail address or the password is not correct. The password is case-sensitive."]}
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(uuid.uuid4())}
    }


@pytest.fixture
def limit_3(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def api():
    return APIClient()


def ask_token(api, email, password=PASSWORD, ip=VICTIM_IP, **fields):
    return api.post(TOKEN_URL, {"email": email, "password": password, **fields}, format="json", REMOTE_ADDR=ip)


def bearer(key: str, **headers) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", **headers)
    return client


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


# --- POST /api/v1/auth/token/ -----------------------------------------------------------------------


def test_email_and_password_give_a_token_that_works(api, focal_point):
    response = ask_token(api, "FOCAL@justice.example.org", name="nightly sync")

    assert response.status_code == 201
    key = response.json()["token"]
    assert set(response.json()) == {"token"}
    assert key.startswith("upr_")
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (focal_point, "nightly sync", key[:12])
    assert bearer(key).get(ME_URL).json()["email"] == "focal@justice.example.org"
    assert SecurityEvent.objects.filter(event="api_token_created", user=focal_point).count() == 1


def test_the_token_endpoint_keeps_to_the_limit_of_tokens_per_account(api, focal_point, monkeypatch):
    monkeypatch.setattr("stakeholders.services.API_TOKENS_PER_USER", 1)
    api_token_create(user=focal_point, name="old")

    response = ask_token(api, focal_point.email)

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["You have 1 API token, the most one account may have: revoke it if you no longer use it."]
    }
    assert ApiToken.objects.count() == 1


def test_a_token_without_a_name_gets_a_default_one(api, focal_point):
    assert ask_token(api, focal_point.email).status_code == 201
    assert ApiToken.objects.get().name == "API token"


def test_unknown_address_wrong_password_and_inactive_user_get_the_same_400(api, focal_point):
    unknown = ask_token(api, "nobody@example.org", password="guess-1")
    wrong = ask_token(api, focal_point.email, password="guess-1")
    focal_point.is_active = False
    focal_point.save(update_fields=["is_active"])
    inactive = ask_token(api, focal_point.email)

    assert unknown.status_code == wrong.status_code == inactive.status_code == 400
    assert unknown.json() == wrong.json() == inactive.json() == INVALID
    assert not ApiToken.objects.exists()
    assert SecurityEvent.objects.filter(event="login_failed").count() == 3


def test_missing_and_invalid_fields_are_named(api):
    response = api.post(TOKEN_URL, {"email": "not an address", "name": "x" * 81}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "email": ["Enter a valid email address."],
        "password": ["This field is required."],
        "name": ["Ensure this field has no more than 80 characters."],
    }


def test_the_token_endpoint_takes_post_only(api):
    assert api.get(TOKEN_URL).status_code == 405


def test_failures_lock_that_address_and_client_out_with_a_429(api, focal_point, limit_3):
    statuses = [ask_token(api, focal_point.email, f"guess-{n}", ip=ATTACKER_IP).status_code for n in range(3)]

    assert statuses == [400, 400, 429]
    locked = ask_token(api, focal_point.email, ip=ATTACKER_IP)  # the right password, still refused
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked["Retry-After"] == "900"
    assert locked.json() == {
        "detail": "Sign-in has been paused after too many unsuccessful attempts. Please try again later."
    }
    # An unknown address is locked the same way, so the answer tells nothing.
    unknown = [ask_token(api, "nobody@example.org", f"guess-{n}", ip=ATTACKER_IP) for n in range(4)]
    assert [r.status_code for r in unknown] == [400, 400, 429, 429]
    assert unknown[-1].json() == locked.json()
    # The real user, elsewhere, still gets its token.
    assert ask_token(api, focal_point.email, ip=VICTIM_IP).status_code == 201
    assert SecurityEvent.objects.filter(event="lockout").count() >= 2


def test_the_login_page_and_the_token_endpoint_share_one_lockout(client, api, focal_point, limit_3):
    sign_in(client, focal_point.email, password="guess-1", ip=ATTACKER_IP)
    sign_in(client, focal_point.email, password="guess-2", ip=ATTACKER_IP)

    assert ask_token(api, focal_point.email, "guess-3", ip=ATTACKER_IP).status_code == 429
    assert sign_in(client, focal_point.email, ip=ATTACKER_IP).status_code == 429


def test_a_success_clears_the_failures_as_on_the_login_page(api, focal_point, limit_3):
    ask_token(api, focal_point.email, "guess-1", ip=ATTACKER_IP)
    ask_token(api, focal_point.email, "guess-2", ip=ATTACKER_IP)
    assert ask_token(api, focal_point.email, ip=ATTACKER_IP).status_code == 201

    assert ask_token(api, focal_point.email, "guess-3", ip=ATTACKER_IP).status_code == 400


def test_a_user_with_two_factor_must_send_a_right_code(api, focal_point, limit_3):
    device = TOTPDevice.objects.create(user=focal_point, name="app", confirmed=True)

    without = ask_token(api, focal_point.email)
    assert without.status_code == 400
    assert without.json() == {"otp": ["This user has two-factor authentication: send the current code."]}
    wrong = ask_token(api, focal_point.email, otp="000000" if current_code(device) != "000000" else "111111")
    assert wrong.status_code == 400
    assert wrong.json() == INVALID
    assert SecurityEvent.objects.filter(event="two_factor_failed", user=focal_point).count() == 1

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    right = ask_token(api, focal_point.email, otp=current_code(device))
    assert right.status_code == 201


def test_wrong_codes_count_toward_the_lockout(api, focal_point, limit_3):
    device = TOTPDevice.objects.create(user=focal_point, name="app", confirmed=True)
    bad = "000000" if current_code(device) != "000000" else "111111"
    statuses = [ask_token(api, focal_point.email, otp=bad, ip=ATTACKER_IP).status_code for _ in range(3)]

    assert statuses == [400, 400, 429]


def test_with_require_2fa_a_validator_without_a_device_gets_no_token(api, justice, settings):
    settings.REQUIRE_2FA_FOR_SECRETARIAT_AND_VALIDATORS = True
    validator = MembershipFactory(organisation=justice, role=MembershipRole.VALIDATOR).user

    response = ask_token(api, validator.email)

    assert response.status_code == 403
    assert response.json() == {"detail": "Two-factor authentication is required: set it up in your profile first."}
    assert not ApiToken.objects.exists()


# --- GET /api/v1/me/ ------------------------------------------------------------------------------


@pytest.fixture
def two_organisations(focal_point, health):
    """The focal point is also a viewer at the Ministry of Health, and was at a CSO."""
    MembershipFactory(user=focal_point, organisation=health, role=MembershipRole.VIEWER)
    cso = OrganisationFactory(slug="old-cso", name="Old CSO", kind=OrganisationKind.CSO)
    MembershipFactory(user=focal_point, organisation=cso, role=MembershipRole.MANAGER, is_active=False)
    return focal_point


def test_me_needs_credentials(api):
    response = api.get(ME_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_me_with_a_token_lists_the_active_memberships_and_acts_for_the_first(
    two_organisations, django_assert_num_queries
):
    _token, key = api_token_create(user=two_organisations, name="x")
    client = bearer(key)
    client.get(ME_URL)  # first use: writes last_used_at

    # token with its user, memberships
    with django_assert_num_queries(2):
        response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "email": "focal@justice.example.org",
        "first_name": "Ada",
        "last_name": "Okafor",
        "organisations": [
            {"slug": "ministry-of-health", "name": "Ministry of Health", "kind": "government-entity", "role": "viewer"},
            {
                "slug": "ministry-of-justice",
                "name": "Ministry of Justice",
                "kind": "government-entity",
                "role": "contributor",
            },
        ],
        "acting_for": "ministry-of-health",
    }


def test_x_organisation_picks_another_of_the_users_organisations(two_organisations):
    _token, key = api_token_create(user=two_organisations, name="x")

    response = bearer(key, HTTP_X_ORGANISATION="ministry-of-justice").get(ME_URL)

    assert response.json()["acting_for"] == "ministry-of-justice"


@pytest.mark.parametrize("slug", ["old-cso", "cso-coalition", "no-such-organisation"])
def test_x_organisation_of_another_organisation_is_a_403_that_tells_nothing(two_organisations, coalition, slug):
    _token, key = api_token_create(user=two_organisations, name="x")

    response = bearer(key, HTTP_X_ORGANISATION=slug).get(ME_URL)

    assert response.status_code == 403
    assert response.json() == {"detail": "You are not a member of the organisation named in X-Organisation."}


def test_me_in_the_browser_session_acts_for_the_organisation_chosen_there(two_organisations):
    client = APIClient()
    client.force_login(two_organisations)
    client.post("/en/workspace/organisation/", {"organisation": "ministry-of-justice"})

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["acting_for"] == "ministry-of-justice"


def test_the_session_needs_the_csrf_token_for_changes(focal_point):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(focal_point)

    response = client.post(ME_URL)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")


def test_a_user_without_organisations_acts_for_none(api):
    _token, key = api_token_create(user=UserFactory(email="loner@example.org"), name="x")

    data = bearer(key).get(ME_URL).json()

    assert (data["organisations"], data["acting_for"]) == ([], None)


def test_signed_in_users_have_their_own_rate(focal_point, monkeypatch):
    monkeypatch.setitem(SignedInRateThrottle.THROTTLE_RATES, "user", "2/minute")
    _token, key = api_token_create(user=focal_point, name="x")

    statuses = [bearer(key).get(ME_URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- Schema -------------------------------------------------------------------------------------------


def test_the_schema_documents_the_account_endpoints_and_the_token_scheme(api):
    # Its validity is checked as a whole in tests/recommendations/test_api.py.
    schema = api.get("/api/v1/schema/?format=json").json()

    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    token = schema["paths"][TOKEN_URL]["post"]
    assert set(token["responses"]) == {"201", "400", "403", "429"}
    assert token["security"] == [{}]
    me = schema["paths"][ME_URL]["get"]
    assert set(me["responses"]) == {"200", "401", "403", "429"}
    assert me["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
    assert sorted(schema["components"]["schemas"]["Me"]["required"]) == [
        "acting_for",
        "email",
        "first_name",
        "last_name",
        "organisations",
    ]


def test_with_require_2fa_a_token_of_a_validator_without_a_device_is_refused(justice, settings):
    validator = MembershipFactory(organisation=justice, role=MembershipRole.VALIDATOR).user
    _token, key = api_token_create(user=validator, name="made before REQUIRE_2FA")
    assert bearer(key).get(ME_URL).status_code == 200

    settings.REQUIRE_2FA_FOR_SECRETARIAT_AND_VALIDATORS = True
    refused = bearer(key).get(ME_URL)
    TOTPDevice.objects.create(user=validator, name="app", confirmed=True)
    enrolled = bearer(key).get(ME_URL)

    assert refused.status_code == 403
    assert refused.json() == {"detail": "Two-factor authentication is required: set it up in your profile first."}
    assert enrolled.status_code == 200
