from django.contrib import admin
from django.urls import path

from upr_portal import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
]
