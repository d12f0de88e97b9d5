"""Two-factor authentication: enrolment, the code step of sign-in, removal, REQUIRE_2FA."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders.models import MembershipRole, OrganisationKind, SecurityEvent
from stakeholders.two_factor import PENDING
from tests.stakeholders.conftest import sign_in
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

PROFILE_URL = "/en/accounts/profile/"
ENROL_URL = "/en/accounts/profile/two-factor/enrol/"
CONFIRM_URL = "/en/accounts/profile/two-factor/confirm/"
DISABLE_URL = "/en/accounts/profile/two-factor/disable/"
CODE_URL = "/en/accounts/login/code/"
WORKSPACE_URL = "/en/workspace/"
ATTACKER_IP = "203.0.113.66"


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(uuid.uuid4())}
    }


def current_code(device: TOTPDevice) -> str:
    """The code the app shows now. Each code is accepted once, and django-otp makes the
    next attempt after a failure wait: both are reset so a test can ask again at once."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return "000000" if current_code(device) != "000000" else "111111"


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def device(focal_point):
    return TOTPDevice.objects.create(user=focal_point, name="app", confirmed=True)


# --- Enrolment ----------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_then_needs_a_code(client, focal_point):
    client.force_login(focal_point)
    assert "Set up two-factor authentication" in client.get(PROFILE_URL).content.decode()

    response = client.post(ENROL_URL)

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/profile/#two-factor"
    device = TOTPDevice.objects.get(user=focal_point)
    assert device.confirmed is False
    page = client.get(PROFILE_URL).content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert '<svg width="' in svg and 'class="qr-code"' in svg
    assert "<title>QR code for your authenticator app</title>" in svg
    assert "style=" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None  # no inline script
    secret = re.search(r'<code class="otp-secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert secret.replace(" ", "") == base64.b32encode(device.bin_key).decode().rstrip("=")
    assert 'for="id_confirm-otp"' in page


def test_a_wrong_code_does_not_confirm_the_device(client, focal_point):
    client.force_login(focal_point)
    client.post(ENROL_URL)
    device = TOTPDevice.objects.get(user=focal_point)

    response = client.post(CONFIRM_URL, {"confirm-otp": wrong_code(device)})

    assert response.status_code == 400
    assert "The code is not correct." in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert SecurityEvent.objects.get(event="two_factor_failed").details == {"stage": "enrol"}


def test_a_right_code_confirms_the_device_and_verifies_the_session(client, focal_point):
    client.force_login(focal_point)
    client.post(ENROL_URL)
    device = TOTPDevice.objects.get(user=focal_point)

    response = client.post(CONFIRM_URL, {"confirm-otp": current_code(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert "On: signing in asks for a code" in client.get(PROFILE_URL).content.decode()
    assert SecurityEvent.objects.filter(event="two_factor_enabled", user=focal_point).count() == 1


def test_enrolling_again_replaces_the_unfinished_key(client, focal_point):
    client.force_login(focal_point)
    client.post(ENROL_URL)
    first = TOTPDevice.objects.get(user=focal_point)
    client.post(ENROL_URL)

    assert list(TOTPDevice.objects.filter(user=focal_point).values_list("confirmed", flat=True)) == [False]
    assert TOTPDevice.objects.get(user=focal_point).key != first.key


def test_the_two_factor_forms_take_post_only(client, focal_point):
    client.force_login(focal_point)

    assert [client.get(url).status_code for url in (ENROL_URL, CONFIRM_URL, DISABLE_URL)] == [405, 405, 405]


# --- Sign-in with a code ------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_a_user_with_a_device(client, focal_point, device):
    response = sign_in(client, focal_point.email)

    assert response.status_code == 302
    assert response["Location"] == CODE_URL
    assert signed_in_user_id(client) is None
    # Bypass attempt: any other page is as for an anonymous visitor.
    assert client.get(WORKSPACE_URL)["Location"] == "/en/accounts/login/?next=/en/workspace/"
    assert client.get(PROFILE_URL).status_code == 302
    assert client.get("/api/v1/me/").status_code == 401
    assert signed_in_user_id(client) is None


def test_the_right_code_completes_the_sign_in(client, focal_point, device):
    sign_in(client, focal_point.email, next="/en/states/")
    page = client.get(CODE_URL)
    assert page.status_code == 200
    assert '<label class="form-label" for="id_otp">Code from your authenticator app</label>' in page.content.decode()

    response = client.post(CODE_URL, {"otp": current_code(device)})

    assert response.status_code == 302
    assert response["Location"] == "/en/states/"
    assert signed_in_user_id(client) == str(focal_point.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert PENDING not in client.session
    assert client.get(WORKSPACE_URL).status_code == 200
    assert SecurityEvent.objects.filter(event="login", user=focal_point).count() == 1


def test_a_wrong_code_keeps_the_user_out_and_is_logged(client, focal_point, device):
    sign_in(client, focal_point.email)

    response = client.post(CODE_URL, {"otp": wrong_code(device)})

    assert response.status_code == 200
    assert "The code is not correct" in response.content.decode()
    assert signed_in_user_id(client) is None
    event = SecurityEvent.objects.get(event="two_factor_failed")
    assert (event.user, event.details) == (focal_point, {"stage": "login"})
    # A code used once is not accepted again.
    code = current_code(device)
    client.post(CODE_URL, {"otp": code})
    client.post("/en/accounts/logout/")
    sign_in(client, focal_point.email)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    assert client.post(CODE_URL, {"otp": code}).status_code == 200
    assert signed_in_user_id(client) is None


def test_wrong_codes_count_toward_the_lockout(client, focal_point, device, settings):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, focal_point.email, ip=ATTACKER_IP)
    bad = wrong_code(device)

    statuses = [client.post(CODE_URL, {"otp": bad}, REMOTE_ADDR=ATTACKER_IP).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert PENDING not in client.session
    # The password step is locked for that address too.
    assert sign_in(client, focal_point.email, ip=ATTACKER_IP).status_code == 429


def test_the_code_step_needs_a_recent_password_step(client, focal_point, device, settings):
    assert client.get(CODE_URL)["Location"] == "/en/accounts/login/"

    sign_in(client, focal_point.email)
    session = client.session
    session[PENDING]["at"] -= settings.TWO_FACTOR_LOGIN_SECONDS + 1
    session.save()

    response = client.post(CODE_URL, {"otp": current_code(device)})

    assert response["Location"] == "/en/accounts/login/"
    assert signed_in_user_id(client) is None


def test_a_user_without_a_device_signs_in_with_the_password(client, focal_point):
    response = sign_in(client, focal_point.email)

    assert response["Location"] == WORKSPACE_URL
    assert signed_in_user_id(client) == str(focal_point.pk)


def test_signing_in_elsewhere_without_the_code_is_undone(client, focal_point, device):
    # e.g. the admin's own login form, which knows nothing of the code
    client.force_login(focal_point)

    assert signed_in_user_id(client) is None
    assert client.get(WORKSPACE_URL).status_code == 302
    assert SecurityEvent.objects.filter(event="two_factor_required", user=focal_point).count() == 1


def test_the_admin_login_form_does_not_bypass_the_code(client, focal_point, device):
    focal_point.is_staff = True
    focal_point.save(update_fields=["is_staff"])

    client.post("/admin/login/", {"username": focal_point.email, "password": "correct horse battery staple"})

    assert signed_in_user_id(client) is None
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


# --- Turning it off -----------------------------------------------------------------------------


def signed_in_with_code(client, user, device):
    sign_in(client, user.email)
    client.post(CODE_URL, {"otp": current_code(device)})
    assert signed_in_user_id(client) == str(user.pk)


def test_turning_it_off_needs_a_current_code(client, focal_point, device):
    signed_in_with_code(client, focal_point, device)

    refused = client.post(DISABLE_URL, {"disable-otp": wrong_code(device)})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=focal_point).exists()

    response = client.post(DISABLE_URL, {"disable-otp": current_code(device)})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=focal_point).exists()
    assert SecurityEvent.objects.filter(event="two_factor_disabled", user=focal_point).count() == 1
    client.post("/en/accounts/logout/")
    assert sign_in(client, focal_point.email)["Location"] == WORKSPACE_URL


# --- REQUIRE_2FA ----------------------------------------------------------------------------------


@pytest.fixture
def require_2fa(settings):
    settings.REQUIRE_2FA_FOR_SECRETARIAT_AND_VALIDATORS = True


@pytest.fixture
def validator(justice):
    return MembershipFactory(organisation=justice, role=MembershipRole.VALIDATOR).user


def test_with_require_2fa_a_validator_must_enrol_before_anything_else(client, validator, require_2fa):
    client.force_login(validator)

    response = client.get(WORKSPACE_URL)

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/profile/#two-factor"
    assert client.get("/en/states/")["Location"] == "/en/accounts/profile/#two-factor"
    assert client.get("/api/v1/me/").status_code == 403
    page = client.get(PROFILE_URL)
    assert page.status_code == 200
    assert "Your role requires two-factor authentication." in page.content.decode()

    client.post(ENROL_URL)
    device = TOTPDevice.objects.get(user=validator)
    client.post(CONFIRM_URL, {"confirm-otp": current_code(device)})

    assert client.get(WORKSPACE_URL).status_code == 200


@pytest.mark.parametrize(
    ("kind", "role", "required"),
    [
        (OrganisationKind.SECRETARIAT, MembershipRole.VIEWER, True),
        (OrganisationKind.GOVERNMENT, MembershipRole.MANAGER, True),
        (OrganisationKind.CSO, MembershipRole.VALIDATOR, True),
        (OrganisationKind.GOVERNMENT, MembershipRole.CONTRIBUTOR, False),
        (OrganisationKind.CSO, MembershipRole.VIEWER, False),
    ],
)
def test_who_must_enrol(client, require_2fa, kind, role, required):
    user = MembershipFactory(organisation=OrganisationFactory(kind=kind), role=role).user
    client.force_login(user)

    assert (client.get(WORKSPACE_URL).status_code == 302) is required


def test_switching_organisation_is_no_way_round_it(client, validator, health, require_2fa):
    MembershipFactory(user=validator, organisation=health, role=MembershipRole.VIEWER)
    client.force_login(validator)

    client.post("/en/workspace/organisation/", {"organisation": "ministry-of-health"})

    assert client.get(WORKSPACE_URL).status_code == 302


def test_without_require_2fa_nobody_is_sent_to_enrol(client, validator):
    client.force_login(validator)

    assert client.get(WORKSPACE_URL).status_code == 200


def test_a_session_from_before_the_device_must_sign_in_again(client, validator, require_2fa):
    client.force_login(validator)
    TOTPDevice.objects.create(user=validator, name="app", confirmed=True)  # enrolled in another session

    response = client.get(WORKSPACE_URL)

    assert response["Location"] == "/en/accounts/login/"
    assert signed_in_user_id(client) is None


def test_pending_sign_ins_expire(client, focal_point, device):
    sign_in(client, focal_point.email)
    session = client.session
    session[PENDING]["at"] = int((timezone.now() - timedelta(hours=1)).timestamp())
    session.save()

    assert client.get(CODE_URL)["Location"] == "/en/accounts/login/"
    assert PENDING not in client.session


def test_the_reset_command_removes_a_lost_device(focal_point, device, capsys):
    call_command("two_factor_reset", "FOCAL@justice.example.org")

    assert capsys.readouterr().out == "focal@justice.example.org: 1 two-factor device(s) removed.\n"
    assert not TOTPDevice.objects.filter(user=focal_point).exists()
    event = SecurityEvent.objects.get(event="two_factor_disabled")
    assert (event.user, event.details) == (focal_point, {"by": "manage.py two_factor_reset"})
    with pytest.raises(CommandError, match=re.escape("No user has the e-mail address 'nobody@example.org'.")):
        call_command("two_factor_reset", "nobody@example.org")


def test_the_profile_pages_are_not_cached(client, focal_point):
    client.force_login(focal_point)

    assert "no-store" in client.get(PROFILE_URL)["Cache-Control"]
    assert "no-store" in client.post("/en/accounts/profile/tokens/", {"token-name": "x"})["Cache-Control"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Authentification à deux facteurs"), ("ar", "المصادقة الثنائية"), ("zh-hans", "双重身份验证")],
)
def test_the_profile_is_translated(client, focal_point, settings, lang, expected):
    locale = settings.BASE_DIR / "locale" / lang.replace("-hans", "_Hans") / "LC_MESSAGES" / "django.mo"
    assert locale.is_file(), "run `make test` or `manage.py compilemessages`"
    client.force_login(focal_point)

    content = client.get(f"/{lang}/accounts/profile/").content.decode()

    assert f'<h2 id="two-factor-heading">{expected}</h2>' in content
