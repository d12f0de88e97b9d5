"""The world of the access tests: one organisation per kind with a member per role, the
public data, Django staff and a superuser, and secrets planted in the confidential
organisations (marker strings that no other persona may ever read).

Built once per test module inside a transaction that is rolled back at the end; each test
runs in a savepoint within it (pytest-django's `db`), so the tests stay independent.
"""

from __future__ import annotations

import datetime
import io
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from recommendations.models import (
    AffectedGroup,
    ImplementationStatus,
    ImportRun,
    Mechanism,
    Recommendation,
    RecommendationChange,
    Review,
    SdgGoal,
    SdgTarget,
    StatusChange,
    StatusSource,
    Theme,
)
from recommendations.services import recommendation_set_status, recommendations_import
from stakeholders.models import ApiToken, Invitation, Membership, MembershipRole, Organisation, SecurityEvent, State
from stakeholders.security import security_event
from tests.access.personas import CONFIDENTIAL, KINDS, PERSONAS, Persona
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "data"

# Every marker contains MARKER, so one search finds any of them.
MARKER = "quixmarker"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    organisations: dict[str, Organisation]
    users: dict[str, object]  # persona name -> user
    recommendation: Recommendation
    review_key: str
    theme_slug: str
    group_slug: str
    # Admin object ids by "app_label.model" (None: no such object in the world).
    admin_ids: dict[str, int | None]
    # Secrets of each confidential organisation (kind key -> marker strings).
    secrets: dict[str, list[str]] = field(default_factory=dict)
    # Users holding the secrets (kind key -> the marker member).
    secret_members: dict[str, object] = field(default_factory=dict)
    # Ids of the secret rows, for the routes that name them.
    secret_memberships: dict[str, int] = field(default_factory=dict)
    secret_invitations: dict[str, int] = field(default_factory=dict)
    secret_tokens: dict[str, int] = field(default_factory=dict)
    # Admin pages of the secret rows (kind key -> URLs).
    secret_admin_urls: dict[str, list[str]] = field(default_factory=dict)
    # Signed-in session keys by persona name.
    sessions: dict[str, str] = field(default_factory=dict)

    def markers_hidden_from(self, persona: Persona) -> list[str]:
        """The markers `persona` must never read: those of every organisation but its own."""
        return [marker for kind, markers in self.secrets.items() if kind != persona.kind for marker in markers]


def _build_world() -> World:
    nigeria = State.objects.get(iso3="NGA")
    brazil = State.objects.get(iso3="BRA")
    organisations = {
        key: OrganisationFactory(
            slug=f"{key}-organisation",
            name=f"The {key} organisation",
            kind=kind,
            country=nigeria,
            represents=brazil if key == "embassy" else None,
        )
        for key, kind in KINDS.items()
    }
    users = {}
    for persona in PERSONAS:
        if persona.anonymous:
            continue
        user = UserFactory(email=persona.email, first_name=persona.name, last_name="Persona", is_staff=persona.staff)
        if persona.superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        elif persona.staff:
            user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
        if persona.kind:
            MembershipFactory(user=user, organisation=organisations[persona.kind], role=persona.role)
        users[persona.name] = user
    recommendations_import(path=DATA / "uhri" / "uhri_sample.xlsx")
    government = organisations["government"]
    open_member = users["government-contributor"]
    Invitation.objects.create(
        organisation=government,
        email="invitee@government.example.org",
        role=MembershipRole.VIEWER,
        digest=secrets.token_hex(32),
        expires_at=timezone.now() + timedelta(days=7),
    )
    security_event("login", user=open_member, organisation=government)
    # Not a persona's: a confirmed device would send its unverified session to the code step.
    device_owner = UserFactory(email="device.owner@government.example.org")
    MembershipFactory(user=device_owner, organisation=government, role=MembershipRole.VIEWER)
    device = TOTPDevice.objects.create(user=device_owner, name="phone", confirmed=True)
    recommendation = Recommendation.objects.order_by("pk").first()
    recommendation_set_status(
        recommendation=recommendation,
        status=ImplementationStatus.IN_PROGRESS,
        effective_date=datetime.date(2026, 1, 15),
        source=StatusSource.MANUAL,
    )
    run = ImportRun.objects.create(filename="sample.xlsx", status=ImportRun.Status.SUCCEEDED)
    RecommendationChange.objects.create(recommendation=recommendation, import_run=run, field="text")
    admin_ids = {
        "otp_totp.totpdevice": device.pk,
        "auth.group": Group.objects.create(name="Editors").pk,
        "auth.user": open_member.pk,
        "stakeholders.state": nigeria.pk,
        "stakeholders.organisation": government.pk,
        "stakeholders.membership": Membership.objects.get(user=open_member).pk,
        "stakeholders.invitation": Invitation.objects.get(organisation=government).pk,
        "stakeholders.securityevent": SecurityEvent.objects.get(user=open_member).pk,
    }
    for model in (
        Mechanism,
        Review,
        Theme,
        AffectedGroup,
        SdgGoal,
        SdgTarget,
        Recommendation,
        StatusChange,
        RecommendationChange,
        ImportRun,
    ):
        admin_ids[model._meta.label_lower] = model.objects.order_by("pk").values_list("pk", flat=True).first()
    world = World(
        organisations=organisations,
        users=users,
        recommendation=recommendation,
        review_key=Review.objects.select_related("mechanism", "state").order_by("pk").first().key,
        theme_slug=Theme.objects.order_by("pk").first().slug,
        group_slug=AffectedGroup.objects.order_by("pk").first().slug,
        admin_ids=admin_ids,
    )
    for kind in sorted(CONFIDENTIAL):
        _plant_secrets(world, kind)
    world.sessions = {name: _session_key(user) for name, user in users.items()}
    return world


