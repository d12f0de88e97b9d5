"""The security log page: who signed in, failed, was locked out, changed roles, from where."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from stakeholders.permissions import can
from stakeholders.selectors import security_events_for_user

PAGE_SIZE = 50


@require_GET
@login_required
def security_log(request: HttpRequest) -> HttpResponse:
    """The latest events the user may read, newest first, optionally of one type; else 404."""
    if not can(request.user, "stakeholders.view_security_events"):
        raise Http404
    events = security_events_for_user(request.user)
    kinds = list(events.order_by("event").values_list("event", flat=True).distinct())
    chosen = request.GET.get("event", "")
    if chosen:
        events = events.filter(event=chosen)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "kinds": kinds, "chosen": chosen, "query": urlencode({"event": chosen}) if chosen else ""}
    return render(request, "stakeholders/security_log.html", context)
