"""RowUrl: one reverse() per page gives every row the address reverse() would."""

import uuid

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from rest_framework.request import Request

from recommendations.serializers import RecommendationSerializer
from upr_portal.lib.urls import RowUrl

CODES = [uuid.UUID(int=0), uuid.uuid4(), uuid.UUID("6f1c2f7e-0000-4000-8000-00000000abcd")]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_each_row_gets_the_address_reverse_gives(language):
    with translation.override(language):
        url = RowUrl("recommendations:detail")
        assert [url(code) for code in CODES] == [reverse("recommendations:detail", args=[code]) for code in CODES]
    assert (url.prefix, url.suffix) == (f"/{language}/recommendations/", "/")


def test_the_address_of_a_drf_field_is_absolute_as_the_field_makes_it(settings):
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    request = Request(RequestFactory().get("/api/v1/recommendations/", HTTP_HOST="portal.example.org"))
    field = RecommendationSerializer(context={"request": request}).fields["url"]
    url = RowUrl.of_field(field, "code")

    assert url(CODES[1]) == f"http://portal.example.org/api/v1/recommendations/{CODES[1]}/"
    assert url(CODES[1]) == field.to_representation(type("Row", (), {"code": CODES[1]})())


def test_an_address_without_the_key_is_refused():
    with pytest.raises(ValueError, match="the key is not part of the address '/health/'"):
        RowUrl(make=lambda key: "/health/")
