"""Security events (sign-in, failures, lockouts, sign-out, role changes) on one logger.

Each line names the event, the user, the organisation, the client address and the time,
e.g. `login user=12 organisation=ministry-of-justice ip=203.0.113.7 at=2026-01-31T09:12:03Z`.
The logger is `upr_portal.security` (configured in settings.LOGGING).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest
from django.utils import timezone

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
    text = " ".join(f"{key}={_quote(value)}" for key, value in fields.items() if value not in (None, ""))
    logger.info(
        "%s %s", event, text, extra={"security_event": event, **{f"security_{k}": v for k, v in fields.items()}}
    )


def _quote(value: object) -> str:
    # Attempted usernames are typed by strangers: keep each event on one parseable line.
    text = str(value)
    if not text or any(char.isspace() or char in '"=' for char in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    return text
