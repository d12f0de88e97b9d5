"""Reads of public recommendation data, shared by the HTML pages and the API.

Everything here is public: recommendations are UN documents, and their status is the
validated history. Later workflows (assessments, drafts) add their own permission-aware
selectors; nothing unpublished is reachable from these.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.http import QueryDict
from django.utils.translation import gettext

from recommendations.filters import RecommendationFilterSet
from recommendations.models import (
    FacetCount,
    ImplementationStatus,
    Recommendation,
    Responsibility,
    ResponsibilityRole,
    Review,
    StatusChange,
    StatusSource,
)
from recommendations.vocabulary import data_version
from stakeholders.models import Organisation, OrganisationKind

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
    total: int = 0  # sum of the counts of every value, shown or not


def public_recommendations() -> QuerySet:
    return Recommendation.objects.all()


def recommendation_filterset(params: QueryDict) -> RecommendationFilterSet:
    filterset = RecommendationFilterSet(params, queryset=public_recommendations())
    filterset.vocabulary  # noqa: B018 - load it now: one query (data version) per request, always
    return filterset


def recommendation_page(
    filterset: RecommendationFilterSet, number: str | int | None, size: int = PAGE_SIZE, count: int | None = None
) -> Page:
    """One page of the filtered list; `count`: the number of results if known (see `result_count`).

    A page of search results (`q`) is cached as its ids per data version, filters, order and
    page for `settings.PUBLIC_CACHE_SECONDS`: ranking reads every matching row, so its cost
    grows with the data, unlike the other pages, which are read from indexes.
    """
    rows = filterset.qs.select_related("review__state", "review__mechanism").only(*LIST_FIELDS)
    paginator = DeferredJoinPaginator(rows, size)
    if count is not None:
        paginator.count = count  # no COUNT query
    if filterset.active_filters().get("q") and settings.PUBLIC_CACHE_SECONDS > 0:
        paginator.cache_prefix = results_cache_prefix(filterset, size)
    return paginator.get_page(number)


def results_cache_prefix(filterset: RecommendationFilterSet, size: int) -> str:
    ordering = filterset.form.cleaned_data.get("ordering") or ""
    return f"results:{filterset.data_version}:{_filters_digest(filterset)}:{ordering}:{size}"


def count_cache_key(filterset: RecommendationFilterSet) -> str:
    return f"count:{filterset.data_version}:{_filters_digest(filterset)}"


class DeferredJoinPaginator(Paginator):
    """Finds the page's ids first, then reads only those rows (one statement).

    A deep page (`?page=1000`) then skips index entries instead of whole rows joined with
    their review, State and mechanism: on the default order, an index-only scan. With a
    `cache_prefix`, the page's ids are cached and a hit reads the rows by id.
    """

    cache_prefix = ""
    count_key = ""  # with a key, the count is cached under it
    filterset: RecommendationFilterSet | None = None  # with one, the count may come from `summary_count`

    @cached_property
    def count(self) -> int:
        found = cache.get(self.count_key) if self.count_key else None
        if found is None and self.filterset is not None:
            found = summary_count(self.filterset)
        if found is None:
            found = super().count
            if self.count_key:
                cache.set(self.count_key, found, settings.PUBLIC_CACHE_SECONDS)
        return found

    def page(self, number) -> Page:
        number = self.validate_number(number)
        key = f"{self.cache_prefix}:{number}" if self.cache_prefix else None
        ids = cache.get(key) if key else None
        if ids is not None:
            by_id = public_recommendations().filter(pk__in=ids).select_related("review__state", "review__mechanism")
            found = {rec.pk: rec for rec in by_id.only(*LIST_FIELDS)}
            return self._get_page([found[pk] for pk in ids if pk in found], number, self)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom == 0:  # the first page reads its rows directly
            rows = self.object_list[bottom:top]
        else:
            rows = self.object_list.filter(pk__in=self.object_list.values("pk")[bottom:top])
        if key:
            rows = list(rows)
            cache.set(key, [rec.pk for rec in rows], settings.PUBLIC_CACHE_SECONDS)
        return self._get_page(rows, number, self)


def summary_count(filterset: RecommendationFilterSet) -> int | None:
    """The number of results read from this data version's `FacetCount` rows (one small
    query instead of a COUNT over up to every row), for the unfiltered list and a list
    filtered by one facet (several values: only if the facet has one value per row, so that
    their counts add up). None otherwise, or when the counts are not written yet."""
    if not filterset.is_valid():
        return None
    active = filterset.active_filters()
    if not active:
        facet, values = "state", None
    elif len(active) == 1 and next(iter(active)) in RecommendationFilterSet.FACETS:
        facet = next(iter(active))
        values = sorted(_selected(filterset, facet))
        if len(values) > 1 and getattr(filterset.filters[facet], "array", False):
            return None
    else:
        return None
    rows = FacetCount.objects.filter(version=filterset.data_version, filter_facet="", facet=facet)
    if values is not None:
        rows = rows.filter(value__in=values)
    return rows.aggregate(total=Sum("count"))["total"]


SINGLE_VALUED_FACETS = ("mechanism", "state", "position", "status", "requires_legislation")  # one per row


def result_count(filterset: RecommendationFilterSet, facets: list[Facet]) -> int | None:
    """The number of results, read from the facet counts: the total of a facet that is not
    filtered and has exactly one value per row. None when every such facet is filtered."""
    active, totals = filterset.active_filters(), {facet.name: facet.total for facet in facets}
    return next((totals[name] for name in SINGLE_VALUED_FACETS if name not in active and name in totals), None)


LIST_FIELDS = (
    "code", "paragraph", "text", "position", "status", "status_date", "action_category",
    "f_state", "f_mechanism", "f_cycle", "f_session", "f_date", "f_themes", "f_recommending",
    "review__state__name", "review__state__iso3", "review__mechanism__acronym", "review__mechanism__code",
    "review__session", "review__cycle", "review__date", "review__document_symbols",
)  # fmt: skip


def facet_counts(filterset: RecommendationFilterSet, limit: int = FACET_LIMIT, expanded=()) -> list[Facet]:
    """Counts per value of every facet, each under all the other active filters.

    One SQL statement whatever the number of facets (see `_facet_rows`). The counts are
    cached per data version and normalised filters (page and ordering aside), for
    `settings.PUBLIC_CACHE_SECONDS` (0: not cached); labels are applied per request. Each
    facet keeps its `limit` largest values and the selected ones, all of them if `expanded`.
    """
    seconds = settings.PUBLIC_CACHE_SECONDS
    key = _facet_cache_key(filterset) if seconds > 0 else None
    rows = cache.get(key) if key else None
    if rows is None:
        rows = _facet_rows(filterset)
        if key:
            cache.set(key, rows, seconds)
    return _facets(filterset, rows, limit, expanded)


def facet_summary_write() -> None:
    """Write the current data version's facet summary now (if missing) rather than on the
    first list request after a change, which would otherwise pay for it (seconds at 300k
    rows). Run in the background after every data change (`tasks.facet_summary_refresh`)."""
    filterset = recommendation_filterset(QueryDict(""))
    filterset.is_valid()  # no filters: valid; cleans the (empty) form the counts read
    _facet_rows(filterset)


def _facet_cache_key(filterset: RecommendationFilterSet) -> str:
    return f"facets:{filterset.data_version}:{_filters_digest(filterset)}"


def _filters_digest(filterset: RecommendationFilterSet) -> str:
    """The active filters, normalised (values sorted: they are ORed), as a short digest."""
    normalised = {
        name: sorted(str(item) for item in value) if isinstance(value, list) else str(value)
        for name, value in filterset.active_filters().items()
    }
    return hashlib.sha256(json.dumps(normalised, sort_keys=True).encode()).hexdigest()[:32]


def _facet_rows(filterset: RecommendationFilterSet, summary: bool = True) -> list[tuple[str, str, int]]:
    """A UNION ALL of one grouped subquery per facet, in one statement.

    With filters, the filtered rows are selected once into a CTE that every facet not
    itself filtered counts from (the search or facet filters run once, not once per facet);
    a filtered facet counts from its own subquery without its filter.

    Counts that need no search or second filter come from `FacetCount`, the counts of this
    data version, which the same statement writes when they are missing (the first list
    request of a version pays for them: ~0.5 s at 33k rows): those of the unfiltered list,
    the filtered facet's own counts when it is the only filter, and every count when that
    facet is one of `PAIRED_FACETS` (the largest filtered sets: `position=supported` is
    two thirds of the table). `summary=False`: count them here instead.
    """
    active = filterset.active_filters()
    names = RecommendationFilterSet.FACETS
    alone = next(iter(active)) if len(active) == 1 and next(iter(active)) in names else None
    paired = summary and alone in PAIRED_FACETS
    from_summary = set() if not summary else set(names) if not active or paired else {alone} if alone else set()
    ctes, params, parts = [], [], []
    if from_summary:
        sql, sql_params = _summary_sql(filterset)
        ctes.append(sql)
        params += sql_params
    if active and not paired:
        columns = [filterset.filters[name].field_name for name in names]
        inner, inner_params = filterset.filtered_except(None).order_by().values_list(*columns).query.sql_with_params()
        aliases = ", ".join(f"c{i}" for i in range(len(names)))
        # `inner` is SQL compiled by Django with its values as parameters: no user text in it.
        ctes.append(f"facet_base({aliases}) AS MATERIALIZED ({inner})")
        params += inner_params
    if paired:  # a facet of one value per row: the rows of its values are disjoint, so counts add up
        values = sorted(_selected(filterset, alone))
        parts.append(
            "SELECT facet, value, sum(count) FROM facet_summary WHERE filter_facet = %s AND filter_value = ANY(%s) "
            "GROUP BY facet, value"
        )
        params += [alone, values]
    for i, name in enumerate(names):
        if paired and name != alone:
            continue
        if name in from_summary:
            sql, sql_params = (
                "SELECT facet, value, count FROM facet_summary WHERE filter_facet = '' AND facet = %s",
                [name],
            )
        elif active and name not in active:
            inner, inner_params = f"SELECT c{i} FROM facet_base", []  # noqa: S608 - constant
            sql, sql_params = _facet_sql(filterset, name, inner, inner_params)
        else:
            column = filterset.filters[name].field_name
            query = filterset.filtered_except(name).order_by().values_list(column).query
            sql, sql_params = _facet_sql(filterset, name, *query.sql_with_params())
        parts.append(sql)
        params += sql_params
    head = f"WITH {', '.join(ctes)} " if ctes else ""
    with connection.cursor() as cursor:
        cursor.execute(head + " UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    if from_summary and not any(row[0] in from_summary for row in rows):
        # No data, or another request was writing this version's counts at the same moment
        # (this statement could not see them yet): count directly.
        return _facet_rows(filterset, summary=False)
    return rows


# Facets with few values and one value per row whose filtered counts are kept in `FacetCount`.
PAIRED_FACETS = ("mechanism", "cycle", "position", "status", "action_category", "requires_legislation")


def _summary_sql(filterset: RecommendationFilterSet) -> tuple[str, list]:
    """CTEs: `facet_summary` (filter_facet, filter_value, facet, value, count) of this data
    version, written if missing (older versions' rows deleted then): the counts over every
    row, and those within the values of the only active filter if it is a paired one."""
    sql, params = _summary_sql_template()
    version, active = filterset.data_version, filterset.active_filters()
    alone = next(iter(active)) if len(active) == 1 and next(iter(active)) in PAIRED_FACETS else ""
    values = sorted(_selected(filterset, alone)) if alone else []
    return sql, [version, *params, version, version, version, version, alone, values]


@functools.cache
def _summary_sql_template() -> tuple[str, tuple]:
    """The SQL of `_summary_sql`, the same for every request (compiled once per process):
    every facet's counts over all rows, then, per facet, its counts within each value of
    each of `PAIRED_FACETS` (one scan per facet, a grouping set per paired facet)."""
    parts, params = [], []
    filters = RecommendationFilterSet.base_filters
    for name in RecommendationFilterSet.FACETS:
        column = filters[name].field_name
        query = public_recommendations().order_by().values_list(column).query
        array = getattr(filters[name], "array", False)
        sql, sql_params = _facet_sql_for(name, array, *query.sql_with_params())
        parts.append(f"SELECT '', '', t.* FROM ({sql}) AS t")  # noqa: S608 - compiled by Django
        params += sql_params
    for name in RecommendationFilterSet.FACETS:
        pairs = [filters[other].field_name for other in PAIRED_FACETS if other != name]
        names = [other for other in PAIRED_FACETS if other != name]
        query = public_recommendations().order_by().values_list(filters[name].field_name, *pairs).query
        inner, inner_params = query.sql_with_params()
        columns = ", ".join(f"p{i}" for i in range(len(pairs)))
        source = "unnest(t.c)" if getattr(filters[name], "array", False) else "(SELECT t.c)"
        which = " ".join(f"WHEN GROUPING(t.p{i}) = 0 THEN '{other}'" for i, other in enumerate(names))
        value = " ".join(f"WHEN GROUPING(t.p{i}) = 0 THEN t.p{i}::text" for i in range(len(names)))
        sets = ", ".join(f"(t.p{i}, g.v)" for i in range(len(names)))
        parts.append(
            f"SELECT * FROM (SELECT CASE {which} END AS ff, CASE {value} END AS fv, %s, g.v::text, count(*) "  # noqa: S608
            f"FROM ({inner}) AS t(c, {columns}), LATERAL {source} AS g(v) WHERE g.v IS NOT NULL "
            f"GROUP BY GROUPING SETS ({sets})) AS pairs WHERE pairs.fv IS NOT NULL"
        )
        params += [name, *inner_params]
    table = FacetCount._meta.db_table
    missing = f"NOT EXISTS (SELECT 1 FROM {table} WHERE version = %s)"  # noqa: S608 - a constant
    # Only Django-compiled SQL and constants are formatted in; values are parameters.
    sql = (
        f"facet_summary_new AS (INSERT INTO {table} (version, filter_facet, filter_value, facet, value, count) "  # noqa: S608
        f"SELECT %s, t.ff, t.fv, t.f, t.v, t.n FROM ({' UNION ALL '.join(parts)}) AS t(ff, fv, f, v, n) "
        f"WHERE {missing} ON CONFLICT DO NOTHING RETURNING filter_facet, filter_value, facet, value, count), "
        f"facet_summary_old AS (DELETE FROM {table} WHERE version < %s AND {missing}), "
        "facet_summary AS (SELECT filter_facet, filter_value, facet, value, count FROM facet_summary_new "
        f"UNION ALL SELECT filter_facet, filter_value, facet, value, count FROM {table} WHERE version = %s "
        "AND (filter_facet = '' OR filter_facet = %s AND filter_value = ANY(%s)))"
    )
    return sql, tuple(params)


def _facet_sql(filterset: RecommendationFilterSet, name: str, inner: str, params) -> tuple[str, list]:
    return _facet_sql_for(name, getattr(filterset.filters[name], "array", False), inner, params)


def _facet_sql_for(name: str, array: bool, inner: str, params) -> tuple[str, list]:
    if array:
        # `inner` is SQL compiled by Django with its values as parameters: no user text in it.
        sql = f"SELECT %s, u.v::text, count(*) FROM (SELECT unnest(t.c) AS v FROM ({inner}) AS t(c)) AS u GROUP BY u.v"  # noqa: S608
    else:
        sql = f"SELECT %s, t.c::text, count(*) FROM ({inner}) AS t(c) WHERE t.c IS NOT NULL GROUP BY t.c"  # noqa: S608
    return sql, [name, *params]


def _facets(filterset: RecommendationFilterSet, rows: list[tuple[str, str, int]], limit: int, expanded) -> list[Facet]:
    labels = filterset.vocabulary
    chosen = {name: _selected(filterset, name) for name in RecommendationFilterSet.FACETS}
    facets = {
        name: Facet(name=name, label=str(filterset.filters[name].label)) for name in RecommendationFilterSet.FACETS
    }
    for name, value, count in rows:
        value = _display_value(name, value)
        label = _label(labels, name, value)
        facets[name].values.append(FacetValue(value, label, count, value in chosen[name]))
        facets[name].total += count
    for facet in facets.values():
        if facet.name in ("cycle", "session"):  # an ordered scale: keep its order
            facet.values.sort(key=lambda v: -int(v.value))
        else:
            facet.values.sort(key=lambda v: (not v.selected, -v.count, v.label))
        if facet.name in expanded:
            continue
        shown = [v for i, v in enumerate(facet.values) if v.selected or i < limit]
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


def recommendation_with_related(code, version: int | None = None) -> tuple[Recommendation | None, bool, list[dict]]:
    """`recommendation_by_code` (without prefetches) and, unless moved, its related
    recommendations as `related_rows`.

    Cached per data version (`version` if read already) and code for
    `settings.PUBLIC_CACHE_SECONDS` (0: not cached): a hit costs one query (the data
    version) instead of nine. Every change that reaches the page (status, relations,
    responsibilities, imports) reindexes, which bumps the version.
    """
    seconds = settings.PUBLIC_CACHE_SECONDS
    key = f"recommendation:{data_version() if version is None else version}:{code}" if seconds > 0 else None
    found = cache.get(key) if key else None
    if found is None:
        rec, moved = recommendation_by_code(code, prefetch=False)
        found = (rec, moved, related_rows(rec) if rec is not None and not moved else [])
        if key:
            cache.set(key, found, seconds)
    return found


def recommendation_by_code(code, prefetch: bool = True) -> tuple[Recommendation | None, bool]:
    """The recommendation with this public code, or the one that absorbed it (moved=True);
    with its relations prefetched unless `prefetch` is False (see `recommendation_relations`)."""
    base = public_recommendations().select_related("review__state", "review__mechanism")
    if prefetch:
        base = base.prefetch_related(
            "recommending_states",
            "themes",
            "affected_groups",
            "sdg_goals",
            "sdg_targets",
            Prefetch("responsibilities", queryset=Responsibility.objects.select_related("organisation")),
            Prefetch("status_changes", queryset=StatusChange.objects.order_by("effective_date", "id")),
        )
    # No `.first()`: it orders by the model's ordering (the review's State name…), whose
    # joins cost more to compile than the query takes; a code is unique.
    rec = next(iter(base.filter(code=code).order_by()[:1]), None)
    if rec is not None:
        return rec, False
    return base.filter(former_codes__contains=[code]).first(), True


RELATIONS_SQL = """
SELECT
  (SELECT coalesce(json_agg(s.name ORDER BY s.name), '[]')
     FROM recommendations_recommendation_recommending_states m JOIN stakeholders_state s ON s.id = m.state_id
    WHERE m.recommendation_id = %(id)s),
  (SELECT coalesce(json_agg(json_build_object(
            'slug', t.slug, 'vocabulary', t.vocabulary,
            'label', CASE WHEN t.code <> '' THEN t.code || ' ' || t.name ELSE t.name END)
          ORDER BY t.vocabulary, t.name), '[]')
     FROM recommendations_recommendation_themes m JOIN recommendations_theme t ON t.id = m.theme_id
    WHERE m.recommendation_id = %(id)s),
  (SELECT coalesce(json_agg(json_build_object('slug', g.slug, 'name', g.name) ORDER BY g.name), '[]')
     FROM recommendations_recommendation_affected_groups m
     JOIN recommendations_affectedgroup g ON g.id = m.affectedgroup_id
    WHERE m.recommendation_id = %(id)s),
  (SELECT coalesce(json_agg(json_build_object('number', g.number, 'name', g.name) ORDER BY g.number), '[]')
     FROM recommendations_recommendation_sdg_goals m JOIN recommendations_sdggoal g ON g.id = m.sdggoal_id
    WHERE m.recommendation_id = %(id)s),
  (SELECT coalesce(json_agg(json_build_object('number', t.number, 'title', t.title)
          ORDER BY g.number, t.position), '[]')
     FROM recommendations_recommendation_sdg_targets m JOIN recommendations_sdgtarget t ON t.id = m.sdgtarget_id
     JOIN recommendations_sdggoal g ON g.id = t.goal_id
    WHERE m.recommendation_id = %(id)s),
  (SELECT coalesce(json_agg(json_build_object('name', o.name, 'role', r.role) ORDER BY r.role, o.name), '[]')
     FROM recommendations_responsibility r JOIN stakeholders_organisation o ON o.id = r.organisation_id
    WHERE r.recommendation_id = %(id)s),
  (SELECT coalesce(json_agg(json_build_object('date', c.effective_date, 'status', c.status, 'source', c.source)
            ORDER BY c.effective_date, c.id), '[]')
     FROM recommendations_statuschange c WHERE c.recommendation_id = %(id)s)
"""


def recommendation_relations(rec: Recommendation) -> dict[str, list[dict]]:
    """What the recommendation's page shows of its relations, as plain values, in one query
    (the seven prefetches of `recommendation_by_code` cost ~6 ms of ORM work): recommending
    State names; themes (slug, vocabulary, label); groups (slug, name); SDG goals (number,
    name) and targets (number, title); responsibilities (name, role label); status changes
    (date, status label, source label). Orders as the models' defaults."""
    with connection.cursor() as cursor:
        cursor.execute(RELATIONS_SQL, {"id": rec.pk})
        states, themes, groups, goals, targets, responsibilities, changes = cursor.fetchone()
    for row in responsibilities:
        row["role"] = ResponsibilityRole(row["role"]).label
    for row in changes:
        row["date"] = datetime.date.fromisoformat(row["date"])
        row["status_label"] = ImplementationStatus(row["status"]).label
        row["source"] = StatusSource(row["source"]).label
    return {
        "recommending_states": states,
        "themes": themes,
        "groups": groups,
        "sdg_goals": goals,
        "sdg_targets": targets,
        "responsibilities": responsibilities,
        "status_changes": changes,
    }


RELATED_MIN_SIMILARITY = 0.3  # pg_trgm.similarity_threshold's default, which `%` used


def related_recommendations(rec: Recommendation, limit: int = 5) -> list[Recommendation]:
    """The same or a similar text addressed in other reviews (other cycles, mechanisms)."""
    return list(_related(rec).select_related("review__state", "review__mechanism")[:limit])


RELATED_SQL = """
SELECT r.code, r.text, m.acronym, v.cycle
  FROM recommendations_recommendation r
  JOIN recommendations_review v ON v.id = r.review_id
  JOIN recommendations_mechanism m ON m.id = v.mechanism_id
 WHERE r.f_state = %(state)s AND r.review_id <> %(review)s AND similarity(r.text, %(text)s) >= %(min)s
 ORDER BY similarity(r.text, %(text)s) DESC, r.id
 LIMIT %(limit)s
"""


def related_rows(rec: Recommendation, limit: int = 5) -> list[dict]:
    """`related_recommendations` as {code, text, acronym, cycle}: what the page shows of
    them, in SQL written out (the query `_related` builds; a test compares them), since
    compiling it cost more Python (~1 ms) than running it. Every recommendation is public
    (`public_recommendations`); a filter added there must be added here."""
    params = {"state": rec.f_state, "review": rec.review_id, "text": rec.text, "min": RELATED_MIN_SIMILARITY}
    with connection.cursor() as cursor:
        cursor.execute(RELATED_SQL, params | {"limit": limit})
        return [dict(zip(("code", "text", "acronym", "cycle"), row, strict=True)) for row in cursor.fetchall()]


def _related(rec: Recommendation) -> QuerySet:
    # similarity() rather than the `%` operator: the same rows (pg_trgm's default threshold),
    # but `%` makes the planner estimate its selectivity by comparing the long text with
    # the column's statistics, which cost more (~10 ms) than running the query.
    return (
        public_recommendations()
        .filter(f_state=rec.f_state)
        .exclude(review_id=rec.review_id)
        .annotate(similarity=TrigramSimilarity("text", rec.text))
        .filter(similarity__gte=RELATED_MIN_SIMILARITY)
        .order_by("-similarity", "id")
    )


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


# --- responsible institutions ------------------------------------------------------------------


def government_entities() -> QuerySet:
    """The organisations a recommendation may be assigned to (Organisation.kind: government entity)."""
    return Organisation.objects.filter(kind=OrganisationKind.GOVERNMENT).order_by("name", "pk")


def assignments_for_organisation(organisation, *, role: str = "", status: str = "") -> QuerySet:
    """What `organisation` is responsible for, newest review first: Responsibility rows with
    their recommendation, review, State and mechanism (one query per page)."""
    rows = Responsibility.objects.filter(organisation=organisation).select_related(
        "recommendation__review__state", "recommendation__review__mechanism"
    )
    if role:
        rows = rows.filter(role=role)
    if status:
        rows = rows.filter(recommendation__status=status)
    return rows.order_by(
        F("recommendation__f_date").desc(nulls_last=True), "recommendation__f_paragraph", "recommendation_id"
    )


def filter_summary(filterset: RecommendationFilterSet) -> list[tuple[str, list[str]]]:
    """The active filters of a valid FilterSet as (filter label, value labels), to show a
    person which recommendations an action will apply to."""
    labels, summary = filterset.vocabulary, []
    for name, value in filterset.active_filters().items():
        values = value if isinstance(value, list) else [value]
        if name in FACET_VOCABULARY or name == "requires_legislation":
            shown = [
                _label(
                    labels,
                    name,
                    _display_value(name, str(item).lower() if name == "requires_legislation" else str(item)),
                )
                for item in values
            ]
        else:
            shown = [str(item) for item in values]
        summary.append((str(filterset.filters[name].label), shown))
    return summary
