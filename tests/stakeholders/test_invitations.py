"""Invitations: who may invite, the e-mail, and the single-use, expiring acceptance link."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from stakeholders import services
from stakeholders.models import Invitation, Membership, MembershipRole, SecurityEvent
from tests.pages import table
from tests.stakeholders.conftest import without_csrf
from tests.stakeholders.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 42"
LINK = re.compile(r"http://testserver/en/accounts/invitation/([A-Za-z0-9_-]{43})/")


def invite(client, organisation, email, role="contributor"):
    return client.post(
        f"/en/workspace/organisations/{organisation.slug}/invitations/new/", {"email": email, "role": role}
    )


def sent_secret(mailoutbox) -> str:
    return LINK.search(mailoutbox[-1].body).group(1)


def accept_url(secret: str) -> str:
    return f"/en/accounts/invitation/{secret}/"


def create(post_request, organisation, email, role, by, capture) -> Invitation:
    """An invitation made through the service, its e-mail sent (read the secret from the outbox)."""
    with capture(execute=True):
        invitation = services.invitation_create(
            organisation=organisation, email=email, role=role, by=by, request=post_request(by)
        )
    return invitation


def role_choices(response) -> list[str]:
    select = re.search(r'<select name="role".*?</select>', response.content.decode(), re.S).group(0)
    return re.findall(r'<option value="(\w+)"', select)


def same_page(response, other, path: str, other_path: str) -> bool:
    """The two pages are the same but for their own addresses (in the header's forms) and CSRF tokens."""
    first = without_csrf(response.content).decode().replace(path, "PATH")
    second = without_csrf(other.content).decode().replace(other_path, "PATH")
    return (response.status_code, first) == (other.status_code, second)


def new_account(first="Chidi", last="Nwosu", password=NEW_PASSWORD, confirm=None):
    return {"first_name": first, "last_name": last, "password": password, "password_confirm": confirm or password}


# --- Inviting -------------------------------------------------------------------------------------


def test_a_manager_invites_and_the_email_holds_the_link_and_only_its_organisation(
    client, manager, justice, health, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, justice, " New.Person@Example.org ", "validator")

    assert response.status_code == 302
    assert response["Location"] == "/en/workspace/organisations/ministry-of-justice/members/"
    invitation = Invitation.objects.get()
    assert (invitation.organisation, invitation.email, invitation.role, invitation.invited_by) == (
        justice,
        "new.person@example.org",
        "validator",
        manager,
    )
    assert invitation.expires_at - invitation.created_at == pytest.approx(timedelta(days=7), abs=timedelta(seconds=5))
    [message] = mailoutbox
    secret = sent_secret(mailoutbox)
    assert message.to == ["new.person@example.org"]
    assert message.subject == "Invitation to join Ministry of Justice on the UPR Portal"
    assert message.body == (
        "You are invited to join Ministry of Justice on the UPR Portal as Validator.\n\n"
        "Open this link to accept the invitation and set your password:\n\n"
        f"http://testserver/en/accounts/invitation/{secret}/\n\n"
        "The link works once and for 7 days.\n"
        "If you did not expect this invitation, ignore this e-mail.\n"
    )
    assert invitation.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(Invitation.objects.values_list())


def test_the_link_lasts_the_configured_number_of_days(
    settings, manager, justice, post_request, mailoutbox, django_capture_on_commit_callbacks
):
    settings.INVITATION_VALID_DAYS = 2

    invitation = create(post_request, justice, "new@example.org", "viewer", manager, django_capture_on_commit_callbacks)

    assert invitation.expires_at - invitation.created_at == pytest.approx(timedelta(days=2), abs=timedelta(seconds=5))
    assert "The link works once and for 2 days." in mailoutbox[0].body


def test_no_email_is_sent_when_the_transaction_rolls_back(manager, justice, post_request, mailoutbox):
    # Without the commit (the test's transaction never commits) nothing is sent.
    services.invitation_create(
        organisation=justice, email="new@example.org", role="viewer", by=manager, request=post_request(manager)
    )

    assert mailoutbox == []


def test_inviting_is_logged_without_the_invitees_address(
    manager, justice, post_request, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = create(post_request, justice, "new@example.org", "viewer", manager, django_capture_on_commit_callbacks)

    event = SecurityEvent.objects.get(event="invitation_sent")
    assert (event.user, event.organisation, event.ip, event.details) == (
        manager,
        justice,
        "203.0.113.9",
        {"invitation": invitation.pk, "role": "viewer"},
    )


def test_a_new_invitation_replaces_the_pending_one_for_the_same_address(
    client, manager, justice, post_request, mailoutbox, django_capture_on_commit_callbacks
):
    first = create(post_request, justice, "new@example.org", "viewer", manager, django_capture_on_commit_callbacks)
    first_secret = sent_secret(mailoutbox)
    second = create(post_request, justice, "NEW@example.org", "manager", manager, django_capture_on_commit_callbacks)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert list(Invitation.objects.pending()) == [second]
    assert client.get(accept_url(first_secret)).status_code == 404
    assert client.get(accept_url(sent_secret(mailoutbox))).status_code == 200


def test_an_active_member_is_not_invited_again(client, manager, justice, focal_point, mailoutbox):
    client.force_login(manager)

    response = invite(client, justice, "FOCAL@justice.example.org")

    assert response.status_code == 200
    assert "This person is already a member of the organisation." in response.content.decode()
    assert 'value="FOCAL@justice.example.org"' in response.content.decode()  # what was typed is kept
    assert (Invitation.objects.count(), mailoutbox) == (0, [])


def test_a_former_member_may_be_invited_back(manager, justice, focal_point, post_request):
    Membership.objects.filter(user=focal_point).update(is_active=False)

    invitation = services.invitation_create(
        organisation=justice, email=focal_point.email, role="viewer", by=manager, request=post_request(manager)
    )

    assert invitation.is_pending


def test_a_contributor_may_see_the_members_but_not_invite(client, focal_point, justice, post_request):
    client.force_login(focal_point)

    assert invite(client, justice, "new@example.org").status_code == 403
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            organisation=justice,
            email="x@example.org",
            role="viewer",
            by=focal_point,
            request=post_request(focal_point),
        )
    assert Invitation.objects.count() == 0


def test_a_manager_of_another_organisation_gets_a_404(client, justice, health):
    other = MembershipFactory(organisation=health, role=MembershipRole.MANAGER).user
    client.force_login(other)

    assert invite(client, justice, "new@example.org").status_code == 404
    assert client.get("/en/workspace/organisations/ministry-of-justice/invitations/new/").status_code == 404


def test_the_secretariat_invites_into_an_open_organisation_with_any_role(
    client, officer, justice, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, justice, "new@example.org", "contributor")

    assert response["Location"] == "/en/workspace/organisations/ministry-of-justice/members/"
    assert Invitation.objects.get().role == "contributor"


def test_the_secretariat_invites_only_the_first_manager_of_an_empty_cso(
    client, officer, cso, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    form = client.get("/en/workspace/organisations/rights-watch/invitations/new/")

    with django_capture_on_commit_callbacks(execute=True):
        as_contributor = invite(client, cso, "first@cso.example.org", "contributor")
        as_manager = invite(client, cso, "first@cso.example.org", "manager")

    assert form.status_code == 200
    assert role_choices(form) == ["manager"]
    assert as_contributor.status_code == 200  # not a choice offered
    assert as_manager.status_code == 302
    assert as_manager["Location"] == "/en/workspace/"  # the CSO's member page stays closed to it
    assert list(Invitation.objects.values_list("email", "role")) == [("first@cso.example.org", "manager")]
    assert mailoutbox[0].subject == "Invitation to join Rights Watch Nigeria on the UPR Portal"


def test_the_secretariat_cannot_invite_into_a_cso_that_has_members(client, officer, cso, post_request):
    MembershipFactory(organisation=cso, role=MembershipRole.MANAGER)
    client.force_login(officer)
    unknown = client.get("/en/workspace/organisations/no-such-organisation/invitations/new/")

    response = client.get("/en/workspace/organisations/rights-watch/invitations/new/")

    assert response.status_code == 404
    assert same_page(
        response,
        unknown,
        "/en/workspace/organisations/rights-watch/invitations/new/",
        "/en/workspace/organisations/no-such-organisation/invitations/new/",
    )
    assert invite(client, cso, "spy@example.org", "manager").status_code == 404
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            organisation=cso, email="spy@example.org", role="manager", by=officer, request=post_request(officer)
        )


def test_a_superuser_without_membership_cannot_invite(client, justice, cso):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)

    assert invite(client, justice, "new@example.org").status_code == 404
    assert invite(client, cso, "new@example.org", "manager").status_code == 404
    assert Invitation.objects.count() == 0


