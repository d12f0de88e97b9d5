from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from stakeholders import accounts
from stakeholders.models import Membership
from stakeholders.permissions import set_acting_membership
from stakeholders.security import security_event


class MembershipMiddleware:
    """Ends sessions past their lifetime and sets `request.membership` and `request.memberships`.

    Goes right after AuthenticationMiddleware. `request.memberships` lists the user's active
    memberships (organisation loaded); `request.membership` is the one it acts in, or None.
    Both are read from the database on every request, never cached in the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        request.memberships = []
        if request.user.is_authenticated:
            reason = accounts.session_expiry(request)
            if reason:
                security_event("session_expired", request=request, user=request.user, reason=reason)
                logout(request)
            else:
                accounts.session_touch(request)
                request.memberships = list(
                    Membership.objects.active().filter(user=request.user).select_related("organisation__represents")
                )
                request.membership = accounts.acting_membership(request, request.memberships)
                set_acting_membership(request.user, request.membership)
        return self.get_response(request)
