"""Shared pieces of the open-data API (`/api/v1/`): pagination and documented errors."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`{count, next, previous, results}`; `?page_size=` up to 200. A bad page is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


ERROR = inline_serializer("Error", fields={"detail": serializers.CharField()})
FIELD_ERRORS = {
    "type": "object",
    "description": "Each invalid query parameter with its messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"state": ["Select a valid choice. XXX is not one of the available choices."]},
}
NOT_FOUND = OpenApiResponse(ERROR, description="No such object.")
BAD_PAGE = OpenApiResponse(ERROR, description="`page` is not a number, or past the last page.")
THROTTLED = OpenApiResponse(ERROR, description="Too many requests: retry after `Retry-After` seconds.")
INVALID = OpenApiResponse(FIELD_ERRORS, description="Invalid query parameters.")
RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429], description="Seconds to wait."
)


def errors(*codes: int, paginated: bool = False) -> dict:
    """The documented error responses, shared by every endpoint (429: the rate limit)."""
    known = {400: INVALID, 404: BAD_PAGE if paginated else NOT_FOUND, 429: THROTTLED}
    return {code: known[code] for code in (*codes, 429)}


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any other address under /api/v1/: a JSON 404 like the API's own."""
    return JsonResponse({"detail": gettext("Not found.")}, status=404)
