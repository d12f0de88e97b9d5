"""Writes for accounts and memberships. Unique e-mail addresses are enforced here."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from stakeholders.models import Membership, MembershipRole, Organisation
from stakeholders.security import security_event


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
