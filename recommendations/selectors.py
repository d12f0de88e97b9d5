"""Reads of public recommendation data, shared by the HTML pages and the API.

Everything here is public: recommendations are UN documents, and their status is the
validated history. Later workflows (assessments, drafts) add their own permission-aware
selectors; nothing unpublished is reachable from these.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Subquery
from django.db.models.base import ModelState
from django.http import QueryDict
from django.utils.translation import gettext

from recommendations import facet_index, postings
from recommendations.filters import RecommendationFilterSet, matches_substrings, search_match
from recommendations.models import (
    DataVersion,
    ImplementationStatus,
    Mechanism,
    Recommendation,
    RelatedSet,
    Responsibility,
    ResponsibilityRole,
    Review,
    SearchEntry,
    StatusChange,
    StatusSource,
)
from recommendations.related import BUILT_MARK, STORED
from recommendations.related import MIN_SIMILARITY as RELATED_MIN_SIMILARITY
from recommendations.vocabulary import data_version
from stakeholders.models import Organisation, OrganisationKind, State
from upr_portal.lib.copy import packed_columns
from upr_portal.lib.prepared import Prepared

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
        return Page(list_rows([int(pk) for pk in ids]), number, paginator)


def list_rows(ids: list[int]) -> list[Recommendation]:
    """The recommendations with these ids, in this order, with the fields the list and the
    API list show (`LIST_ROW`), in one prepared statement: the ORM's compiling of the
    four-table query cost more than running it. Every recommendation is public
    (`public_recommendations`); a filter added there must be added here."""
    with connection.cursor() as cursor:
        LIST_STATEMENT.execute(cursor, {"ids": ids})
        found = {rec.pk: rec for rec in map(LIST_ROW.build, cursor.fetchall())}
    return [found[pk] for pk in ids if pk in found]


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
    """(ids, ranks) of the recommendations a search matches: a frequent word's postings
    (`recommendations.postings`), else from the search table alone (~0.3 kB a row).
    Cached per data version and query for `settings.PUBLIC_CACHE_SECONDS` (0: not
    cached): matching and ranking read every match, so its cost grows with the data."""
    seconds = settings.PUBLIC_CACHE_SECONDS
    key = f"search:{version}:{hashlib.sha256(q.encode()).hexdigest()[:32]}" if seconds > 0 else None
    found = cache.get(key) if key else None
    if found is None:
        match, rank = search_match(q, vector="vector", document="recommendation__search_document")
        query = SearchEntry.objects.filter(match).annotate(rank=rank).values_list("recommendation_id", "rank")
        # ts_rank is a real (float4): kept as one, equal ranks stay equal and ties break as in SQL.
        if matches_substrings(q):
            found = packed_columns(*query.query.sql_with_params(), [("id", "bigint"), ("rank", "real")])
            found = (found["id"], found["rank"])
        else:
            found = postings.matches(q, version, *query.query.sql_with_params())
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


def recommendation_with_related(code, version: int | None = None) -> tuple[Recommendation | None, bool, dict]:
    """The recommendation with this public code (or the one that absorbed it: moved=True)
    and, unless moved, what its page shows around it (`recommendation_page_values`).

    Cached per data version (`version` if read already) and code for
    `settings.PUBLIC_CACHE_SECONDS` (0: not cached): a hit costs one query (the data
    version). Every change that reaches the page (status, relations, responsibilities,
    imports) reindexes, which bumps the version.
    """
    seconds = settings.PUBLIC_CACHE_SECONDS
    key = f"recommendation:{data_version() if version is None else version}:{code}" if seconds > 0 else None
    found = cache.get(key) if key else None
    if found is None:
        found = recommendation_page_values(code)
        if key:
            cache.set(key, found, seconds)
    return found


def recommendation_by_code(code, prefetch: bool = True) -> tuple[Recommendation | None, bool]:
    """The recommendation with this public code, or the one that absorbed it (moved=True);
    with its relations prefetched unless `prefetch` is False (see `recommendation_page_values`)."""
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


class JoinedRows:
    """A recommendation with its review, State and mechanism, read as one row of plain
    columns and built with `Model.from_db` (the fields not listed are deferred), for
    statements written out where the ORM's compiling costs more than running them."""

    JOIN = """
  FROM recommendations_recommendation r
  JOIN recommendations_review v ON v.id = r.review_id
  JOIN stakeholders_state s ON s.id = v.state_id
  JOIN recommendations_mechanism m ON m.id = v.mechanism_id"""

    def __init__(self, recommendation: set[str], review: set[str], state: set[str], mechanism: set[str]) -> None:
        # The same fields as a queryset's `.only()` names them.
        self.only = (
            *sorted(recommendation),
            *(f"review__{name}" for name in sorted(review)),
            *(f"review__state__{name}" for name in sorted(state)),
            *(f"review__mechanism__{name}" for name in sorted(mechanism)),
        )
        wanted = (
            (Recommendation, recommendation | {"id", "review_id"}),
            (Review, review | {"id", "state_id", "mechanism_id"}),
            (State, state | {"id"}),
            (Mechanism, mechanism | {"id"}),
        )
        # In each model's field order: the order `from_db` reads.
        self.models = [
            (model, tuple(f.attname for f in model._meta.concrete_fields if f.attname in names))
            for model, names in wanted
        ]
        self.columns = ", ".join(
            f"{alias}.{field}" for alias, (_, fields) in zip("rvsm", self.models, strict=True) for field in fields
        )
        self.width = sum(len(fields) for _, fields in self.models)

    def build(self, row) -> Recommendation:
        """The recommendation of the row's first `width` columns, its relations attached.

        Built as `Model.from_db` would build an instance of `.only()` fields, without
        `Model.__init__`, which walks every field of the model (~20 µs an instance: 4 ms
        for a page of 50 rows). No signal is sent (these models have no `post_init`
        receiver).
        """
        instances, start = [], 0
        for model, fields in self.models:
            instance = model.__new__(model)
            instance._state = ModelState()
            instance._state.adding, instance._state.db = False, connection.alias
            instance.__dict__.update(zip(fields, row[start : start + len(fields)], strict=True))
            instances.append(instance)
            start += len(fields)
        rec, review, state, mechanism = instances
        review.state, review.mechanism, rec.review = state, mechanism, review
        return rec