def _session_key(user) -> str:
    """A signed-in session (acting for the user's organisation), made once for the module."""
    client = Client()
    client.force_login(user, backend="stakeholders.backends.EmailBackend")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _plant_secrets(world: World, kind: str) -> None:
    """A member, a pending invitation, an API token and security events of a confidential
    organisation, each carrying a unique marker string."""
    organisation = world.organisations[kind]
    tag = f"{MARKER}{kind.replace('-', '')}"
    member = UserFactory(email=f"{tag}.member@secret.example.org", first_name=f"{tag}first", last_name=f"{tag}last")
    membership = MembershipFactory(user=member, organisation=organisation, role=MembershipRole.CONTRIBUTOR)
    invitee = f"{tag}.invitee@secret.example.org"
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=invitee,
        role=MembershipRole.VIEWER,
        digest=secrets.token_hex(32),
        expires_at=timezone.now() + timedelta(days=7),
    )
    token = ApiToken.objects.create(
        user=member, name=f"{tag}token", prefix=secrets.token_hex(4), digest=secrets.token_hex(32)
    )
    device = TOTPDevice.objects.create(user=member, name=f"{tag}device", confirmed=True)
    security_event("login", user=member, organisation=organisation, client=f"{tag}client")
    security_event("session_expired", user=member, reason=f"{tag}reason")
    security_event("login_failed", username=member.email)
    events = SecurityEvent.objects.filter(Q(user=member) | Q(username=member.email)).values_list("pk", flat=True)
    world.secret_admin_urls[kind] = [
        f"/admin/auth/user/{member.pk}/change/",
        f"/admin/auth/user/{member.pk}/password/",
        f"/admin/auth/user/{member.pk}/history/",
        f"/admin/stakeholders/membership/{membership.pk}/change/",
        f"/admin/stakeholders/invitation/{invitation.pk}/change/",
        *(f"/admin/stakeholders/securityevent/{pk}/change/" for pk in events),
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        f"/admin/otp_totp/totpdevice/{device.pk}/config/",
        f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/",
    ]
    world.secrets[kind] = [
        member.email,
        f"{tag}first",
        f"{tag}last",
        invitee,
        f"{tag}token",
        f"{tag}device",
        f"{tag}client",
        f"{tag}reason",
    ]
    world.secret_members[kind] = member
    world.secret_memberships[kind] = membership.pk
    world.secret_invitations[kind] = invitation.pk
    world.secret_tokens[kind] = token.pk


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    # The sessions are made once, and each test's requests roll back their "last seen" stamp:
    # a slow machine must not see them expire as idle halfway through the module.
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS, SESSION_COOKIE_AGE=86400):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def client_for(world: World, persona: Persona) -> Client:
    """A test client signed in as `persona` (acting for its organisation), or anonymous."""
    client = Client(REMOTE_ADDR="203.0.113.9")
    if persona.signed_in:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona.name]
    return client


def response_text(response) -> str:
    """Everything a response carries, lower-cased: its body (streamed or not, the sheets of an
    XLSX file unzipped) and its headers."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":  # an XLSX (zip) file: search the XML it holds
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
    headers = " ".join(f"{key}: {value}" for key, value in response.items())
    return (headers + "\n" + body.decode("utf-8", errors="replace")).lower()


def leaked(text: str, markers: list[str]) -> list[str]:
    """The markers found in `text` (already lower-cased)."""
    return [marker for marker in markers if marker.lower() in text]
