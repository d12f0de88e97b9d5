"""The public recommendation filters: one FilterSet for the HTML list and the API.

Every filter reads the denormalised `f_*` columns (see `recommendations.indexing`), so a
list, its facet counts and its search run on one table. Several values of one parameter
are ORed (`?state=CHN&state=MEX`); an unknown value is a validation error on that
parameter (400 in the API).
"""

from __future__ import annotations

import re
from functools import cached_property

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from recommendations.models import ActionCategory, ImplementationStatus, Position, Recommendation
from recommendations.vocabulary import data_version, vocabulary

SEARCH_CONFIG = "english"
# Queries in scripts without an English stemmer (Arabic, Chinese, Cyrillic…) also match
# as substrings of the searched document.
_NON_LATIN = re.compile(r"[^\x00-\u024f\u1e00-\u1eff]")


class MultiValueField(forms.MultipleChoiceField):
    """Repeated parameters, each value checked against a vocabulary of known values."""

    def __init__(self, *args, normalise=str, known=None, **kwargs):
        self.normalise, self.known = normalise, known
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return [self.normalise(str(item).strip()) for item in super().to_python(value) if str(item).strip()]

    def valid_value(self, value) -> bool:
        return value in self.known()


class FacetFilter(django_filters.Filter):
    """Filters a facet column: scalar (`IN`) or array (`&&`: overlap, so values are ORed)."""

    field_class = MultiValueField

    def __init__(self, *, column: str, array: bool, vocabulary_key: str, normalise=str, **kwargs):
        self.column, self.array, self.vocabulary_key = column, array, vocabulary_key
        super().__init__(field_name=column, normalise=normalise, **kwargs)

    @property
    def field(self):
        # `self` is the filter bound to a FilterSet here, which loaded the vocabulary once.
        self.extra["known"] = lambda: self.parent.vocabulary[self.vocabulary_key]
        return super().field

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs
        lookup = f"{self.column}__overlap" if self.array else f"{self.column}__in"
        return qs.filter(**{lookup: value})


def _upper(value: str) -> str:
    return value.upper()


def _lower(value: str) -> str:
    return value.lower()


class RecommendationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=200)
    state = FacetFilter(
        column="f_state", array=False, vocabulary_key="states", normalise=_upper, label=_("State under review")
    )
    mechanism = FacetFilter(
        column="f_mechanism", array=False, vocabulary_key="mechanisms", normalise=_lower, label=_("Mechanism")
    )
    cycle = FacetFilter(column="f_cycle", array=False, vocabulary_key="cycles", label=_("UPR cycle"))
    session = FacetFilter(column="f_session", array=False, vocabulary_key="sessions", label=_("Session"))
    position = FacetFilter(
        column="position", array=False, vocabulary_key="positions", normalise=_lower, label=_("Position")
    )
    status = FacetFilter(
        column="status", array=False, vocabulary_key="statuses", normalise=_lower, label=_("Implementation status")
    )
    theme = FacetFilter(column="f_themes", array=True, vocabulary_key="themes", normalise=_lower, label=_("Theme"))
    group = FacetFilter(
        column="f_groups", array=True, vocabulary_key="groups", normalise=_lower, label=_("Affected group")
    )
    sdg = FacetFilter(
        column="f_sdgs", array=True, vocabulary_key="sdgs", normalise=_lower, label=_("SDG goal or target")
    )
    recommending_state = FacetFilter(
        column="f_recommending", array=True, vocabulary_key="states", normalise=_upper, label=_("Recommending State")
    )
    region = FacetFilter(
        column="f_regions",
        array=True,
        vocabulary_key="regions",
        normalise=_lower,
        label=_("Recommending regional group"),
    )
    action_category = FacetFilter(
        column="action_category", array=False, vocabulary_key="action_categories", label=_("Action category")
    )
    institution = FacetFilter(
        column="f_institutions",
        array=True,
        vocabulary_key="institutions",
        normalise=_lower,
        label=_("Responsible institution"),
    )
    requires_legislation = django_filters.BooleanFilter(label=_("Requires legislation"))
    ordering = django_filters.ChoiceFilter(
        method="order",
        label=_("Sort by"),
        empty_label=None,
        choices=[
            ("relevance", _("Relevance")),
            ("-date", _("Newest first")),
            ("date", _("Oldest first")),
            ("paragraph", _("Paragraph")),
        ],
    )

    class Meta:
        model = Recommendation
        fields: list[str] = []

    @cached_property
    def data_version(self) -> int:
        """Read once per request: keys the vocabulary and the facet counts in the cache."""
        return data_version()

    @cached_property
    def vocabulary(self) -> dict[str, dict[str, str]]:
        return vocabulary(self.data_version)

    FACETS = (
        "state", "mechanism", "cycle", "session", "position", "status", "theme", "group", "sdg",
        "recommending_state", "region", "action_category", "institution", "requires_legislation",
    )  # fmt: skip

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        match, rank = search_match(value)
        return qs.filter(match).annotate(rank=rank)

    def order(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs  # applied last, in `filter_queryset`, once the search has ranked

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        qs = super().filter_queryset(queryset)
        return qs.order_by(*ordering_for(self.form.cleaned_data.get("ordering"), bool(self.form.cleaned_data.get("q"))))

    def active_filters(self) -> dict:
        """{name: cleaned value} of the filters this request uses (ordering aside); valid forms only."""
        return {
            name: value
            for name, value in self.form.cleaned_data.items()
            if name != "ordering" and value not in (None, "", [])
        }

    def filtered_except(self, facet: str | None) -> QuerySet:
        """The list as filtered by every active filter but `facet` (for its counts); None: by all."""
        qs = self.queryset
        for name, value in self.active_filters().items():
            if name != facet:
                qs = self.filters[name].filter(qs, value)
        return qs


def search_match(value: str, vector: str = "search__vector", document: str = "search_document") -> tuple[Q, SearchRank]:
    """(condition, rank) of a `websearch_to_tsquery` search on recommendations (`vector`,
    `document`: the paths to the tsvector and its text), matching substrings of the text
    too for queries in scripts without a stemmer."""
    query = SearchQuery(value, config=SEARCH_CONFIG, search_type="websearch")
    match = Q(**{vector: query})
    if matches_substrings(value):
        match |= Q(**{f"{document}__icontains": value})
    return match, SearchRank(F(vector), query)


def matches_substrings(value: str) -> bool:
    """Whether a search also matches the text's substrings: queries in scripts without a stemmer."""
    return bool(_NON_LATIN.search(value))


def ordering_for(choice: str | None, searching: bool) -> list:
    choice = choice or ("relevance" if searching else "-date")
    if choice == "relevance" and searching:
        return [F("rank").desc(), F("f_date").desc(nulls_last=True), "id"]
    if choice == "date":
        return [F("f_date").asc(nulls_last=True), "f_session", "f_paragraph", "id"]
    if choice == "paragraph":
        return ["f_state", "f_mechanism", "f_session", "f_paragraph", "id"]
    return [F("f_date").desc(nulls_last=True), F("f_session").desc(nulls_last=True), "f_paragraph", "id"]


__all__ = ["ActionCategory", "ImplementationStatus", "Position", "RecommendationFilterSet"]
