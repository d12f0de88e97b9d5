from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from stakeholders import accounts
from stakeholders.models import Membership


@require_GET
@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: its organisations and roles (later issues add its work)."""
    return render(request, "stakeholders/workspace.html", {"memberships": request.memberships})


@require_POST
@login_required
def switch_organisation(request: HttpRequest) -> HttpResponse:
    """Act for another of the user's organisations; any other organisation is a 404."""
    membership = get_object_or_404(
        Membership.objects.active(), user=request.user, organisation__slug=request.POST.get("organisation", "")
    )
    accounts.act_for(request, membership)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("workspace")
