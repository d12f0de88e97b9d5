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
