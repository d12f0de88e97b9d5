"""Reads of public recommendation data, shared by the HTML pages and the API.

Everything here is public: recommendations are UN documents, and their status is the
validated history. Later workflows (assessments, drafts) add their own permission-aware
selectors; nothing unpublished is reachable from these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import TrigramSimilarity
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext

from recommendations.filters import RecommendationFilterSet
from recommendations.models import Recommendation, Responsibility, Review, StatusChange

PAGE_SIZE = 20
FACET_LIMIT = 12  # values shown per facet (selected values always are)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)
    more: int = 0  # values left out


def public_recommendations() -> QuerySet:
    return Recommendation.objects.all()


def recommendation_filterset(params: QueryDict) -> RecommendationFilterSet:
    filterset = RecommendationFilterSet(params, queryset=public_recommendations())
    filterset.vocabulary  # noqa: B018 - load it now: one query (data version) per request, always
    return filterset


def recommendation_page(filterset: RecommendationFilterSet, number: str | int | None, size: int = PAGE_SIZE) -> Page:
    rows = filterset.qs.select_related("review__state", "review__mechanism").only(*LIST_FIELDS)
    return Paginator(rows, size).get_page(number)


LIST_FIELDS = (
    "code", "paragraph", "text", "position", "status", "status_date", "action_category",
    "f_state", "f_mechanism", "f_cycle", "f_session", "f_date", "f_themes", "f_recommending",
    "review__state__name", "review__state__iso3", "review__mechanism__acronym", "review__mechanism__code",
    "review__session", "review__cycle", "review__date", "review__document_symbols",
)  # fmt: skip


def facet_counts(filterset: RecommendationFilterSet) -> list[Facet]:
    """Counts per value of every facet, each under all the other active filters.

    One SQL statement whatever the number of facets: a UNION ALL of grouped subqueries.
    """
    parts, params = [], []
    for name in RecommendationFilterSet.FACETS:
        sql, sql_params = _facet_sql(filterset, name)
        parts.append(sql)
        params += sql_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    return _facets(filterset, rows)


def _facet_sql(filterset: RecommendationFilterSet, name: str) -> tuple[str, list]:
    column = filterset.filters[name].field_name
    inner, params = filterset.filtered_except(name).order_by().values_list(column).query.sql_with_params()
    if getattr(filterset.filters[name], "array", False):
        # `inner` is SQL compiled by Django with its values as parameters: no user text in it.
        sql = f"SELECT %s, u.v::text, count(*) FROM (SELECT unnest(t.c) AS v FROM ({inner}) AS t(c)) AS u GROUP BY u.v"  # noqa: S608
    else:
        sql = f"SELECT %s, t.c::text, count(*) FROM ({inner}) AS t(c) WHERE t.c IS NOT NULL GROUP BY t.c"  # noqa: S608
    return sql, [name, *params]


def _facets(filterset: RecommendationFilterSet, rows: list[tuple[str, str, int]]) -> list[Facet]:
    labels = filterset.vocabulary
    chosen = {name: _selected(filterset, name) for name in RecommendationFilterSet.FACETS}
    facets = {
        name: Facet(name=name, label=str(filterset.filters[name].label)) for name in RecommendationFilterSet.FACETS
    }
    for name, value, count in rows:
        value = _display_value(name, value)
        label = _label(labels, name, value)
        facets[name].values.append(FacetValue(value, label, count, value in chosen[name]))
    for facet in facets.values():
        if facet.name in ("cycle", "session"):  # an ordered scale: keep its order
            facet.values.sort(key=lambda v: -int(v.value))
        else:
            facet.values.sort(key=lambda v: (not v.selected, -v.count, v.label))
        shown = [v for i, v in enumerate(facet.values) if v.selected or i < FACET_LIMIT]
        facet.more, facet.values = len(facet.values) - len(shown), shown
    return list(facets.values())


FACET_VOCABULARY = {
    "state": "states", "mechanism": "mechanisms", "cycle": "cycles", "session": "sessions",
    "position": "positions", "status": "statuses", "theme": "themes", "group": "groups", "sdg": "sdgs",
    "recommending_state": "states", "region": "regions", "action_category": "action_categories",
    "institution": "institutions",
}  # fmt: skip


def _display_value(name: str, value: str) -> str:
    if name == "requires_legislation":
        return "true" if value in ("true", "t") else "false"
    return value


def _label(labels: dict, name: str, value: str) -> str:
    if name == "requires_legislation":
        return gettext("Yes") if value == "true" else gettext("No")
    if name == "cycle":
        return gettext("Cycle %(number)s") % {"number": value}
    if name == "session":
        return gettext("Session %(number)s") % {"number": value}
    return str(labels.get(FACET_VOCABULARY[name], {}).get(value, value))


def _selected(filterset: RecommendationFilterSet, name: str) -> set[str]:
    value = filterset.form.cleaned_data.get(name) if filterset.is_valid() else None
    if value is None or value == "" or value == []:
        return set()
    if isinstance(value, bool):
        return {"true" if value else "false"}
    return {str(item) for item in value}


# --- one recommendation ------------------------------------------------------------------------


def recommendation_by_code(code) -> tuple[Recommendation | None, bool]:
    """The recommendation with this public code, or the one that absorbed it (moved=True)."""
    base = (
        public_recommendations()
        .select_related("review__state", "review__mechanism")
        .prefetch_related(
            "recommending_states",
            "themes",
            "affected_groups",
            "sdg_goals",
            "sdg_targets",
            Prefetch("responsibilities", queryset=Responsibility.objects.select_related("organisation")),
            Prefetch("status_changes", queryset=StatusChange.objects.order_by("effective_date", "id")),
        )
    )
    rec = base.filter(code=code).first()
    if rec is not None:
        return rec, False
    return base.filter(former_codes__contains=[code]).first(), True


def related_recommendations(rec: Recommendation, limit: int = 5) -> list[Recommendation]:
    """The same or a similar text addressed in other reviews (other cycles, mechanisms)."""
    candidates = (
        public_recommendations()
        .filter(f_state=rec.f_state, text__trigram_similar=rec.text)
        .exclude(review_id=rec.review_id)
        .annotate(similarity=TrigramSimilarity("text", rec.text))
        .select_related("review__state", "review__mechanism")
        .order_by("-similarity", "id")
    )
    return list(candidates[:limit])


# --- reviews ---------------------------------------------------------------------------------


def public_reviews() -> QuerySet:
    # GROUP BY ignores Meta.ordering, so it is spelled out.
    return (
        Review.objects.select_related("state", "mechanism")
        .annotate(recommendation_count=Count("recommendations"))
        .order_by("state__name", "mechanism__kind", "session", "date", "id")
    )


_KEY_STATE = re.compile(r"-(?P<iso3>[a-z]{3})(?=-|$)")


def review_by_key(key: str) -> Review | None:
    """The review whose `Review.key` is `key` (`upr-chn-17`), in one query.

    Mechanism codes may contain hyphens, so every `-xyz` part is tried as the State.
    """
    key = key.lower()
    candidates = Q()
    for match in _KEY_STATE.finditer(key):
        candidates |= Q(mechanism__code=key[: match.start()], state__iso3=match["iso3"].upper())
    if not candidates:
        return None
    return next((review for review in public_reviews().filter(candidates) if review.key == key), None)
