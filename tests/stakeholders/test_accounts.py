"""Sign-in by e-mail, lockout, password reset, session lifetime and the security log."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from stakeholders import accounts
from stakeholders.models import SecurityEvent, State
from stakeholders.security import security_event, username_hash
from tests.pages import table
from tests.stakeholders.conftest import LOGIN_URL, sign_in, without_csrf
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory
from upr_portal.lib.client_ip import client_ip

pytestmark = pytest.mark.django_db

WORKSPACE_URL = "/en/workspace/"
ATTACKER_IP = "203.0.113.66"
VICTIM_IP = "198.51.100.7"


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


# --- Sign-in ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["focal@justice.example.org", "FOCAL@Justice.Example.ORG", " focal@justice.example.org "]
)
def test_users_sign_in_with_their_email_in_any_case(client, focal_point, typed):
    response = sign_in(client, typed)

    assert response.status_code == 302
    assert response["Location"] == WORKSPACE_URL
    assert signed_in_user_id(client) == str(focal_point.pk)


def test_signing_in_goes_to_the_next_page_on_this_site_only(client, focal_point):
    assert sign_in(client, focal_point.email, next="/en/states/")["Location"] == "/en/states/"
    client.post("/en/accounts/logout/")
    assert sign_in(client, focal_point.email, next="https://evil.example/")["Location"] == WORKSPACE_URL


def test_the_login_page_labels_its_fields_and_keeps_the_typed_address(client, focal_point):
    response = sign_in(client, "focal@justice.example.org", password="wrong")

    content = response.content.decode()
    assert response.status_code == 200
    assert '<label class="form-label" for="id_username">E-mail address</label>' in content
    assert '<label class="form-label" for="id_password">Password</label>' in content
    assert 'value="focal@justice.example.org"' in content
    assert "The e-mail address or the password is not correct." in content
    assert signed_in_user_id(client) is None


def test_unknown_address_and_wrong_password_give_the_same_response(client):
    email = "someone@example.org"
    unknown = sign_in(client, email, password="guess-1")
    UserFactory(email=email)
    wrong_password = sign_in(client, email, password="guess-1")

    assert unknown.status_code == wrong_password.status_code == 200
    assert without_csrf(unknown.content) == without_csrf(wrong_password.content)


def test_an_inactive_user_gets_the_same_response_as_a_wrong_password(client, focal_point):
    wrong_password = sign_in(client, focal_point.email, password="guess-1")
    focal_point.is_active = False
    focal_point.save(update_fields=["is_active"])
    inactive = sign_in(client, focal_point.email)

    assert without_csrf(inactive.content) == without_csrf(wrong_password.content)
    assert signed_in_user_id(client) is None


def test_signing_out_takes_a_post(client, focal_point):
    client.force_login(focal_point)

    assert client.get("/en/accounts/logout/").status_code == 405
    response = client.post("/en/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert client.get(WORKSPACE_URL).status_code == 302


def test_the_header_offers_sign_in_or_names_the_user_with_sign_out(client, focal_point):
    anonymous = client.get("/en/states/").content.decode()
    assert 'href="/en/accounts/login/?next=/en/states/">Sign in</a>' in anonymous
    assert "Sign out" not in anonymous

    client.force_login(focal_point)
    content = client.get("/en/states/").content.decode()

    assert "Ada Okafor" in content
    assert "Ministry of Justice" in content
    assert 'action="/en/accounts/logout/"' in content
    assert ">Sign out</button>" in content
    assert ">Sign in</a>" not in content


def test_the_workspace_needs_a_signed_in_user(client):
    response = client.get(WORKSPACE_URL)

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/?next=/en/workspace/"


def test_the_workspace_lists_the_users_organisations_and_roles(client, focal_point):
    client.force_login(focal_point)
    response = client.get(WORKSPACE_URL)

    assert response.status_code == 200
    assert table(response, "Your organisations") == [["Ministry of Justice", "Government entity", "Contributor", "yes"]]


@pytest.mark.parametrize(
    ("kind", "represents", "link"),
    [
        ("embassy", "BRA", ("Recommendations made by Brazil", "/en/recommendations/?recommending_state=BRA")),
        (
            "parliament",
            None,
            ("Recommendations that require legislation", "/en/recommendations/?requires_legislation=true"),
        ),
    ],
)
def test_the_workspace_links_to_what_the_organisation_follows(client, kind, represents, link):
    organisation = OrganisationFactory(kind=kind, represents=State.objects.get(iso3=represents) if represents else None)
    client.force_login(MembershipFactory(organisation=organisation).user)

    html = client.get(WORKSPACE_URL).content.decode()

    assert f'<p><a href="{link[1].replace("&", "&amp;")}">{link[0]}</a></p>' in html


def test_a_ministry_has_no_such_shortcut(client, focal_point):
    client.force_login(focal_point)

    assert "Recommendations made by" not in client.get(WORKSPACE_URL).content.decode()


# --- Lockout ------------------------------------------------------------------------------------


@pytest.fixture
def limit_3(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def test_the_limit_locks_that_user_from_that_address_only(client, focal_point, limit_3):
    responses = [sign_in(client, focal_point.email, password=f"guess-{n}", ip=ATTACKER_IP) for n in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 429]
    assert "Please try again later." in responses[-1].content.decode()
    # Locked: even the right password from the attacker's address is refused…
    assert sign_in(client, focal_point.email, ip=ATTACKER_IP).status_code == 429
    assert signed_in_user_id(client) is None
    # …while the real user, elsewhere, still signs in.
    response = sign_in(client, focal_point.email, ip=VICTIM_IP)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(focal_point.pk)


def test_other_spellings_of_the_address_count_as_the_same_user(client, focal_point, limit_3):
    for typed in ("focal@justice.example.org", "FOCAL@justice.example.org", "Focal@Justice.example.org"):
        response = sign_in(client, typed, password="guess", ip=ATTACKER_IP)

    assert response.status_code == 429
    assert sign_in(client, "focal@JUSTICE.example.org", ip=ATTACKER_IP).status_code == 429


def test_the_lockout_page_does_not_tell_whether_the_account_exists(client, focal_point, limit_3):
    for _ in range(3):
        known = sign_in(client, focal_point.email, password="guess", ip=ATTACKER_IP)
        unknown = sign_in(client, "nobody@justice.example.org", password="guess", ip=ATTACKER_IP)

    assert known.status_code == unknown.status_code == 429
    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert "focal@" not in known.content.decode()


def test_the_lock_lifts_after_the_cool_off_period(client, focal_point, limit_3):
    for _ in range(3):
        sign_in(client, focal_point.email, password="guess", ip=ATTACKER_IP)
    assert sign_in(client, focal_point.email, ip=ATTACKER_IP).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert sign_in(client, focal_point.email, ip=ATTACKER_IP).status_code == 302
    assert signed_in_user_id(client) == str(focal_point.pk)
    assert AccessAttempt.objects.count() == 0  # a successful sign-in clears the count


def test_the_lockout_defaults(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"


def test_behind_a_proxy_the_lock_follows_the_forwarded_address(client, focal_point, limit_3, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(3):
        # The attacker varies what it puts in front; the proxy appends the address it saw.
        sign_in(
            client,
            focal_point.email,
            password="guess",
            ip="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER_IP}",
        )

    locked = sign_in(client, focal_point.email, ip="10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER_IP)
    other_client = sign_in(client, focal_point.email, ip="10.0.0.2", HTTP_X_FORWARDED_FOR=VICTIM_IP)

    assert locked.status_code == 429
    assert other_client.status_code == 302
    # Counted under the forwarded address, never the proxy's own.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER_IP}


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "", "203.0.113.5"),
        (0, "203.0.113.5", "198.51.100.1", "203.0.113.5"),  # without a proxy the header is the client's word
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),  # the left part is forged
        (2, "10.0.0.3", "1.2.3.4, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "10.0.0.3", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "", "10.0.0.2"),
        (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
        (1, "10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_counts_trusted_proxies_from_the_right(settings, proxies, remote_addr, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


# --- Password reset ---------------------------------------------------------------------------


def test_a_known_address_gets_a_reset_link_that_sets_a_new_password(client, focal_point):
    response = client.post("/en/accounts/password-reset/", {"email": "FOCAL@justice.example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["focal@justice.example.org"]
    link = next(line for line in message.body.splitlines() if "/en/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]

    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "A new long passphrase", "new_password2": "A new long passphrase"},
    )

    assert done["Location"] == "/en/accounts/reset/done/"
    focal_point.refresh_from_db()
    assert focal_point.check_password("A new long passphrase")


def test_an_unknown_address_gets_the_same_page_and_no_mail(client, focal_point):
    known = client.post("/en/accounts/password-reset/", {"email": focal_point.email})
    unknown = client.post("/en/accounts/password-reset/", {"email": "nobody@justice.example.org"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) == 1
    page = client.get(unknown["Location"])
    assert "If an account uses the address you entered" in page.content.decode()


# --- Session lifetime ---------------------------------------------------------------------------


def _shift(client, **seconds_ago: int) -> None:
    session = client.session
    for key, seconds in seconds_ago.items():
        session[key] = session[key] - seconds
    session.save()


def test_a_session_ends_twelve_hours_after_sign_in_however_active(client, focal_point):
    client.force_login(focal_point)
    _shift(client, login_at=11 * 3600)
    assert client.get(WORKSPACE_URL).status_code == 200

    _shift(client, login_at=3600 + 1)
    response = client.get(WORKSPACE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert signed_in_user_id(client) is None


def test_a_session_ends_after_thirty_minutes_without_a_request(client, focal_point):
    client.force_login(focal_point)
    _shift(client, seen_at=29 * 60)
    assert client.get(WORKSPACE_URL).status_code == 200  # and the clock restarts

    _shift(client, seen_at=30 * 60 + 1)

    assert client.get(WORKSPACE_URL).status_code == 302
    assert signed_in_user_id(client) is None


def test_the_stored_session_expires_thirty_minutes_after_the_last_request(client, focal_point, settings):
    assert (settings.SESSION_COOKIE_AGE, settings.SESSION_SAVE_EVERY_REQUEST) == (1800, True)
    client.force_login(focal_point)
    client.get(WORKSPACE_URL)
    session = Session.objects.get(session_key=client.session.session_key)
    assert abs((session.expire_date - timezone.now()) - timedelta(minutes=30)) < timedelta(seconds=30)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))

    assert client.get(WORKSPACE_URL).status_code == 302


def test_a_session_without_a_sign_in_time_is_over(client, focal_point):
    client.force_login(focal_point)
    session = client.session
    del session[accounts.LOGIN_AT]
    session.save()

    assert client.get(WORKSPACE_URL).status_code == 302


def test_a_deactivated_user_is_signed_out_on_its_next_request(client, focal_point):
    client.force_login(focal_point)
    get_user_model().objects.filter(pk=focal_point.pk).update(is_active=False)

    assert client.get(WORKSPACE_URL).status_code == 302
    assert ">Sign in</a>" in client.get("/en/states/").content.decode()


# --- Security log --------------------------------------------------------------------------------


def _events(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "upr_portal.security"]


def test_sign_in_failures_lockout_and_sign_out_are_logged(client, focal_point, limit_3, caplog):
    caplog.set_level(logging.INFO, logger="upr_portal.security")
    sign_in(client, focal_point.email, ip=VICTIM_IP)
    client.post("/en/accounts/logout/", REMOTE_ADDR=VICTIM_IP)
    for _ in range(3):
        sign_in(client, "FOCAL@justice.example.org", password="guess", ip=ATTACKER_IP)

    events = _events(caplog)
    user, justice = focal_point.pk, "ministry-of-justice"
    assert [event.split(" ", 1)[0] for event in events] == [
        "login",
        "logout",
        "login_failed",
        "login_failed",
        "lockout",
        "login_failed",
    ]
    assert events[0].startswith(f"login user={user} organisation={justice} ip={VICTIM_IP} at=")
    assert events[1].startswith(f"logout user={user} organisation={justice} ip={VICTIM_IP} at=")
    hashed = username_hash("focal@justice.example.org")
    assert events[2].startswith(f"login_failed ip={ATTACKER_IP} username_hash={hashed} at=")
    assert events[4].startswith(f"lockout ip={ATTACKER_IP} username_hash={hashed} at=")
    assert "focal@" not in caplog.text
    assert all(record.security_at.endswith("Z") for record in caplog.records if hasattr(record, "security_at"))


def test_the_security_logger_is_configured(settings):
    assert settings.LOGGING["loggers"]["upr_portal.security"]["level"] == "INFO"
    assert logging.getLogger("upr_portal.security").isEnabledFor(logging.INFO)


def test_a_typed_value_cannot_forge_log_fields(caplog):
    caplog.set_level(logging.INFO, logger="upr_portal.security")
    security_event("session_expired", reason='idle ip=1.1.1.1\nlogin user="1"')

    (event,) = _events(caplog)
    assert "\n" not in event
    assert event.startswith('session_expired reason="idle ip=1.1.1.1\\nlogin user=\\"1\\"" at=')


def test_a_typed_address_is_logged_as_a_keyed_hash_and_stored_as_typed(caplog):
    caplog.set_level(logging.INFO, logger="upr_portal.security")
    security_event("login_failed", username="Activist@Rights.example.org")

    (event,) = _events(caplog)
    assert event.startswith(f"login_failed username_hash={username_hash('activist@rights.example.org')} at=")
    assert len(username_hash("x")) == 16
    assert SecurityEvent.objects.get().username == "Activist@Rights.example.org"


def test_a_malformed_address_is_refused_before_any_attempt(client, caplog):
    caplog.set_level(logging.INFO, logger="upr_portal.security")
    response = client.post(LOGIN_URL, {"username": "not an address", "password": "x"}, REMOTE_ADDR=VICTIM_IP)

    assert "Enter a valid email address." in response.content.decode()
    assert _events(caplog) == []
    assert AccessAttempt.objects.count() == 0


def test_django_axes_logs_the_typed_address_hashed_too(client, focal_point, caplog):
    caplog.set_level(logging.DEBUG)

    sign_in(client, "focal@justice.example.org", password="guess", ip=ATTACKER_IP)
    sign_in(client, "focal@justice.example.org", password="guess", ip=ATTACKER_IP)

    axes_lines = [record.getMessage() for record in caplog.records if record.name.startswith("axes")]
    assert any(username_hash("focal@justice.example.org") in line for line in axes_lines)
    assert "focal@" not in caplog.text
