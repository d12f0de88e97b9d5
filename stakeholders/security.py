"""Security events (sign-in, failures, lockouts, sign-out, role changes), logged and stored.

Each line names the event, the user, the organisation, the client address and the time,
e.g. `login user=12 organisation=ministry-of-justice ip=203.0.113.7 at=2026-01-31T09:12:03Z`.
An address typed in a failed sign-in appears in log lines only as `username_hash=` (a keyed
hash: the same address always gives the same value, so attacks on one account can be traced,
but a CSO member's address never reaches the operators' logs); the stored row keeps it, and
the security log page shows it only to those allowed (stakeholders.selectors).
The logger is `upr_portal.security` (configured in settings.LOGGING); each event is also a
`SecurityEvent` row, which the secretariat reads in the portal.
"""

from __future__ import annotations

import ipaddress
import logging

from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from upr_portal.lib.client_ip import client_ip

logger = logging.getLogger("upr_portal.security")


def security_event(
    event: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    organisation=None,
    **details: object,
) -> None:
    fields = {
        "user": getattr(user, "pk", None),
        "organisation": getattr(organisation, "slug", None),
        "ip": client_ip(request) if request is not None else None,
        **details,
        "at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    _record(event, user, organisation, fields, details)
    if fields.get("username"):
        fields = {key: value for key, value in fields.items() if key != "at"} | {
            "username": None,
            "username_hash": username_hash(str(fields["username"])),
            "at": fields["at"],
        }
    text = " ".join(f"{key}={_quote(value)}" for key, value in fields.items() if value not in (None, ""))
    logger.info(
        "%s %s", event, text, extra={"security_event": event, **{f"security_{k}": v for k, v in fields.items()}}
    )


def username_hash(username: str) -> str:
    """A keyed hash of a typed sign-in name, to trace attempts on one account in the logs."""
    return salted_hmac("upr_portal.security.username", username.strip().lower()).hexdigest()[:16]


def axes_client_str(username: str, ip_address: str, user_agent: str, path_info: str, request) -> str:
    """How django-axes names a client in its own log lines: the address typed, hashed."""
    return f"{{username_hash: {username_hash(username or '')}, ip_address: {ip_address}, path_info: {path_info}}}"


def _quote(value: object) -> str:
    # Attempted usernames are typed by strangers: keep each event on one parseable line.
    text = str(value)
    if not text or any(char.isspace() or char in '"=' for char in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    return text


def _record(event: str, user, organisation, fields: dict, details: dict) -> None:
    """Keep the event in the database for the secretariat's security log."""
    from stakeholders.models import SecurityEvent

    SecurityEvent.objects.create(
        event=event,
        user=user if getattr(user, "pk", None) else None,
        organisation=organisation if getattr(organisation, "pk", None) else None,
        username=str(details.pop("username", "") or "")[:254],
        ip=_valid_ip(fields["ip"]),
        at=timezone.now(),
        details={key: value if isinstance(value, (int, float, bool)) else str(value) for key, value in details.items()},
    )


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None
