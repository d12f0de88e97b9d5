"""`/api/v1/` account endpoints: a token for a script, and the signed-in user.

Included before the open-data API's URLs, whose last pattern answers 404 for any other address.
"""

from django.urls import path

from stakeholders import api

app_name = "account_api"

urlpatterns = [
    path("auth/token/", api.token_create, name="token"),
    path("me/", api.me, name="me"),
]
