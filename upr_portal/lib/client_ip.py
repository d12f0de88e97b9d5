"""The client's address, behind a configured number of trusted reverse proxies.

Used by the login lockout (django-axes) and the security log. With no proxy the address is
REMOTE_ADDR: X-Forwarded-For is then whatever the client chose to send. With N proxies each
appends the address it received the request from, so the client is the N-th entry from the
right; entries further left were written by the client and are never trusted.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote_addr = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote_addr
    # Fewer entries than proxies: the request skipped a proxy; take the oldest entry there
    # is (as DRF's throttle does with NUM_PROXIES) rather than the proxy's own address.
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
