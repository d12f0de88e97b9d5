"""Permission-aware reads of stakeholder data (the rules themselves are in permissions.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from stakeholders.models import Membership, SecurityEvent
from stakeholders.permissions import CONFIDENTIAL_KINDS, acting_membership, can, is_confidential


def confidential_member_ids() -> QuerySet:
    """Ids of users who ever belonged to a CSO, coalition or NHRI (a subquery).

    Inactive memberships count too: a former CSO member is no less at risk.
    """
    return Membership.objects.filter(organisation__kind__in=CONFIDENTIAL_KINDS).values("user_id")


def confidential_member_emails() -> QuerySet:
    """Their e-mail addresses (a subquery), as typed in failed sign-ins and invitations."""
    return get_user_model()._default_manager.filter(pk__in=confidential_member_ids()).values("email")


def users_outside_confidential_organisations() -> QuerySet:
    """The users the secretariat, Django staff and superusers may see (admin, security log)."""
    return get_user_model()._default_manager.exclude(pk__in=confidential_member_ids())


def security_events_outside_confidential_organisations() -> QuerySet[SecurityEvent]:
    """Events that say nothing about a confidential organisation or any of its members.

    Failed sign-ins carry no user but the address typed: an address of a confidential
    organisation's member is left out too, so the log does not confirm that it has an account.
    """
    return (
        SecurityEvent.objects.exclude(organisation__kind__in=CONFIDENTIAL_KINDS)
        .exclude(user__in=confidential_member_ids())
        .exclude(username__in=confidential_member_emails())
    )


def security_events_for_user(user) -> QuerySet[SecurityEvent]:
    """The security log rows `user` may read, newest first (none without the rule).

    Acting for the secretariat: every event outside confidential organisations. Acting as a
    confidential organisation's manager: the events recorded for that organisation, and its
    members' events recorded for no organisation (expired sessions, failed sign-ins by
    address), never their events in another organisation.
    """
    if not can(user, "stakeholders.view_security_events"):
        return SecurityEvent.objects.none()
    organisation = acting_membership(user).organisation
    if not is_confidential(organisation):
        events = security_events_outside_confidential_organisations()
    else:
        members = Membership.objects.filter(organisation=organisation)
        emails = get_user_model()._default_manager.filter(pk__in=members.values("user_id")).values("email")
        events = SecurityEvent.objects.filter(
            Q(organisation=organisation)
            | Q(organisation=None, user__in=members.values("user_id"))
            | Q(organisation=None, user=None, username__in=emails)
        )
    return events.select_related("user", "organisation").order_by("-at", "-id")
