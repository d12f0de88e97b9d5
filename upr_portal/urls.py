from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from upr_portal import views

# Machine and staff endpoints, and the API, keep one address whatever the visitor's language.
urlpatterns = [
    path("health/", views.health, name="health"),
    path("admin/login/", views.admin_login),  # signing in to the admin is the portal's sign-in
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("stakeholders.api_urls")),  # before the open-data API's catch-all 404
    path("api/v1/", include("recommendations.api_urls")),
]

# Public pages live under a language prefix (/en/, /fr/, /ar/ …) so that every address
# names its language and can be shared as such. An unprefixed address (`/`, `/states/`)
# is redirected by LocaleMiddleware to the visitor's language: the language cookie that
# `set_language` sets, else the browser's Accept-Language, else English.
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("", include("recommendations.urls")),
    path("", include("stakeholders.urls")),
    prefix_default_language=True,
)
