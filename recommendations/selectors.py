"""Reads of public recommendation data, shared by the HTML pages and the API.

Everything here is public: recommendations are UN documents, and their status is the
validated history. Later workflows (assessments, drafts) add their own permission-aware
selectors; nothing unpublished is reachable from these.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext

from recommendations import facet_index
from recommendations.filters import RecommendationFilterSet, search_match
from recommendations.models import (
    ImplementationStatus,
    Recommendation,
    Responsibility,
    ResponsibilityRole,
    Review,
    SearchEntry,
    StatusChange,
    StatusSource,
)
from recommendations.vocabulary import data_version
from stakeholders.models import Organisation, OrganisationKind
from upr_portal.lib.copy import packed_columns

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


def recommendation_page(filterset: RecommendationFilterSet, number: str | int | None, size: int = PAGE_SIZE) -> Page:
    """One page of the filtered list, in the order asked for (`filters.ordering_for`): the
    matching rows and their order come from the facet index (`indexed_list`), and only the
    page's rows are read, by id."""
    return IdPaginator(indexed_list(filterset).ids, size).get_page(number)


class IdPaginator(Paginator):
    """Pages of recommendation ids already in order; a page reads its rows by id (one query)."""

    def _get_page(self, ids, number, paginator) -> Page:
        ids = [int(pk) for pk in ids]
        rows = public_recommendations().filter(pk__in=ids).select_related("review__state", "review__mechanism")
        found = {rec.pk: rec for rec in rows.only(*LIST_FIELDS)}
        return Page([found[pk] for pk in ids if pk in found], number, paginator)


@dataclass
class IndexedList:
    """A filtered list worked out on `facet_index`: its ids in order and its facet counts."""

    ids: np.ndarray | facet_index.OrderedIds
    facet_rows: list[tuple[str, str, int]]

    @property
    def count(self) -> int:
        return len(self.ids)


def indexed_list(filterset: RecommendationFilterSet) -> IndexedList:
    """The valid `filterset`'s results from this data version's facet index (once per
    request): PostgreSQL answers the search (`q`: the matching ids with their rank, one
    query), and the facet filters, every facet's counts under the other filters, the
    number of results and their order come from the index's arrays. A set of rows is a
    boolean mask, or None for every row."""
    done = filterset.__dict__.get("_indexed_list")
    if done is not None:
        return done
    index = facet_index.current(filterset.data_version)
    active = filterset.active_filters()
    searched, rank = _search_rows(filterset, index, active.get("q"))
    masks = {
        name: index.mask(name, _selected(filterset, name)) for name in RecommendationFilterSet.FACETS if name in active
    }
    matched = _every(searched, masks.values())
    matched_rows = None if matched is None else np.flatnonzero(matched)
    facet_rows = []
    for name in RecommendationFilterSet.FACETS:
        within, rows = matched, matched_rows
        if name in masks:  # a filtered facet counts under the other filters only
            within = _every(searched, [mask for other, mask in masks.items() if other != name])
            rows = None if within is None else np.flatnonzero(within)
        facet_rows += index.counts(name, rows, within)
    ids = _ordered_ids(filterset, index, matched, matched_rows, rank)
    done = filterset.__dict__["_indexed_list"] = IndexedList(ids=ids, facet_rows=facet_rows)
    return done


def _every(first: np.ndarray | None, masks) -> np.ndarray | None:
    """The rows in `first` and in every mask (None: every row); the masks are not changed."""
    found = first
    for mask in masks:
        found = mask if found is None else found & mask
    return found