# What the list and the API list show of a recommendation.
LIST_ROW = JoinedRows(
    recommendation={"code", "paragraph", "text", "position", "status", "status_date", "action_category", "f_state",
                    "f_mechanism", "f_cycle", "f_session", "f_date", "f_themes", "f_recommending"},
    review={"session", "cycle", "date", "document_symbols"},
    state={"name", "iso3"},
    mechanism={"acronym", "code"},
)  # fmt: skip
# The same fields, for querysets (`.only(*LIST_FIELDS)`).
LIST_FIELDS = LIST_ROW.only
LIST_STATEMENT = Prepared(
    "recommendation_list_rows",
    f"SELECT {LIST_ROW.columns}{LIST_ROW.JOIN} WHERE r.id = ANY(%(ids)s::bigint[])",
)

# What a recommendation's page shows of it. Only these fields are loaded; the page reads no other.
PAGE_ROW = JoinedRows(
    recommendation={"code", "paragraph", "text", "position", "position_source", "action_category", "status",
                    "status_date", "requires_legislation", "f_state"},
    review={"cycle", "session", "date", "symbol", "document_symbols"},
    state={"iso3", "name"},
    mechanism={"code", "acronym", "name"},
)  # fmt: skip

PAGE_RELATIONS = (
    "recommending_states",
    "themes",
    "groups",
    "sdg_goals",
    "sdg_targets",
    "responsibilities",
    "status_changes",
    "related",
)

