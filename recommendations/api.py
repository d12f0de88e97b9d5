"""The read-only open-data API (`/api/v1/`): thin viewsets over the public selectors.

Public URLs use codes and slugs, never ids: recommendations by UUID `code`, States by
ISO3, reviews by `Review.key`, mechanisms by code, themes and groups by slug, SDG goals by
number. The recommendation list takes the HTML list's filters (`RecommendationFilterSet`).
"""

from __future__ import annotations

import uuid

from django.http import HttpResponsePermanentRedirect
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from recommendations import serializers as s
from recommendations.filters import FacetFilter, RecommendationFilterSet
from recommendations.models import (
    ActionCategory,
    AffectedGroup,
    ImplementationStatus,
    Mechanism,
    Position,
    Recommendation,
    Responsibility,
    ResponsibilityRole,
    Review,
    SdgGoal,
    Theme,
)
from recommendations.selectors import (
    LIST_FIELDS,
    IdPaginator,
    facet_counts,
    indexed_list,
    public_recommendations,
    public_reviews,
    recommendation_by_code,
    recommendation_filterset,
    related_recommendations,
    review_by_key,
)
from recommendations.services import responsibilities_bulk_assign, responsibility_set
from stakeholders.models import Organisation, OrganisationKind, Region, State
from stakeholders.permissions import can
from upr_portal.lib.api import ERROR, RETRY_AFTER, Pagination, errors

SLUG = "[-a-zA-Z0-9_]+"
FIXED_VALUES = {
    "position": Position.values,
    "status": ImplementationStatus.values,
    "region": Region.values,
    "action_category": [str(value) for value in ActionCategory.values],
}
DESCRIPTIONS = {"q": 'Full-text search, web syntax: `"death penalty"`, `torture -police`, `a or b`.'}


def _filter_schema(name: str, spec) -> tuple[dict, dict]:
    """Schema and style of one filter: facets are repeated parameters whose values are ORed."""
    if isinstance(spec, FacetFilter):
        items = {"type": "string"} | ({"enum": FIXED_VALUES[name]} if name in FIXED_VALUES else {})
        return {"type": "array", "items": items}, {"explode": True, "style": "form"}
    if name == "ordering":
        return {"type": "string", "enum": [value for value, _ in spec.extra["choices"]]}, {}
    if name == "requires_legislation":
        return {"type": "boolean"}, {}
    return {"type": "string", "maxLength": spec.extra["max_length"]}, {}  # q


def _filter_parameters() -> list[OpenApiParameter]:
    """Every filter of `RecommendationFilterSet`, as in the HTML list (`?state=CHN&state=MEX`)."""
    params = []
    for name, spec in RecommendationFilterSet.base_filters.items():
        schema, style = _filter_schema(name, spec)
        description = DESCRIPTIONS.get(name, spec.label)
        params.append(OpenApiParameter(name, schema, OpenApiParameter.QUERY, description=description, **style))
    return params


FILTERS = _filter_parameters()
MOVED = OpenApiResponse(description="The code was merged into another recommendation: see `Location`.")
LOCATION = OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[301])


def documented(serializer: type, noun: str):
    """Schema of a plain list + retrieve viewset: its errors and the rate limit."""
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {noun}",
            parameters=[RETRY_AFTER],
            responses={200: serializer(many=True), **errors(404, paginated=True)},
        ),
        retrieve=extend_schema(
            summary=f"One of the {noun}", parameters=[RETRY_AFTER], responses={200: serializer, **errors(404)}
        ),
    )


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    lookup_value_regex = SLUG

    def get_object(self):
        found = self.find(self.kwargs[self.lookup_field])
        if found is None:
            raise NotFound  # the same "Not found." whatever the kind of object
        return found

    def find(self, value: str):
        return self.get_queryset().filter(**{self.lookup_field: value}).first()


class KeepFilterSet(DjangoFilterBackend):
    """The filter backend, keeping its FilterSet on the view (see RecommendationPagination)."""

    def get_filterset(self, request, queryset, view):
        view.filterset = super().get_filterset(request, queryset, view)
        return view.filterset


class RecommendationPagination(Pagination):
    """Pages of the recommendation list read like the HTML list's: the matching ids in
    order from the facet index (`selectors.indexed_list`), then the page's rows by id."""

    def paginate_queryset(self, queryset, request, view=None):
        self.filterset = getattr(view, "filterset", None)
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, queryset, page_size: int) -> IdPaginator:
        # The filter backend kept the FilterSet on the view and answered 400 if it is invalid.
        return IdPaginator(indexed_list(self.filterset).ids, page_size)


