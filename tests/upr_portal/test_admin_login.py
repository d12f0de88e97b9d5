"""Signing in to the admin goes through the portal's own sign-in (second factor, lockout)."""

import pytest

from tests.stakeholders.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_an_anonymous_visitor_of_the_admin_is_sent_to_the_portals_sign_in_and_back(client):
    UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)

    assert client.get("/admin/recommendations/")["Location"] == "/admin/login/?next=/admin/recommendations/"
    assert client.get("/admin/login/?next=/admin/recommendations/")["Location"] == (
        "/en/accounts/login/?next=/admin/recommendations/"
    )
    response = client.post(
        "/en/accounts/login/?next=/admin/recommendations/",
        {"username": "staff@example.org", "password": PASSWORD, "next": "/admin/recommendations/"},
    )
    assert response["Location"] == "/admin/recommendations/"
    assert client.get("/admin/recommendations/").status_code == 200


@pytest.mark.django_db
def test_a_posted_admin_form_signs_nobody_in(client):
    UserFactory(email="staff@example.org", is_staff=True)

    response = client.post("/admin/login/", {"username": "staff@example.org", "password": PASSWORD})

    assert response["Location"] == "/en/accounts/login/?next=/admin/"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_signed_in_user_who_is_not_staff_sees_the_admins_refusal(client):
    client.force_login(UserFactory(email="someone@example.org"))

    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert "You are authenticated as someone@example.org, but are not authorized" in response.content.decode()