def test_inviting_needs_signing_in(client, justice):
    response = invite(client, justice, "new@example.org")

    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/?next=")


# --- Accepting ------------------------------------------------------------------------------------


@pytest.fixture
def invitation_link(manager, justice, post_request, mailoutbox, django_capture_on_commit_callbacks):
    """A pending invitation of new@example.org as contributor at the Ministry of Justice: its secret."""
    create(post_request, justice, "new@example.org", "contributor", manager, django_capture_on_commit_callbacks)
    return sent_secret(mailoutbox)


def test_the_invitation_page_names_the_organisation_and_role(client, invitation_link):
    response = client.get(accept_url(invitation_link))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Join Ministry of Justice</h1>" in content
    assert "You are invited to join Ministry of Justice as Contributor, with the e-mail address new@example.org." in (
        " ".join(content.split())
    )
    assert '<label class="form-label" for="id_password">Password</label>' in content


def test_accepting_creates_the_account_signs_in_and_acts_for_the_organisation(
    client, invitation_link, justice, manager, health
):
    MembershipFactory(user__email="new-elsewhere@example.org", organisation=health)

    response = client.post(accept_url(invitation_link), new_account())

    assert response.status_code == 302
    assert response["Location"] == "/en/workspace/"
    user = get_user_model().objects.get(email="new@example.org")
    assert (user.username, user.first_name, user.last_name) == ("new@example.org", "Chidi", "Nwosu")
    assert user.check_password(NEW_PASSWORD)
    assert client.session[SESSION_KEY] == str(user.pk)
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.role, membership.is_active) == (justice, "contributor", True)
    invitation = Invitation.objects.get()
    assert (invitation.accepted_by, invitation.is_pending) == (user, False)
    workspace = client.get("/en/workspace/")
    assert table(workspace, "Your organisations") == [
        ["Ministry of Justice", "Government entity", "Contributor", "yes"]
    ]
    assert "Welcome: you are now Contributor of Ministry of Justice." in workspace.content.decode()
    accepted = SecurityEvent.objects.get(event="invitation_accepted")
    assert (accepted.user, accepted.organisation, accepted.details) == (
        user,
        justice,
        {"invitation": invitation.pk, "role": "contributor"},
    )
    role_change = SecurityEvent.objects.get(event="membership_role_change")
    assert role_change.details == {"role": "contributor", "previous": "none", "by": manager.pk}


