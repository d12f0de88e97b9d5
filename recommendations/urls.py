from django.urls import path, register_converter

from recommendations import views


class Iso3Converter:
    """Lower-case ISO 3166 alpha-3 codes: one address per State (`/states/chn/`)."""

    regex = "[a-z]{3}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value.lower()


register_converter(Iso3Converter, "iso3")

app_name = "recommendations"

urlpatterns = [
    path("recommendations/", views.recommendation_list, name="list"),
    path("recommendations/<uuid:code>/", views.recommendation_detail, name="detail"),
    path("states/", views.state_list, name="state_list"),
    path("states/<iso3:iso3>/", views.state_detail, name="state"),
]

# Responsible institutions (the secretariat) and a focal point's assigned recommendations.
urlpatterns += [
    path("recommendations/<uuid:code>/responsibilities/", views.responsibility_edit, name="responsibilities"),
    path("recommendations/assign/", views.responsibility_bulk_assign, name="bulk_assign"),
    path("workspace/assigned/", views.assigned_list, name="assigned"),
]
