"""Writes for accounts and memberships. Unique e-mail addresses are enforced here."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stakeholders.models import Invitation, Membership, MembershipRole, Organisation
from stakeholders.permissions import can, is_confidential
from stakeholders.security import security_event

logger = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    """One spelling per address: sign-in matches any case, storage keeps lower case."""
    return email.strip().lower()


@transaction.atomic
def user_create(*, email: str, first_name: str = "", last_name: str = "", password: str | None = None):
    """A new user whose username is its e-mail address; no password: it must reset one."""
    user_model = get_user_model()
    email = normalise_email(email)
    if user_model._default_manager.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail address already exists.")}, code="unique")
    user = user_model(username=email, email=email, first_name=first_name, last_name=last_name)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean()
    user.save()
    return user


def membership_set_role(
    *,
    user: AbstractBaseUser,
    organisation: Organisation,
    role: MembershipRole | str,
    by: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    """Give `user` `role` in `organisation` (creating or reactivating the membership); logged."""
    role = MembershipRole(role)
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        previous = None if created or not membership.is_active else membership.role
        if created or previous != role or not membership.is_active:
            membership.role = role
            membership.is_active = True
            membership.save(update_fields=["role", "is_active"])
        else:
            return membership
    security_event(
        "membership_role_change",
        request=request,
        user=user,
        organisation=organisation,
        role=role.value,
        previous=previous or "none",
        by=getattr(by, "pk", None),
    )
    return membership


def membership_deactivate(
    *, membership: Membership, by: AbstractBaseUser | None = None, request: HttpRequest | None = None
) -> None:
    """The member can no longer act for the organisation, from its next request on."""
    if not membership.is_active:
        return
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    security_event(
        "membership_role_change",
        request=request,
        user=membership.user,
        organisation=membership.organisation,
        role="none",
        previous=membership.role,
        by=getattr(by, "pk", None),
    )


# --- Invitations and member management ----------------------------------------------------------


class InvitationInvalid(Exception):
    """The link is unknown, expired, revoked or already used (the page never says which)."""


class InvitationNeedsSignIn(Exception):
    """The invited address has an account: its owner must accept signed in as that address."""


def invitation_digest(secret: str) -> str:
    """What is stored of an invitation link's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def invitation_for_secret(secret: str) -> Invitation | None:
    """The usable invitation a link's secret stands for (pending, its inviter still entitled), or None."""
    invitation = (
        Invitation.objects.pending().select_related("organisation").filter(digest=invitation_digest(secret)).first()
    )
    return invitation if invitation is not None and _inviter_still_may_invite(invitation) else None


def invitation_create(
    *, organisation: Organisation, email: str, role: MembershipRole | str, by: AbstractBaseUser, request: HttpRequest
) -> Invitation:
    """Invite `email` to join `organisation` as `role`, replacing its earlier pending invitations.

    The link's secret is mailed once the transaction commits and only its digest is kept.
    The secretariat may invite into an empty confidential organisation its first manager only.
    """
    role = MembershipRole(role)
    email = normalise_email(email)
    if not can(by, "stakeholders.invite_member", organisation):
        raise PermissionDenied
    if role != MembershipRole.MANAGER and not can(by, "stakeholders.manage_members", organisation):
        raise PermissionDenied
    if Membership.objects.active().filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member of the organisation.")}, code="member")
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    earlier = Invitation.objects.pending().filter(organisation=organisation)
    if can(by, "stakeholders.manage_members", organisation):
        earlier = earlier.filter(email=email)
    # Else the secretariat invites an empty confidential organisation's first manager: one
    # such invitation at a time, so that it cannot slip in a second "first" manager.
    with transaction.atomic():
        earlier.update(revoked_at=now)
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            digest=invitation_digest(secret),
            invited_by=by,
            expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        message = _invitation_message(invitation, secret, request)
        transaction.on_commit(partial(_send_invitation, message, invitation.pk))
    # The invitee's address stays out of the log: a CSO's invitations are its member list.
    security_event(
        "invitation_sent",
        request=request,
        user=by,
        organisation=organisation,
        invitation=invitation.pk,
        role=role.value,
    )
    return invitation


def _send_invitation(message: EmailMessage, invitation_id: int) -> None:
    """Send after commit; a mail server failure must not turn the saved invitation into a 500.

    The error is logged without its text, which may name the invitee's address.
    """
    try:
        message.send()
    except Exception as exc:
        logger.error(
            "invitation %s: e-mail not sent (%s); send the invitation again", invitation_id, type(exc).__name__
        )


def _invitation_message(invitation: Invitation, secret: str, request: HttpRequest) -> EmailMessage:
    """The e-mail, rendered now in the inviter's language; it names the organisation only."""
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "link": request.build_absolute_uri(reverse("invitation_accept", kwargs={"secret": secret})),
        "valid_days": settings.INVITATION_VALID_DAYS,
    }
    subject = " ".join(render_to_string("stakeholders/invitation_subject.txt", context).split())
    body = render_to_string("stakeholders/invitation_email.txt", context)
    return EmailMessage(subject=subject, body=body, to=[invitation.email])