def test_a_weak_password_is_refused_and_the_name_kept(client, invitation_link):
    response = client.post(accept_url(invitation_link), new_account(password="password"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "This password is too common." in content
    assert 'value="Chidi"' in content
    assert 'value="password"' not in content
    assert not get_user_model().objects.filter(email="new@example.org").exists()
    assert Invitation.objects.get().is_pending


def test_a_password_like_the_address_is_refused(client, invitation_link):
    response = client.post(accept_url(invitation_link), new_account(password="new@example.org1"))

    assert "The password is too similar to the email address." in response.content.decode()
    assert Invitation.objects.get().is_pending


def test_the_two_passwords_must_match(client, invitation_link):
    response = client.post(accept_url(invitation_link), new_account(confirm="another long passphrase 42"))

    assert "The two passwords differ." in response.content.decode()
    assert not get_user_model().objects.filter(email="new@example.org").exists()


def invalid_page(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_link_works_once(client, invitation_link):
    client.post(accept_url(invitation_link), new_account())
    client.post("/en/accounts/logout/")

    again = client.get(accept_url(invitation_link))
    post_again = client.post(accept_url(invitation_link), new_account(first="Someone", password="other passphrase 77"))

    assert (again.status_code, post_again.status_code) == (404, 404)
    assert "This invitation link is not valid" in invalid_page(again)
    assert "Ministry of Justice" not in invalid_page(again)
    assert get_user_model().objects.get(email="new@example.org").check_password(NEW_PASSWORD)


def test_the_service_refuses_a_second_use(invitation_link, rf):
    request = rf.post("/")
    request.user = AnonymousUser()
    services.invitation_accept(
        secret=invitation_link, password=NEW_PASSWORD, first_name="A", last_name="B", request=request
    )

    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(
            secret=invitation_link, password=NEW_PASSWORD, first_name="A", last_name="B", request=request
        )


@pytest.mark.parametrize("state", ["expired", "revoked", "unknown"])
def test_expired_revoked_and_unknown_links_show_one_page(client, invitation_link, state):
    unknown_page = client.get(accept_url("x" * 43))
    if state == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "revoked":
        Invitation.objects.update(revoked_at=timezone.now())
    secret = "y" * 43 if state == "unknown" else invitation_link

    page = client.get(accept_url(secret))
    post = client.post(accept_url(secret), new_account())

    assert (page.status_code, post.status_code) == (404, 404)
    assert same_page(page, unknown_page, accept_url(secret), accept_url("x" * 43))
    assert "Ministry of Justice" not in invalid_page(page)
    assert not get_user_model().objects.filter(email="new@example.org").exists()


def test_the_manager_revokes_a_pending_invitation(client, manager, justice, invitation_link):
    client.force_login(manager)
    invitation = Invitation.objects.get()

    response = client.post(
        "/en/workspace/organisations/ministry-of-justice/invitations/revoke/", {"invitation": invitation.pk}
    )

    assert response["Location"] == "/en/workspace/organisations/ministry-of-justice/members/"
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    event = SecurityEvent.objects.get(event="invitation_revoked")
    assert (event.user, event.organisation, event.details) == (manager, justice, {"invitation": invitation.pk})
    client.post("/en/accounts/logout/")
    assert client.get(accept_url(invitation_link)).status_code == 404


def test_an_invitation_of_another_organisation_cannot_be_revoked_through_ones_own(
    client, manager, health, post_request, django_capture_on_commit_callbacks, mailoutbox
):
    health_manager = MembershipFactory(organisation=health, role=MembershipRole.MANAGER).user
    other = create(post_request, health, "x@example.org", "viewer", health_manager, django_capture_on_commit_callbacks)
    client.force_login(manager)

    response = client.post(
        "/en/workspace/organisations/ministry-of-justice/invitations/revoke/", {"invitation": other.pk}
    )

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_pending


# --- An address that already has an account ----------------------------------------------------


@pytest.fixture
def existing_link(manager, justice, health, post_request, mailoutbox, django_capture_on_commit_callbacks):
    """An invitation to the Ministry of Justice for a Ministry of Health member's address."""
    MembershipFactory(user__email="nurse@health.example.org", organisation=health, role=MembershipRole.VIEWER)
    create(post_request, justice, "nurse@health.example.org", "viewer", manager, django_capture_on_commit_callbacks)
    return sent_secret(mailoutbox)


def test_an_existing_account_must_sign_in_and_its_password_is_not_touched(client, existing_link):
    page = client.get(accept_url(existing_link))
    post = client.post(accept_url(existing_link), new_account(password="hijacked passphrase 99"))

    user = get_user_model().objects.get(email="nurse@health.example.org")
    assert "This address already has an account. Sign in with it" in page.content.decode()
    assert f'href="/en/accounts/login/?next=/en/accounts/invitation/{existing_link}/"' in page.content.decode()
    assert 'name="password"' not in page.content.decode()
    assert post.status_code == 200
    assert user.check_password(PASSWORD)
    assert SESSION_KEY not in client.session
    assert Membership.objects.filter(user=user).count() == 1
    assert Invitation.objects.get().is_pending


def test_signed_in_as_the_invited_address_it_joins(client, existing_link, justice):
    user = get_user_model().objects.get(email="nurse@health.example.org")
    client.force_login(user)

    page = client.get(accept_url(existing_link))
    response = client.post(accept_url(existing_link))

    assert '<button class="btn btn-primary" type="submit">Join</button>' in page.content.decode()
    assert response["Location"] == "/en/workspace/"
    assert Membership.objects.get(user=user, organisation=justice).role == "viewer"
    assert user.check_password(PASSWORD)
    rows = table(client.get("/en/workspace/"), "Your organisations")
    assert [row[0] for row in rows if row[3] == "yes"] == ["Ministry of Justice"]


def test_signed_in_as_someone_else_nothing_happens(client, existing_link, focal_point):
    client.force_login(focal_point)

    page = client.get(accept_url(existing_link))
    client.post(accept_url(existing_link), new_account())

    assert "You are signed in as focal@justice.example.org, but this invitation is for another address." in (
        " ".join(page.content.decode().split())
    )
    assert Invitation.objects.get().is_pending
    assert not Membership.objects.filter(
        user__email="nurse@health.example.org", organisation__slug="ministry-of-justice"
    )


def test_the_service_refuses_an_existing_account_that_is_not_signed_in(existing_link, rf):
    request = rf.post("/")
    request.user = AnonymousUser()

    with pytest.raises(services.InvitationNeedsSignIn):
        services.invitation_accept(
            secret=existing_link, password="hijacked passphrase 99", first_name="", last_name="", request=request
        )


def test_the_service_validates_the_password_of_a_new_account(invitation_link, rf):
    request = rf.post("/")
    request.user = AnonymousUser()

    with pytest.raises(ValidationError) as raised:
        services.invitation_accept(secret=invitation_link, password="123", first_name="", last_name="", request=request)

    assert raised.value.message_dict["password"][0] == (
        "This password is too short. It must contain at least 8 characters."
    )


# --- Confidential organisations: no way in for the government once they have members ----------


def test_the_secretariat_has_one_first_manager_invitation_at_a_time(
    officer, cso, post_request, mailoutbox, django_capture_on_commit_callbacks
):
    first = create(post_request, cso, "first@cso.example.org", "manager", officer, django_capture_on_commit_callbacks)
    second = create(post_request, cso, "other@cso.example.org", "manager", officer, django_capture_on_commit_callbacks)

    first.refresh_from_db()
    assert (first.is_pending, second.is_pending) == (False, True)


def test_the_secretariats_invitation_dies_once_the_cso_has_members(
    client, officer, cso, post_request, mailoutbox, django_capture_on_commit_callbacks
):
    create(post_request, cso, "spy@example.org", "manager", officer, django_capture_on_commit_callbacks)
    secret = sent_secret(mailoutbox)
    MembershipFactory(organisation=cso, role=MembershipRole.MANAGER)  # the CSO organised itself meanwhile

    assert client.get(accept_url(secret)).status_code == 404
    assert client.post(accept_url(secret), new_account()).status_code == 404
    assert not Membership.objects.filter(user__email="spy@example.org").exists()


def test_a_cso_managers_invitation_works_and_dies_with_its_managership(
    client, cso, post_request, mailoutbox, django_capture_on_commit_callbacks
):
    founder = MembershipFactory(organisation=cso, role=MembershipRole.MANAGER)
    MembershipFactory(organisation=cso, role=MembershipRole.MANAGER)
    create(post_request, cso, "one@cso.example.org", "viewer", founder.user, django_capture_on_commit_callbacks)
    works = sent_secret(mailoutbox)
    create(post_request, cso, "two@cso.example.org", "viewer", founder.user, django_capture_on_commit_callbacks)
    dies = sent_secret(mailoutbox)

    assert client.post(accept_url(works), new_account())["Location"] == "/en/workspace/"
    client.post("/en/accounts/logout/")
    Membership.objects.filter(pk=founder.pk).update(is_active=False)
    assert client.get(accept_url(dies)).status_code == 404


def test_the_email_is_written_in_the_inviters_language(
    client, manager, justice, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/fr/workspace/organisations/ministry-of-justice/invitations/new/",
            {"email": "nouveau@example.org", "role": "viewer"},
        )

    [message] = mailoutbox
    secret = re.search(r"http://testserver/fr/accounts/invitation/([\w-]{43})/", message.body).group(1)
    assert message.subject == "Invitation à rejoindre Ministry of Justice sur le Portail EPU"
    assert message.body.splitlines()[0] == (
        "Vous êtes invité·e à rejoindre Ministry of Justice sur le Portail EPU en tant que Lecteur."
    )
    assert "Le lien ne sert qu'une fois et reste valable 7 jours." in message.body
    assert client.get(f"/fr/accounts/invitation/{secret}/").status_code == 200


def test_a_mail_server_failure_keeps_the_invitation_and_logs_no_address(
    manager, justice, post_request, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def refuse(self, fail_silently=False):
        raise OSError("550 no such user: secret.person@example.org")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)

    invitation = create(
        post_request, justice, "secret.person@example.org", "viewer", manager, django_capture_on_commit_callbacks
    )

    assert Invitation.objects.get() == invitation
    assert [record.getMessage() for record in caplog.records if record.name == "stakeholders.services"] == [
        f"invitation {invitation.pk}: e-mail not sent (OSError); send the invitation again"
    ]
    assert "secret.person" not in caplog.text