def _search_rows(
    filterset: RecommendationFilterSet, index, q: str | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(rows matching `q` as a mask, each row's rank); None and None without `q`."""
    if not q:
        return None, None
    ids, ranks = search_matches(q.strip(), filterset.data_version)
    rows, present = index.rows_of(ids)
    searched, rank = np.zeros(len(index), dtype=bool), np.zeros(len(index), dtype=np.float32)
    searched[rows] = True
    rank[rows] = ranks[present]
    return searched, rank


def search_matches(q: str, version: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, ranks) of the recommendations a search matches, from the search table alone
    (~0.3 kB a row). Cached per data version and query for `settings.PUBLIC_CACHE_SECONDS`
    (0: not cached): matching and ranking read every match, so its cost grows with the data."""
    seconds = settings.PUBLIC_CACHE_SECONDS
    key = f"search:{version}:{hashlib.sha256(q.encode()).hexdigest()[:32]}" if seconds > 0 else None
    found = cache.get(key) if key else None
    if found is None:
        match, rank = search_match(q, vector="vector", document="recommendation__search_document")
        query = SearchEntry.objects.filter(match).annotate(rank=rank).values_list("recommendation_id", "rank")
        # ts_rank is a real (float4): kept as one, equal ranks stay equal and ties break as in SQL.
        found = packed_columns(*query.query.sql_with_params(), [("id", "bigint"), ("rank", "real")])
        found = (found["id"], found["rank"])
        if key:
            cache.set(key, found, seconds)
    return found


def _ordered_ids(filterset: RecommendationFilterSet, index, matched, rows, rank):
    """The ids of the matching rows in the order asked for (`filters.ordering_for`); rows
    are numbered in the default order (newest first), the other orders are places."""
    choice = filterset.form.cleaned_data.get("ordering") or ("relevance" if rank is not None else "-date")
    if choice == "relevance" and rank is not None:  # best rank first, ties as `ordering_for`
        # ts_rank >= 0: its float32 bits order as its values; one unique key per row.
        descending = np.uint64(0xFFFFFFFF) - rank[rows].view(np.uint32).astype(np.uint64)
        keys = (descending << np.uint64(32)) | index.orders["relevance"][rows].astype(np.uint64)
        return facet_index.OrderedIds(index.ids, rows, keys)
    if choice in ("date", "paragraph"):
        if matched is None:
            return index.ids[index.rows_in_order(choice)]
        return facet_index.OrderedIds(index.ids, rows, index.orders[choice][rows])
    return index.ids if matched is None else index.ids[rows]


LIST_FIELDS = (
    "code", "paragraph", "text", "position", "status", "status_date", "action_category",
    "f_state", "f_mechanism", "f_cycle", "f_session", "f_date", "f_themes", "f_recommending",
    "review__state__name", "review__state__iso3", "review__mechanism__acronym", "review__mechanism__code",
    "review__session", "review__cycle", "review__date", "review__document_symbols",
)  # fmt: skip


def facet_counts(filterset: RecommendationFilterSet, limit: int = FACET_LIMIT, expanded=()) -> list[Facet]:
    """Counts per value of every facet, each under all the other active filters (from the
    facet index: `indexed_list`); labels are applied per request. Each facet keeps its
    `limit` largest values and the selected ones, all of them if `expanded`."""
    return _facets(filterset, indexed_list(filterset).facet_rows, limit, expanded)


def facet_index_write() -> None:
    """Build the current data version's facet index now if missing, rather than on the
    first list request after a change, which would otherwise pay for it (seconds at 300k
    rows). Run in the background after every data change (`tasks.facet_index_refresh`)."""
    facet_index.refresh()


def _facets(filterset: RecommendationFilterSet, rows: list[tuple[str, str, int]], limit: int, expanded) -> list[Facet]:
    """Facets with their selected values and their `limit` largest (by count, then label;
    cycles and sessions in their own order), every value of those `expanded`. Only values
    that may be shown are labelled: a facet can have thousands (sessions)."""
    found: dict[str, list[tuple[str, int]]] = {name: [] for name in RecommendationFilterSet.FACETS}
    for name, value, count in rows:
        found[name].append((_display_value(name, value), count))
    label = _labeller(filterset.vocabulary)
    facets = []
    for name, values in found.items():
        facet = Facet(name=name, label=str(filterset.filters[name].label), total=sum(count for _, count in values))
        chosen = _selected(filterset, name)
        if name in ("cycle", "session"):  # an ordered scale: keep its order
            values.sort(key=lambda item: -int(item[0]))
            shown = [item for i, item in enumerate(values) if name in expanded or item[0] in chosen or i < limit]
            facet.values = [FacetValue(value, label(name, value), count, value in chosen) for value, count in shown]
        else:
            selected = _by_count(name, [item for item in values if item[0] in chosen], len(values), label)
            others = [item for item in values if item[0] not in chosen]
            room = len(others) if name in expanded else max(limit - len(selected), 0)
            facet.values = [FacetValue(*item, True) for item in selected]
            facet.values += [FacetValue(*item, False) for item in _by_count(name, others, room, label)]
        facet.more = len(values) - len(facet.values)
        facets.append(facet)
    return facets


def _by_count(name: str, values: list[tuple[str, int]], room: int, label) -> list[tuple[str, str, int]]:
    """The first `room` of `values` by count, then label, as (value, label, count); only
    those that can make it (ties with the last one included) are labelled."""
    if room < len(values):
        values = sorted(values, key=lambda item: -item[1])
        values = [item for item in values if room and item[1] >= values[room - 1][1]]
    labelled = sorted(((value, label(name, value), count) for value, count in values), key=lambda v: (-v[2], v[1]))
    return labelled[:room]


def _labeller(labels: dict):
    """label(facet, value) in the active language; the phrases are translated once."""
    yes, no = gettext("Yes"), gettext("No")
    cycle, session = gettext("Cycle %(number)s"), gettext("Session %(number)s")

    def label(name: str, value: str) -> str:
        if name == "requires_legislation":
            return yes if value == "true" else no
        if name == "cycle":
            return cycle % {"number": value}
        if name == "session":
            return session % {"number": value}
        return str(labels.get(FACET_VOCABULARY[name], {}).get(value, value))

    return label


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
    label, summary = _labeller(filterset.vocabulary), []
    for name, value in filterset.active_filters().items():
        values = value if isinstance(value, list) else [value]
        if name in FACET_VOCABULARY or name == "requires_legislation":
            shown = [
                label(
                    name,
                    _display_value(name, str(item).lower() if name == "requires_legislation" else str(item)),
                )
                for item in values
            ]
        else:
            shown = [str(item) for item in values]
        summary.append((str(filterset.filters[name].label), shown))
    return summary
