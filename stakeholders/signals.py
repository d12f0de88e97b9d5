"""Sign-in hooks: start the session policy and log security events. Connected in apps.py."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from stakeholders import accounts
from stakeholders.backends import login_key
from stakeholders.security import security_event


@receiver(user_logged_in, dispatch_uid="stakeholders.login")
def on_login(sender, request, user, **kwargs) -> None:
    membership = accounts.session_start(request, user)
    security_event("login", request=request, user=user, organisation=getattr(membership, "organisation", None))


@receiver(user_login_failed, dispatch_uid="stakeholders.login_failed")
def on_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    username = login_key(request, credentials) if credentials else None
    security_event("login_failed", request=request, username=username)


@receiver(user_logged_out, dispatch_uid="stakeholders.logout")
def on_logout(sender, request, user, **kwargs) -> None:
    membership = getattr(request, "membership", None)
    security_event("logout", request=request, user=user, organisation=getattr(membership, "organisation", None))


def on_lockout(sender, request, username: str | None = None, ip_address: str | None = None, **kwargs) -> None:
    security_event("lockout", request=request, username=username)