# --- Responsible institutions (writes: the secretariat) ------------------------------------------


REFUSED = {
    401: OpenApiResponse(ERROR, description="Not signed in (a token scheme is offered)."),
    403: OpenApiResponse(ERROR, description="Not acting for the NMRF secretariat."),
}


class CanAssignResponsibilityOrReadOnly(BasePermission):
    """Reads are public (the detail page shows the institutions); writes are the secretariat's."""

    message = "Only the national mechanism's secretariat assigns responsible institutions."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or can(request.user, "recommendations.assign_responsibility")


class GovernmentEntitySlugField(serializers.SlugRelatedField):
    """An organisation by slug that must be a government entity (a clear error otherwise)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="slug", queryset=Organisation.objects.all(), **kwargs)

    def to_internal_value(self, data):
        organisation = super().to_internal_value(data)
        if organisation.kind != OrganisationKind.GOVERNMENT:
            raise serializers.ValidationError(
                f"{organisation.slug} is not a government entity: only those can be responsible for recommendations."
            )
        return organisation


class ResponsibilitySetSerializer(serializers.Serializer):
    lead = GovernmentEntitySlugField(allow_null=True, required=False, help_text="Slug of the lead institution.")
    supporting = serializers.ListField(
        child=GovernmentEntitySlugField(), required=False, default=list, help_text="Slugs of supporting institutions."
    )

    def validate(self, data: dict) -> dict:
        if data.get("lead") is not None and data["lead"] in data.get("supporting", []):
            raise serializers.ValidationError({"supporting": ["The lead institution cannot also be supporting."]})
        return data


class BulkAssignSerializer(serializers.Serializer):
    organisation = GovernmentEntitySlugField(help_text="Slug of a government entity.")
    role = serializers.ChoiceField(choices=ResponsibilityRole.choices)
    replace_lead = serializers.BooleanField(
        default=False, help_text="With role=lead: where another institution leads, make it supporting."
    )
    expected_count = serializers.IntegerField(
        min_value=0, help_text="How many recommendations the filters match (from the list's `count`): a safeguard."
    )


class BulkAssignOutcomeSerializer(serializers.Serializer):
    matched = serializers.IntegerField()
    assigned = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped = serializers.IntegerField()
    demoted = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(
        summary="List and search recommendations",
        parameters=[*FILTERS, RETRY_AFTER],
        responses={200: s.RecommendationSerializer(many=True), **errors(400, 404, paginated=True)},
    ),
    retrieve=extend_schema(
        summary="One recommendation",
        description="A code merged into another recommendation answers 301 with the new address.",
        parameters=[RETRY_AFTER, LOCATION],
        responses={200: s.RecommendationDetailSerializer, 301: MOVED, **errors(404)},
    ),
    facets=extend_schema(
        summary="Counts per facet value under the same filters",
        parameters=[*FILTERS, RETRY_AFTER],
        responses={200: s.FacetsSerializer, **errors(400)},
    ),
)
class RecommendationViewSet(ReadOnlyViewSet):
    serializer_class = s.RecommendationSerializer
    filterset_class = RecommendationFilterSet
    filter_backends = [KeepFilterSet]
    pagination_class = RecommendationPagination
    lookup_field = "code"
    lookup_value_regex = "[^/]+"  # anything that is not a UUID is a JSON 404, not an HTML one
    filterset: RecommendationFilterSet | None = None

    def get_queryset(self):
        return public_recommendations().select_related("review__state", "review__mechanism").only(*LIST_FIELDS)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.filterset is not None:  # the list: the vocabulary its filters loaded
            context["vocabulary"] = self.filterset.vocabulary
        return context

    def retrieve(self, request: Request, code: str) -> Response | HttpResponsePermanentRedirect:
        try:
            rec, moved = recommendation_by_code(uuid.UUID(code))
        except ValueError:
            rec, moved = None, False
        if rec is None:
            raise NotFound
        if moved:
            return HttpResponsePermanentRedirect(reverse("api:recommendation-detail", [rec.code], request=request))
        context = self.get_serializer_context() | {"related": related_recommendations(rec)}
        return Response(s.RecommendationDetailSerializer(rec, context=context).data)

    @action(detail=False, pagination_class=None, filter_backends=[])
    def facets(self, request: Request) -> Response:
        filterset = recommendation_filterset(request.query_params)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return Response(s.FacetsSerializer({"facets": facet_counts(filterset)}).data)

    @extend_schema(
        summary="A recommendation's responsible institutions",
        description="Anyone may read them. `PUT` (the secretariat only) replaces them: one lead or none, "
        "any number of supporting government entities.",
        request=ResponsibilitySetSerializer,
        responses={200: s.ResponsibilitySerializer(many=True), **errors(400, 404), **REFUSED},
    )
    @action(
        detail=True,
        methods=["get", "put"],
        pagination_class=None,
        filter_backends=[],
        permission_classes=[CanAssignResponsibilityOrReadOnly],
    )
    def responsibilities(self, request: Request, code: str) -> Response:
        rec = self._recommendation(code)
        if request.method == "PUT":
            data = _validated(ResponsibilitySetSerializer, request)
            responsibility_set(
                recommendation=rec, lead=data.get("lead"), supporting=data["supporting"], by=request.user
            )
        rows = Responsibility.objects.filter(recommendation=rec).select_related("organisation")
        return Response(s.ResponsibilitySerializer(rows.order_by("role", "organisation__name"), many=True).data)

    @extend_schema(
        summary="Assign every recommendation the filters match to one institution",
        description="The secretariat only. Takes the list's filters as query parameters; "
        "`expected_count` must equal the number of recommendations they match now, else 400.",
        parameters=[*FILTERS, RETRY_AFTER],
        request=BulkAssignSerializer,
        responses={200: BulkAssignOutcomeSerializer, **errors(400), **REFUSED},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="assign",
        pagination_class=None,
        filter_backends=[],
        permission_classes=[CanAssignResponsibilityOrReadOnly],
    )
    def assign(self, request: Request) -> Response:
        filterset = recommendation_filterset(request.query_params)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        data = _validated(BulkAssignSerializer, request)
        count = filterset.qs.count()
        if data["expected_count"] != count:
            raise serializers.ValidationError(
                {"expected_count": [f"The filters match {count} recommendations, not {data['expected_count']}."]}
            )
        outcome = responsibilities_bulk_assign(
            recommendations=filterset.qs,
            organisation=data["organisation"],
            role=data["role"],
            replace_lead=data["replace_lead"],
            by=request.user,
        )
        return Response(BulkAssignOutcomeSerializer(outcome).data)

    def _recommendation(self, code: str) -> Recommendation:
        try:
            rec = public_recommendations().filter(code=uuid.UUID(code)).first()
        except ValueError:
            rec = None
        if rec is None:
            raise NotFound
        return rec


def _validated(serializer_class: type, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@documented(s.StateSerializer, "States")
class StateViewSet(ReadOnlyViewSet):
    queryset = State.objects.all()
    serializer_class = s.StateSerializer
    lookup_field = "iso3"
    lookup_value_regex = "[A-Za-z]{3}"

    def find(self, value: str) -> State | None:
        return State.objects.filter(iso3=value.upper()).first()


@documented(s.ReviewListSerializer, "reviews")
class ReviewViewSet(ReadOnlyViewSet):
    serializer_class = s.ReviewListSerializer
    lookup_field = "key"

    def get_queryset(self):
        return public_reviews()

    def find(self, value: str) -> Review | None:
        return review_by_key(value)


@documented(s.MechanismSerializer, "mechanisms")
class MechanismViewSet(ReadOnlyViewSet):
    queryset = Mechanism.objects.all()
    serializer_class = s.MechanismSerializer
    lookup_field = "code"


@documented(s.ThemeSerializer, "themes")
class ThemeViewSet(ReadOnlyViewSet):
    queryset = Theme.objects.all()
    serializer_class = s.ThemeSerializer
    lookup_field = "slug"


@documented(s.GroupSerializer, "affected groups")
class GroupViewSet(ReadOnlyViewSet):
    queryset = AffectedGroup.objects.all()
    serializer_class = s.GroupSerializer
    lookup_field = "slug"


@documented(s.SdgGoalSerializer, "SDG goals with their targets")
class SdgViewSet(ReadOnlyViewSet):
    queryset = SdgGoal.objects.prefetch_related("targets")
    serializer_class = s.SdgGoalSerializer
    lookup_field = "number"
    lookup_value_regex = "[0-9]{1,2}"