PAGE_SQL = f"""
SELECT
  {PAGE_ROW.columns},
  (SELECT coalesce(json_agg(s2.name ORDER BY s2.name), '[]')
     FROM recommendations_recommendation_recommending_states x JOIN stakeholders_state s2 ON s2.id = x.state_id
    WHERE x.recommendation_id = r.id),
  (SELECT coalesce(json_agg(json_build_object(
            'slug', t.slug, 'vocabulary', t.vocabulary,
            'label', CASE WHEN t.code <> '' THEN t.code || ' ' || t.name ELSE t.name END)
          ORDER BY t.vocabulary, t.name), '[]')
     FROM recommendations_recommendation_themes x JOIN recommendations_theme t ON t.id = x.theme_id
    WHERE x.recommendation_id = r.id),
  (SELECT coalesce(json_agg(json_build_object('slug', g.slug, 'name', g.name) ORDER BY g.name), '[]')
     FROM recommendations_recommendation_affected_groups x
     JOIN recommendations_affectedgroup g ON g.id = x.affectedgroup_id
    WHERE x.recommendation_id = r.id),
  (SELECT coalesce(json_agg(json_build_object('number', g.number, 'name', g.name) ORDER BY g.number), '[]')
     FROM recommendations_recommendation_sdg_goals x JOIN recommendations_sdggoal g ON g.id = x.sdggoal_id
    WHERE x.recommendation_id = r.id),
  (SELECT coalesce(json_agg(json_build_object('number', t.number, 'title', t.title)
          ORDER BY g.number, t.position), '[]')
     FROM recommendations_recommendation_sdg_targets x JOIN recommendations_sdgtarget t ON t.id = x.sdgtarget_id
     JOIN recommendations_sdggoal g ON g.id = t.goal_id
    WHERE x.recommendation_id = r.id),
  (SELECT coalesce(json_agg(json_build_object('name', o.name, 'role', x.role) ORDER BY x.role, o.name), '[]')
     FROM recommendations_responsibility x JOIN stakeholders_organisation o ON o.id = x.organisation_id
    WHERE x.recommendation_id = r.id),
  (SELECT coalesce(json_agg(json_build_object('date', c.effective_date, 'status', c.status, 'source', c.source)
            ORDER BY c.effective_date, c.id), '[]')
     FROM recommendations_statuschange c WHERE c.recommendation_id = r.id),
  CASE WHEN related.version IS NOT NULL THEN
  (SELECT coalesce(json_agg(json_build_object('code', o.code, 'text', o.text, 'acronym', om.acronym,
                                              'cycle', ov.cycle) ORDER BY x.place), '[]')
     FROM unnest(related.others[1:%(limit)s]) WITH ORDINALITY AS x(id, place)
     JOIN recommendations_recommendation o ON o.id = x.id
     JOIN recommendations_review ov ON ov.id = o.review_id
     JOIN recommendations_mechanism om ON om.id = ov.mechanism_id)
  ELSE
  (SELECT coalesce(json_agg(json_build_object('code', o.code, 'text', o.text, 'acronym', o.acronym,
                                              'cycle', o.cycle) ORDER BY o.similarity DESC, o.id), '[]')
     FROM (SELECT o.id, o.code, o.text, om.acronym, ov.cycle, similarity(o.text, r.text) AS similarity
             FROM recommendations_recommendation o
             JOIN recommendations_review ov ON ov.id = o.review_id
             JOIN recommendations_mechanism om ON om.id = ov.mechanism_id
            WHERE o.f_state = r.f_state AND o.review_id <> r.review_id
              AND similarity(o.text, r.text) >= %(min)s
            ORDER BY similarity(o.text, r.text) DESC, o.id
            LIMIT %(limit)s) o)
  END{PAGE_ROW.JOIN}
  LEFT JOIN LATERAL (
    SELECT s2.version, coalesce(rs.others, '{{}}') AS others
      FROM recommendations_dataversion dv
      JOIN recommendations_relatedset s2 ON s2.version = dv.version AND s2.recommendation_id = %(built)s
      LEFT JOIN recommendations_relatedset rs ON rs.version = dv.version AND rs.recommendation_id = r.id
     WHERE dv.id = 1) related ON true
 WHERE r.code = %(code)s
"""  # noqa: S608 - columns and joins of PAGE_ROW, no input
PAGE_STATEMENT = Prepared("recommendation_page", PAGE_SQL)


def recommendation_page_values(code) -> tuple[Recommendation | None, bool, dict]:
    """(recommendation, moved, values) for the recommendation's page, in one prepared
    statement (planning the nine queries the ORM would send cost PostgreSQL more than
    running them, and building them ~6 ms of Python).

    The recommendation is loaded with the fields of `PAGE_ROW` and its review, State and
    mechanism. The values are plain: recommending State names; themes (slug,
    vocabulary, label); groups (slug, name); SDG goals (number, name) and targets (number,
    title); responsibilities (name, role label); status changes (date, status label,
    source label); and up to `related.STORED` related recommendations ({code, text, acronym,
    cycle}: the same or a similar text addressed to the State in other reviews, as
    `related_recommendations`: the data version's computed lists, `recommendations.related`,
    else computed here). Each list in the models' default order. Every
    recommendation is public (`public_recommendations`); a filter added there must be
    added here. An absorbed code gives the paragraph that absorbed it, moved, without values.
    """
    with connection.cursor() as cursor:
        params = {"code": str(code), "min": RELATED_MIN_SIMILARITY, "limit": STORED, "built": BUILT_MARK}
        PAGE_STATEMENT.execute(cursor, params)
        row = cursor.fetchone()
    if row is None:
        rec, moved = recommendation_by_code(code, prefetch=False)
        return rec, moved, {}
    rec = PAGE_ROW.build(row)
    values = dict(zip(PAGE_RELATIONS, row[PAGE_ROW.width :], strict=True))
    for responsibility in values["responsibilities"]:
        responsibility["role"] = ResponsibilityRole(responsibility["role"]).label
    for change in values["status_changes"]:
        change["date"] = datetime.date.fromisoformat(change["date"])
        change["status_label"] = ImplementationStatus(change["status"]).label
        change["source"] = StatusSource(change["source"]).label
    for other in values["related"]:
        other["code"] = uuid.UUID(other["code"])
    return rec, False, values


def related_recommendations(rec: Recommendation) -> list[Recommendation]:
    """Up to `related.STORED` recommendations with the same or a similar text addressed in
    other reviews (other cycles, mechanisms): the current data version's computed list
    (`recommendations.related`), else the query. The page reads the same in its statement
    (`PAGE_SQL`)."""
    version = DataVersion.objects.filter(id=1).values("version")
    stored = dict(
        RelatedSet.objects.filter(version=Subquery(version), recommendation_id__in=[BUILT_MARK, rec.pk]).values_list(
            "recommendation_id", "others"
        )
    )
    if BUILT_MARK not in stored:
        return list(_related(rec).select_related("review__state", "review__mechanism")[:STORED])
    ids = stored.get(rec.pk, [])
    found = public_recommendations().select_related("review__state", "review__mechanism").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


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
