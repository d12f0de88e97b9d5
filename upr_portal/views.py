from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recommendations import stats
from recommendations.models import Recommendation


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What the portal is, key figures and the latest official status changes."""
    context = {
        "cube": stats.recommendation_cube(Recommendation.objects.all()),
        "status_changes": stats.latest_status_changes(),
    }
    return render(request, "home.html", context)


@require_GET
@never_cache
def health(request):
    """200 when the database answers, 503 otherwise (docker compose health checks)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in is the portal's: one form, with its second factor and lockout.

    A signed-in user who is not staff still gets the admin's own page (which says so),
    since the portal's form would send it straight back here.
    """
    if request.user.is_authenticated:
        return admin.site.login(request)
    return redirect_to_login(request.GET.get("next") or "/admin/")
