"""`/api/v1/`: the open-data API, its OpenAPI schema and its documentation pages."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from recommendations import api
from upr_portal.lib.api import not_found

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
router.register("recommendations", api.RecommendationViewSet, basename="recommendation")
router.register("states", api.StateViewSet, basename="state")
router.register("reviews", api.ReviewViewSet, basename="review")
router.register("mechanisms", api.MechanismViewSet, basename="mechanism")
router.register("themes", api.ThemeViewSet, basename="theme")
router.register("groups", api.GroupViewSet, basename="group")
router.register("sdgs", api.SdgViewSet, basename="sdg")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI and Redoc from the sidecar's local files, with no inline script or style.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"), name="redoc"),
    *router.urls,
    re_path(r"^[\s\S]*/\Z", not_found),  # a JSON 404 for any other address, e.g. a slug with a `/`
]
