"""API tokens: created and revoked in the profile page, used as `Authorization: Bearer <key>`."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from stakeholders.models import ApiToken, SecurityEvent
from stakeholders.services import api_token_create
from tests.pages import table
from tests.stakeholders.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE_URL = "/en/accounts/profile/"
NEW_TOKEN_URL = "/en/accounts/profile/tokens/"
ME_URL = "/api/v1/me/"
KEY = re.compile(r'<code class="api-token-key[^"]*">(upr_[A-Za-z0-9_-]{43})</code>')


@pytest.fixture(autouse=True)
def _own_cache(settings):
    # The throttles count in the cache: one of its own per test.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(uuid.uuid4())}
    }


def revoke_url(token: ApiToken) -> str:
    return f"/en/accounts/profile/tokens/{token.pk}/revoke/"


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


# --- Profile page -------------------------------------------------------------------------------


def test_the_profile_needs_a_signed_in_user(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/?next=/en/accounts/profile/"
    assert client.post(NEW_TOKEN_URL, {"token-name": "x"})["Location"].startswith("/en/accounts/login/")


def test_the_header_links_the_users_name_to_its_profile(client, focal_point):
    client.force_login(focal_point)

    content = client.get("/en/states/").content.decode()

    assert 'href="/en/accounts/profile/" >Ada Okafor<span class="visually-hidden"> – My profile</span></a>' in content
    assert 'href="/en/accounts/profile/" aria-current="page">' in client.get(PROFILE_URL).content.decode()


def test_creating_a_token_shows_its_key_once_and_stores_only_its_digest(client, focal_point):
    client.force_login(focal_point)

    response = client.post(NEW_TOKEN_URL, {"token-name": "weekly export"})

    assert response.status_code == 200
    key = KEY.search(response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (focal_point, "weekly export", key[:12])
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.values_list().get())
    assert "Copy it now: it is shown only this once." in response.content.decode()
    again = client.get(PROFILE_URL)
    assert key not in again.content.decode()
    assert key[:12] in again.content.decode()
    event = SecurityEvent.objects.get(event="api_token_created")
    assert (event.user, event.organisation.slug, event.details) == (
        focal_point,
        "ministry-of-justice",
        {"token": key[:12]},
    )


def test_a_token_needs_a_name_and_the_form_says_so(client, focal_point):
    client.force_login(focal_point)

    response = client.post(NEW_TOKEN_URL, {"token-name": "  "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_an_account_holds_at_most_twenty_tokens_and_the_form_says_why(client, focal_point, monkeypatch):
    monkeypatch.setattr("stakeholders.services.API_TOKENS_PER_USER", 2)
    for name in ("one", "two"):
        api_token_create(user=focal_point, name=name)
    client.force_login(focal_point)

    response = client.post(NEW_TOKEN_URL, {"token-name": "three"})

    assert response.status_code == 400
    assert "You have 2 API tokens, the most one account may have: revoke one you no longer use." in (
        response.content.decode()
    )
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["one", "two"]


def test_the_profile_lists_the_users_own_tokens_only(client, focal_point, django_assert_num_queries):
    mine, _key = api_token_create(user=focal_point, name="export")
    ApiToken.objects.filter(pk=mine.pk).update(
        created_at=timezone.make_aware(timezone.datetime(2026, 3, 1, 9, 30)),
        last_used_at=timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0)),
    )
    api_token_create(user=focal_point, name="backup")
    api_token_create(user=UserFactory(), name="someone else's")
    client.force_login(focal_point)

    # session, user, memberships, devices, tokens, and the session's update in a savepoint
    with django_assert_num_queries(8):
        response = client.get(PROFILE_URL)

    rows = table(response, "Your API tokens")
    assert [row[0] for row in rows] == ["backup", "export"]
    assert rows[1][1:4] == [f"{mine.prefix}…", "2026-03-01 09:30", "2026-03-02 10:00"]
    assert rows[0][3] == "never"
    assert "someone else" not in response.content.decode()


def test_a_user_revokes_its_own_token(client, focal_point):
    token, key = api_token_create(user=focal_point, name="export")
    client.force_login(focal_point)

    assert client.get(revoke_url(token)).status_code == 405
    response = client.post(revoke_url(token))

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/profile/#api-tokens"
    assert not ApiToken.objects.exists()
    assert SecurityEvent.objects.filter(event="api_token_revoked", user=focal_point).count() == 1
    assert bearer(key).get(ME_URL).status_code == 401


def test_another_users_token_is_a_404_and_stays(client, focal_point):
    theirs, _key = api_token_create(user=UserFactory(), name="theirs")
    client.force_login(focal_point)

    assert client.post(revoke_url(theirs)).status_code == 404
    assert client.post("/en/accounts/profile/tokens/999999/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


# --- Using a token ----------------------------------------------------------------------------------


def test_a_token_authenticates_and_records_its_last_use_once_a_minute(focal_point):
    token, key = api_token_create(user=focal_point, name="export")

    assert bearer(key).get(ME_URL).status_code == 200
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    bearer(key).get(ME_URL)
    token.refresh_from_db()
    assert token.last_used_at == first_use  # within the minute: not written again

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    bearer(key).get(ME_URL)
    token.refresh_from_db()
    assert token.last_used_at > first_use - timedelta(minutes=2)


def test_token_keyword_is_accepted_too(focal_point):
    _token, key = api_token_create(user=focal_point, name="export")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get(ME_URL).json()["email"] == "focal@justice.example.org"


@pytest.mark.parametrize(
    "header",
    ["Bearer upr_not-a-real-key", "Bearer", "Bearer two parts", "Token upr_unknown"],
)
def test_a_bad_token_is_a_401(focal_point, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_inactive_users_token_gets_the_same_answer_as_an_unknown_one(focal_point):
    _token, key = api_token_create(user=focal_point, name="export")
    focal_point.is_active = False
    focal_point.save(update_fields=["is_active"])

    inactive = bearer(key).get(ME_URL)
    unknown = bearer("upr_" + "x" * 43).get(ME_URL)

    assert inactive.status_code == unknown.status_code == 401
    assert inactive.json() == unknown.json() == {"detail": "Invalid token."}


def test_a_token_does_not_open_the_html_pages(client, focal_point):
    _token, key = api_token_create(user=focal_point, name="export")

    response = client.get("/en/workspace/", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 302
