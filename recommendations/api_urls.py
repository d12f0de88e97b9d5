"""`/api/v1/`: the open-data API, its OpenAPI schema and its documentation pages."""

from csp.constants import NONCE
from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter

from recommendations import api
from upr_portal.lib.api import not_found

app_name = "api"


class ApiRootView(APIRootView):
    """The API's index of its endpoints: public, as everything it lists (the default
    permission of REST_FRAMEWORK denies anonymous clients)."""

    permission_classes = [AllowAny]


router = DefaultRouter()
router.APIRootView = ApiRootView
router.include_format_suffixes = False
router.register("recommendations", api.RecommendationViewSet, basename="recommendation")
router.register("states", api.StateViewSet, basename="state")
router.register("reviews", api.ReviewViewSet, basename="review")
router.register("mechanisms", api.MechanismViewSet, basename="mechanism")
router.register("themes", api.ThemeViewSet, basename="theme")
router.register("groups", api.GroupViewSet, basename="group")
router.register("sdgs", api.SdgViewSet, basename="sdg")

# Redoc builds its styles at run time (styled-components) into <style> elements: the page's
# CSP admits those that carry its nonce, and by hash the two that the bundle adds before it
# knows the nonce (perfect-scrollbar's stylesheet, and an empty one that it fills through the
# CSSOM); its search index runs in a worker made from a blob. Every other page keeps the
# strict policy of settings.CONTENT_SECURITY_POLICY (docs/security.md).
REDOC_STYLE_HASHES = [
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # perfect-scrollbar.css in the sidecar's bundle
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty string
]
redoc_view = csp_update({"style-src": [NONCE, *REDOC_STYLE_HASHES], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI and Redoc from the sidecar's local files, with no inline script or style.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    path("redoc/", redoc_view, name="redoc"),
    *router.urls,
    re_path(r"^[\s\S]*/\Z", not_found),  # a JSON 404 for any other address, e.g. a slug with a `/`
]