def invitation_accept(
    *, secret: str, password: str, first_name: str, last_name: str, request: HttpRequest
) -> Membership:
    """Use the invitation (once): create the invitee's account, or for an existing account
    require its owner to be signed in, then give it the invited role.

    Raises InvitationInvalid, InvitationNeedsSignIn, or ValidationError for the password.
    """
    user_model = get_user_model()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .filter(digest=invitation_digest(secret))
            .first()
        )
        if invitation is None or not invitation.is_pending or not _inviter_still_may_invite(invitation):
            raise InvitationInvalid
        user = user_model._default_manager.filter(email__iexact=invitation.email).first()
        if user is not None:
            # An invitation link must never set or bypass an existing account's password.
            if not (request.user.is_authenticated and request.user.pk == user.pk):
                raise InvitationNeedsSignIn
        else:
            candidate = user_model(email=invitation.email, first_name=first_name, last_name=last_name)
            try:
                password_validation.validate_password(password, user=candidate)
            except ValidationError as error:
                raise ValidationError({"password": error.messages}) from error
            user = user_create(email=invitation.email, first_name=first_name, last_name=last_name, password=password)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        membership = membership_set_role(
            user=user,
            organisation=invitation.organisation,
            role=invitation.role,
            by=invitation.invited_by,
            request=request,
        )
    security_event(
        "invitation_accepted",
        request=request,
        user=user,
        organisation=invitation.organisation,
        invitation=invitation.pk,
        role=invitation.role,
    )
    return membership


def _inviter_still_may_invite(invitation: Invitation) -> bool:
    """Into a confidential organisation, an invitation from anyone but one of its active
    managers (the secretariat's first-manager invitation, a manager since removed) works
    only while the organisation has no members: it never lets the government add a member
    to a CSO or NHRI that already has some."""
    organisation = invitation.organisation
    if not is_confidential(organisation):
        return True
    members = Membership.objects.active().filter(organisation=organisation)
    if members.filter(user_id=invitation.invited_by_id, role=MembershipRole.MANAGER).exists():
        return True
    return not members.exists()


def invitation_revoke(*, invitation: Invitation, by: AbstractBaseUser, request: HttpRequest) -> None:
    """The link stops working; the inviter may send a new one."""
    if not can(by, "stakeholders.invite_member", invitation.organisation):
        raise PermissionDenied
    updated = Invitation.objects.pending().filter(pk=invitation.pk).update(revoked_at=timezone.now())
    if updated:
        security_event(
            "invitation_revoked",
            request=request,
            user=by,
            organisation=invitation.organisation,
            invitation=invitation.pk,
        )


def member_change_role(
    *, membership: Membership, role: MembershipRole | str, by: AbstractBaseUser, request: HttpRequest
) -> Membership:
    """Change a member's role; the organisation's last active manager stays a manager."""
    role = MembershipRole(role)
    organisation = membership.organisation
    if not can(by, "stakeholders.manage_members", organisation):
        raise PermissionDenied
    with transaction.atomic():
        if role != MembershipRole.MANAGER:
            ensure_another_manager(membership)
        return membership_set_role(user=membership.user, organisation=organisation, role=role, by=by, request=request)


def member_deactivate(*, membership: Membership, by: AbstractBaseUser, request: HttpRequest) -> None:
    """Remove a member (it can no longer act for the organisation); not its last active manager."""
    if not can(by, "stakeholders.manage_members", membership.organisation):
        raise PermissionDenied
    with transaction.atomic():
        ensure_another_manager(membership)
        membership_deactivate(membership=membership, by=by, request=request)


def ensure_another_manager(membership: Membership) -> None:
    """Refuse to take away `membership`'s manager role if no other active manager remains.

    The organisation's manager rows are locked, so two managers demoting each other at the
    same time cannot both succeed.
    """
    managers = list(
        Membership.objects.select_for_update(of=("self",))
        .active()
        .filter(organisation_id=membership.organisation_id, role=MembershipRole.MANAGER)
        .values_list("pk", flat=True)
    )
    if membership.pk in managers and len(managers) == 1:
        raise ValidationError(
            _("An organisation needs at least one active manager: make another member a manager first."),
            code="last_manager",
        )


# --- API tokens -----------------------------------------------------------------------------------

API_TOKEN_PREFIX = "upr_"  # noqa: S105 - marks a key as ours (e.g. for secret scanners), not a secret


def api_token_digest(key: str) -> str:
    """What is stored of a token's key: a database dump gives no usable token."""
    return hashlib.sha256(key.encode()).hexdigest()


# Enough for every script a person runs; a bound, so that a leaked password cannot be used to
# mint tokens without end (each is one more key to find and revoke).
API_TOKENS_PER_USER = 20


def api_token_create(*, user: AbstractBaseUser, name: str, request: HttpRequest | None = None):
    """A new token for `user`: returns (token, key). The key is shown once and never stored."""
    from stakeholders.models import ApiToken
    from stakeholders.permissions import acting_membership

    if ApiToken.objects.filter(user=user).count() >= API_TOKENS_PER_USER:
        raise ValidationError(
            ngettext(
                "You have %(count)s API token, the most one account may have: revoke it if you no longer use it.",
                "You have %(count)s API tokens, the most one account may have: revoke one you no longer use.",
                API_TOKENS_PER_USER,
            ),
            code="too_many_tokens",
            params={"count": API_TOKENS_PER_USER},
        )
    key = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:12], digest=api_token_digest(key))
    membership = acting_membership(user)
    security_event(
        "api_token_created",
        request=request,
        user=user,
        organisation=getattr(membership, "organisation", None),
        token=token.prefix,
    )
    return token, key


def api_token_revoke(*, token, request: HttpRequest | None = None) -> None:
    """Delete the token: requests that send its key are refused from now on."""
    prefix, user = token.prefix, token.user
    token.delete()
    security_event("api_token_revoked", request=request, user=user, token=prefix)
