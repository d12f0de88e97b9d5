"""Match imported drafts to recommendations and write them, all or nothing.

Identity, in order: the source's own id (OHCHR annotation id); the review and UN
paragraph number; the review and the normalised text (each part of a shared paragraph
counts). Drafts that land on the same recommendation (UPR Info's one row per
recommending State) are merged first. Fields from the source that created a
recommendation are updated when they change; other sources only fill what is missing;
tags and recommending States are only ever added. Every change is recorded.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import partial
from itertools import islice
from typing import NamedTuple

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from recommendations.indexing import SearchVectors
from recommendations.models import (
    Recommendation,
    RecommendationChange,
    Review,
    StatusChange,
    upr_cycle,
)
from upr_portal.lib.bulk import bulk_update_rows
from upr_portal.lib.copy import (
    References,
    WriteBehind,
    checked_in_bulk,
    copy_sql,
    random_uuids,
    reserve_ids,
)

from .base import RowError
from .fingerprint import fingerprint_of, values_of
from .resolve import Resolved, ensure_vocabulary
from .rows import NEW_COLUMNS, SCALARS, NewRows

RELATIONS = {
    "recommending_states": "state_id",
    "themes": "theme_id",
    "affected_groups": "affectedgroup_id",
    "sdg_goals": "sdggoal_id",
    "sdg_targets": "sdgtarget_id",
}
Progress = Callable[[int], None]
# Near matches: compact texts of at least this length whose similarity reaches the ratio.
FUZZY_MIN_LENGTH = 40
FUZZY_RATIO = 0.95


@dataclass(eq=False)  # identity semantics: targets are compared and hashed by object
class Target:
    """One recommendation the import writes: an existing one or one to create."""

    review: Review
    items: list[Resolved] = field(default_factory=list)
    rec: Recommendation | None = None
    absorbed: list[Recommendation] = field(default_factory=list)  # merged into `rec`
    keys: set[str] = field(default_factory=set)
    paragraph: str = ""
    external_id: str = ""
    state_ids: set[int] = field(default_factory=set)

    def claim(self, item: Resolved) -> None:
        self.items.append(item)
        self.keys.update(item.match_keys)
        self.paragraph = self.paragraph or item.draft.paragraph
        self.external_id = self.external_id or item.draft.external_id
        self.state_ids.update(item.recommending_state_ids)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    fingerprints: dict[int, str] = field(default_factory=dict)  # recommendation id -> fingerprint
    updated_ids: list[int] = field(default_factory=list)  # to reindex


class Matcher:
    """Finds the target of each draft among existing and already-claimed recommendations."""

    def __init__(self, reviews: dict, existing: list[Recommendation], source: str) -> None:
        self.source = source
        self.by_code: dict[str, Target] = {}
        self.by_external: dict[str, Target] = {}
        self.by_paragraph: dict[tuple[int, str], Target] = {}
        self.by_key: dict[tuple[int, str], list[Target]] = defaultdict(list)
        # review -> compact text key -> another source's recommendation without a
        # paragraph number: candidates for near matches between sources.
        self.unnumbered: dict[int, dict[str, Target]] = defaultdict(dict)
        # ... and with one: a text without a number may still be one part of it.
        self.numbered: dict[int, dict[str, Target]] = defaultdict(dict)
        self.targets: dict[int, Target] = {}
        self.states = _recommending_states([rec.pk for rec in existing]) if existing else {}
        for rec in existing:
            target = Target(review=reviews[rec.review_id], rec=rec, paragraph=rec.paragraph)
            target.external_id = rec.external_id
            target.keys.update(rec.match_keys)
            target.state_ids = self.states.get(rec.pk, set())
            if rec.source != source:
                pool = self.numbered if rec.paragraph else self.unnumbered
                for key in rec.match_keys:
                    pool[rec.review_id][key.replace(" ", "")] = target
            for code in (rec.code, *rec.former_codes):
                self.by_code[str(code)] = target
            self._index(target)

    def _index(self, target: Target) -> None:
        review_id = target.review.id  # `.id`, not `.pk`: a property, read per row
        if target.external_id:
            self.by_external[target.external_id] = target
        if target.paragraph:
            self.by_paragraph[(review_id, target.paragraph)] = target
        for key in target.keys:
            if target not in self.by_key[(review_id, key)]:
                self.by_key[(review_id, key)].append(target)
        if target.paragraph:  # numbered now: no longer open to near matches
            self._unpool(target)
        self.targets[id(target)] = target

    def _unpool(self, target: Target) -> None:
        pool = self.unnumbered.get(target.review.id, {})
        for key in target.keys:
            if pool.get(key.replace(" ", "")) is target:
                del pool[key.replace(" ", "")]

    def assign(self, item: Resolved, review: Review) -> Target:
        draft = item.draft
        target = self.by_code.get(draft.code) if draft.code else None
        if target is None and draft.external_id:
            target = self.by_external.get(draft.external_id)
        if target is None and draft.paragraph:
            target = self.by_paragraph.get((review.id, draft.paragraph))
        if target is None:
            target = self._by_text(item, review)
        if target is None:
            target = Target(review=review)
        target.claim(item)
        self._index(target)
        return target

    def _by_text(self, item: Resolved, review: Review) -> Target | None:
        draft = item.draft
        found: list[Target] = []
        for key in item.match_keys:
            candidates = self.by_key.get((review.id, key)) or self._near(review, key, numbered=not draft.paragraph)
            for candidate in candidates:
                if candidate not in found and _compatible(candidate, draft):
                    found.append(candidate)
        if not found:
            return None
        if len(found) > 1 and draft.parts:
            return self._merge(found)
        sponsors = set(item.recommending_state_ids)
        return next((c for c in found if c.state_ids & sponsors), found[0])

    def _near(self, review: Review, key: str, *, numbered: bool) -> list[Target]:
        """Another source's texts that differ only by stray spaces (`programme` vs
        `program me`, common in OHCHR's Word files) or by a few letters in a long text."""
        pool = self.unnumbered.get(review.id, {})
        if numbered and self.numbered.get(review.id):
            pool = pool | self.numbered[review.id]
        if not pool:
            return []
        compact = key.replace(" ", "")
        exact = [target for other, target in pool.items() if other == compact]
        if exact or len(compact) < FUZZY_MIN_LENGTH:
            return exact
        matcher = SequenceMatcher(autojunk=False)
        matcher.set_seq2(compact)
        for other, target in pool.items():
            matcher.set_seq1(other)
            if matcher.real_quick_ratio() >= FUZZY_RATIO and matcher.ratio() >= FUZZY_RATIO:
                return [target]
        return []

    def _merge(self, found: list[Target]) -> Target:
        """A shared UN paragraph matched several single recommendations: keep one."""
        keep = next((t for t in found if t.rec is not None), found[0])
        for other in found:
            if other is keep:
                continue
            if other.rec is not None:
                keep.absorbed.append(other.rec)
            for item in other.items:
                keep.claim(item)
            keep.keys.update(other.keys)
            keep.state_ids.update(other.state_ids)
            self._forget(other)
        return keep

    def _forget(self, target: Target) -> None:
        self.targets.pop(id(target), None)
        for key in target.keys:
            targets = self.by_key.get((target.review.id, key), [])
            if target in targets:
                targets.remove(target)
        self._unpool(target)


def _compatible(candidate: Target, draft) -> bool:
    """Never match across different UN paragraphs, source ids or public codes."""
    if draft.paragraph and candidate.paragraph and draft.paragraph != candidate.paragraph:
        return False
    if draft.code and candidate.rec is not None and str(candidate.rec.code) != draft.code:
        return False
    return not (draft.external_id and candidate.external_id and draft.external_id != candidate.external_id)


def _recommending_states(rec_ids: list[int]) -> dict[int, set[int]]:
    through = Recommendation.recommending_states.through
    result: dict[int, set[int]] = defaultdict(set)
    for rec_id, state_id in through.objects.filter(recommendation_id__in=rec_ids).values_list(
        "recommendation_id", "state_id"
    ):
        result[rec_id].add(state_id)
    return result


# --- reviews -----------------------------------------------------------------------------


def ensure_reviews(resolved: list[Resolved], keys: list[tuple] | None = None) -> list[Review]:
    """Get or create each review the drafts name; add document symbols and dates.

    `keys`: the drafts' `review_keys`, if already known. Returns the review of each
    draft, in order."""
    keys = review_keys(resolved) if keys is None else keys
    refs: dict[int, tuple] = {}  # id(reference) -> (key, first draft): readers share references
    for key, item in zip(keys, resolved, strict=True):
        if id(item.draft.review) not in refs:
            refs[id(item.draft.review)] = (key, item)
    wanted: dict[tuple, Resolved] = {}
    for key, item in refs.values():
        wanted.setdefault(key, item)
    reviews = _existing_reviews(wanted)
    missing = [_new_review(item, key) for key, item in wanted.items() if key not in reviews]
    for review in Review.objects.bulk_create(missing):
        reviews[_key_of(review)] = review
    dirty = {}
    for key, item in refs.values():  # each reference once, in the order drafts name them
        review = reviews[key]
        if _enrich_review(review, item.draft.review):
            dirty[review.pk] = review
    bulk_update_rows(Review, list(dirty.values()), ["document_symbols", "date"])
    return [reviews[key] for key in keys]


def review_keys(resolved: list[Resolved]) -> list[tuple]:
    """The key of each draft's review (`_review_key`), once per review reference that
    drafts share (its names resolve alike for every draft)."""
    known: dict[int, tuple] = {}  # id(reference) -> key
    return [
        known.get(id(item.draft.review)) or known.setdefault(id(item.draft.review), _review_key(item))
        for item in resolved
    ]


def _review_key(item: Resolved) -> tuple:
    ref = item.draft.review
    if ref.session is not None:
        return (item.mechanism.id, item.state.id, ref.session, "")
    return (item.mechanism.id, item.state.id, None, ref.symbol)


def _key_of(review: Review) -> tuple:
    if review.session is not None:
        return (review.mechanism_id, review.state_id, review.session, "")
    return (review.mechanism_id, review.state_id, None, review.symbol)


def _existing_reviews(wanted: dict[tuple, Resolved]) -> dict[tuple, Review]:
    mechanisms = {mechanism_id for mechanism_id, _, _, _ in wanted}
    states = {state_id for _, state_id, _, _ in wanted}
    # One plain filter (a few other reviews of these States come along and are skipped):
    # an OR of each (mechanism, State) pair cost more to compile than to run.
    found = Review.objects.filter(mechanism_id__in=mechanisms, state_id__in=states).select_related("state", "mechanism")
    return {key: review for review in found if (key := _key_of(review)) in wanted}


def _new_review(item: Resolved, key: tuple) -> Review:
    _, _, session, symbol = key
    symbol = symbol or item.draft.review.symbol
    review = Review(mechanism=item.mechanism, state=item.state, session=session, symbol=symbol)
    if session is not None and item.mechanism.kind == "upr":
        review.cycle = upr_cycle(session)
    return review


def _enrich_review(review: Review, ref) -> bool:
    """Add what the source knows of the review; True if anything was added."""
    changed = False
    symbols = [s for s in ref.document_symbols if s and s not in review.document_symbols]
    if symbols:
        review.document_symbols = [*review.document_symbols, *symbols]
        changed = True
    if ref.date and not review.date:
        review.date = ref.date
        changed = True
    return changed


# --- applying ----------------------------------------------------------------------------


class Writer:
    """Creates and updates the recommendations of one import, in bulk."""

    def __init__(self, source: str, run, theme_ids: dict, group_ids: dict, progress: Progress | None = None) -> None:
        self.source = source
        self.run = run
        self.progress = progress or (lambda rows: None)  # told how many drafts each step wrote
        self.theme_ids = theme_ids
        self.group_ids = group_ids
        self.changes: list[RecommendationChange] = []
        self.links: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.new_links: dict[str, list[tuple[int, list[int]]]] = defaultdict(list)  # name -> (id, related ids)

    def merged(self, target: Target) -> dict:
        """The values the drafts of one target give, first non-empty scalar wins."""
        if len(target.items) == 1:  # most targets: no merging to do
            item = target.items[0]
            values = values_of(item)
            relations = _relations_of(item, self.theme_ids, self.group_ids)
            keys = list(dict.fromkeys(item.match_keys))
        else:
            values, relations, keys = self._merge(target.items)
        for name, ids in relations.items():
            if len(ids) > 1:
                relations[name] = list(dict.fromkeys(ids))
        fingerprint = fingerprint_of(target.items, values, keys)
        return {"values": values, "relations": relations, "keys": keys, "fingerprint": fingerprint}

    def _merge(self, items: list[Resolved]) -> tuple[dict, dict, list[str]]:
        values: dict = dict(_NO_VALUES)
        relations: dict[str, list[int]] = {name: [] for name in RELATIONS}
        keys: list[str] = []
        for item in items:
            _merge_item(values, relations, item, self.theme_ids, self.group_ids)
            keys.extend(item.match_keys)
        if any(item.draft.parts for item in items):
            values["text"] = next(item.draft.text for item in items if item.draft.parts)
        return values, relations, list(dict.fromkeys(keys))

    def create(self, targets: list[Target], fingerprints: dict[int, str]) -> int:
        """Insert new recommendations, their search entries and their links with COPY;
        `fingerprints` gets each one's (id -> fingerprint).

        Rows are built a chunk at a time, while PostgreSQL
        stores the previous chunk (`WriteBehind`) and a second connection computes the
        chunk's tsvectors (`SearchVectors`). Foreign keys are checked once per table
        (`checked_in_bulk`)."""
        if not targets:
            return 0
        ids = reserve_ids(Recommendation._meta.db_table, len(targets))
        rows = NewRows()
        lines = self._new_rows(rows, ids, targets, fingerprints)
        with checked_in_bulk() as references, SearchVectors.opened() as vectors, WriteBehind() as database:
            done = 0
            for chunk in chunks(ids):
                built = list(islice(lines, len(chunk)))
                entries = vectors.submit(chunk, [document for _, document in built])
                text = "".join([line for line, _ in built])
                database.submit(partial(_store_new, text, chunk, entries, self._new_links_text(references)))
                self.progress(sum(len(target.items) for target in targets[done : done + len(chunk)]))
                done += len(chunk)
            references.expect(Review._meta.db_table, {target.review.id for target in targets})
        return len(ids)

    def _new_rows(
        self, rows: NewRows, ids: list[int], targets: list[Target], fingerprints: dict[int, str]
    ) -> Iterator[tuple[str, str]]:
        """The CSV line of each new recommendation, and its search document as a CSV field.
        What `merged` gives is dropped once the row is built (freed meanwhile, in small
        pieces, rather than in one go of ~20 objects a row when the import ends)."""
        links = self.new_links
        for pk, code, target in zip(ids, random_uuids(len(targets)), targets, strict=True):
            given = self.merged(target)
            fingerprints[pk] = given["fingerprint"]
            for name, related in given["relations"].items():
                if related:
                    links[name].append((pk, related))
            first = target.items[0].draft
            # Last: a chunk ends at this yield, and the row's links must be in its chunk.
            yield rows.line(pk, first.code or code, target.review, first.source or self.source, given)

    def _new_links_text(self, references: References) -> list[tuple[str, str]]:
        """The COPY statements and lines of the links gathered so far (new recommendations
        have no links yet), and what they refer to."""
        statements = []
        for name, links in self.new_links.items():
            field = getattr(Recommendation, name)
            table = field.through._meta.db_table
            lines = "".join([f"{pk},{related}\n" for pk, ids in links for related in ids])
            statements.append((copy_sql(table, ["recommendation_id", RELATIONS[name]]), lines))
            related_table = field.field.related_model._meta.db_table
            references.expect(related_table, {related for _, ids in links for related in ids})
        self.new_links.clear()
        return statements

    def update(self, target: Target, merged: dict, current_links: dict) -> bool:
        """Apply merged values to an existing recommendation; True if anything changed."""
        rec = target.rec
        changed = [self._set(rec, name, value) for name, value in merged["values"].items()]
        if target.absorbed:
            changed.append(self._set(rec, "text", merged["values"]["text"], force=True))
        self._add_keys(rec, merged["keys"])  # bookkeeping for matching, not a change
        for name, ids in merged["relations"].items():
            changed.append(self._add_links(rec, name, ids, current_links[name].get(rec.pk, set())))
        changed.append(bool(target.absorbed))
        rec.fingerprints = rec.fingerprints | {self.source: merged["fingerprint"]}
        if any(changed):
            rec.updated_at = timezone.now()
        return any(changed)

    def _set(self, rec: Recommendation, name: str, value, *, force: bool = False) -> bool:
        """Fill an empty field, or update one this source gave; `force` for merges."""
        current = getattr(rec, name)
        if value in ("", None) or value == current:
            return False
        owner = rec.provenance.get(name, rec.source)
        if current not in ("", None) and owner != self.source and not force:
            return False
        self._record(rec, name, current, value)
        setattr(rec, name, value)
        if self.source != rec.source:
            rec.provenance = rec.provenance | {name: self.source}
        else:
            rec.provenance = {key: value for key, value in rec.provenance.items() if key != name}
        return True

    def _add_keys(self, rec: Recommendation, keys: list[str]) -> None:
        rec.match_keys = [*rec.match_keys, *(key for key in keys if key not in rec.match_keys)]

    def _add_links(self, rec: Recommendation, name: str, ids: list[int], current: set[int]) -> bool:
        new = [pk for pk in ids if pk not in current]
        for pk in new:
            self.links[name].append((rec.pk, pk))
        if new:
            self._record(rec, name, "", "added " + ", ".join(str(pk) for pk in new))
        return bool(new)

    def _record(self, rec: Recommendation, name: str, old, new) -> None:
        if rec.pk is None:
            return
        self.changes.append(
            RecommendationChange(
                recommendation=rec,
                import_run=self.run,
                field=name,
                old_value="" if old is None else str(old),
                new_value="" if new is None else str(new),
            )
        )

    def flush_links(self) -> None:
        for name, pairs in self.links.items():  # existing recommendations: links may exist
            through = getattr(Recommendation, name).through
            column = RELATIONS[name]
            rows = [through(recommendation_id=rec_id, **{column: pk}) for rec_id, pk in dict.fromkeys(pairs)]
            through.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
        self.links.clear()
        RecommendationChange.objects.bulk_create(self.changes, batch_size=5000)


CHUNK_ROWS = 8000  # new recommendations per COPY at most: Python builds one while PostgreSQL stores another
FIRST_ROWS = 400  # ... except the first and the last: PostgreSQL waits for the first, Python for the last


def chunks(ids: list[int], size: int | None = None, edge: int | None = None) -> Iterator[list[int]]:
    """`ids` in chunks of up to `size`, small at both ends: `edge`, then doubling towards
    the middle, so that PostgreSQL does not wait long for the first chunk, nor Python
    for the last ones."""
    size = size or CHUNK_ROWS
    step, head, tail, remaining = min(edge or FIRST_ROWS, size), [], [], len(ids)
    while remaining > 0:
        for sizes in (head, tail):
            if remaining > 0:
                sizes.append(min(step, remaining))
                remaining -= sizes[-1]
        step = min(step * 2, size)
    start = 0
    for length in head + tail[::-1]:
        yield ids[start : start + length]
        start += length


NEW_ROWS_COPY = copy_sql(Recommendation._meta.db_table, NEW_COLUMNS)


def _store_new(text: str, ids: list[int], entries: Future | None, links: list[tuple[str, str]], cursor) -> None:
    """One chunk of new recommendations, their search entries and links (`WriteBehind`)."""
    # Read in one call: each read takes the interpreter back from the thread building rows.
    cursor.copy_expert(NEW_ROWS_COPY, io.StringIO(text), size=len(text) + 1)
    for statement, lines in links:
        cursor.copy_expert(statement, io.StringIO(lines), size=len(lines) + 1)
    SearchVectors.store(cursor, ids, entries)  # last: the second connection has had the most time


_NO_VALUES = dict.fromkeys(SCALARS, "") | {"action_category": None, "requires_legislation": None}
_GIVEN = (*SCALARS, "requires_legislation")


def _merge_item(values: dict, relations: dict, item: Resolved, theme_ids: dict, group_ids: dict) -> None:
    draft = item.draft
    given = (
        *(draft.text, draft.paragraph, item.position, draft.position_source, draft.action_category),
        *(draft.annotation_type, draft.external_id, draft.requires_legislation),
    )
    for name, value in zip(_GIVEN, given, strict=True):
        if value not in ("", None) and values[name] in ("", None):
            values[name] = value
    for name, ids in _relations_of(item, theme_ids, group_ids).items():
        relations[name] += ids


def _relations_of(item: Resolved, theme_ids: dict, group_ids: dict) -> dict[str, list[int]]:
    """The ids of what one draft relates its recommendation to, by relation (`RELATIONS`)."""
    return {
        "recommending_states": list(item.recommending_state_ids),
        "themes": [theme_ids[(vocabulary, key)] for vocabulary, key, _ in item.theme_keys],
        "affected_groups": [group_ids[key] for key in item.group_keys],
        "sdg_goals": list(item.sdg_goal_ids),
        "sdg_targets": list(item.sdg_target_ids),
    }


def _current_links(rec_ids: list[int]) -> dict[str, dict[int, set[int]]]:
    result: dict[str, dict[int, set[int]]] = {}
    for name, column in RELATIONS.items():
        through = getattr(Recommendation, name).through
        links: dict[int, set[int]] = defaultdict(set)
        for rec_id, pk in through.objects.filter(recommendation_id__in=rec_ids).values_list(
            "recommendation_id", column
        ):
            links[rec_id].add(pk)
        result[name] = links
    return result


def apply(
    resolved: list[Resolved],
    *,
    source: str,
    run=None,
    progress: Progress | None = None,
    grouping: Grouping | None = None,
) -> Counts:
    """Write the resolved drafts; the caller holds the transaction. `grouping`: the
    drafts' `group_drafts`, if already known."""
    theme_ids, group_ids = ensure_vocabulary(resolved)
    reviews = ensure_reviews(resolved, grouping.review_keys if grouping else None)
    by_id = {review.id: review for review in reviews}
    existing = list(Recommendation.objects.filter(review__in=by_id.keys()))
    existing += _external_matches(resolved, by_id)
    if grouping is not None and not existing:  # what matching would find: see `group_drafts`
        targets = grouping.targets(resolved, reviews)
    else:
        targets = _match(resolved, reviews, by_id, existing, source)
    return _write(targets, Writer(source, run, theme_ids, group_ids, progress))


def _match(resolved: list[Resolved], reviews: list, by_id: dict, existing: list, source: str) -> list[Target]:
    """The targets of the drafts (`reviews`: of each draft), among `existing` ones."""
    for rec in existing:
        if rec.review_id not in by_id:
            by_id[rec.review_id] = rec.review  # from select_related
    matcher = Matcher(by_id, existing, source)
    for item, review in zip(resolved, reviews, strict=True):
        matcher.assign(item, review)
    return list(matcher.targets.values())


class PendingReview(NamedTuple):
    """Stands for a review that `group_drafts` cannot look up: matching only reads a
    review's `id`, and the review's key identifies it as well."""

    id: tuple


@dataclass
class Grouping:
    """Which drafts make one recommendation, when none of their reviews has any yet."""

    review_keys: list[tuple]  # of each draft
    groups: list[list[int]]  # draft positions of each recommendation, in matching order

    def targets(self, resolved: list[Resolved], reviews: list[Review]) -> list[Target]:
        """The targets `Matcher` would give (`reviews`: of each draft, `ensure_reviews`).
        A target's review is that of the draft that created it, its first."""
        return [Target(review=reviews[group[0]], items=[resolved[n] for n in group]) for group in self.groups]


def group_drafts(resolved: list[Resolved]) -> Grouping:
    """Match drafts among themselves, without the database: what `apply` finds when
    their reviews have no recommendations yet and no other recommendation carries their
    source ids or codes (a file's first import). The read-ahead process does it while the
    previous file is written; `apply` checks that this holds, else matches again."""
    keys = review_keys(resolved)
    pending = {key: PendingReview(key) for key in keys}
    targets = _match(resolved, [pending[key] for key in keys], {}, [], source="")
    position = {id(item): number for number, item in enumerate(resolved)}
    return Grouping(keys, [[position[id(item)] for item in target.items] for target in targets])


def _external_matches(resolved: list[Resolved], reviews: dict) -> list[Recommendation]:
    """Recommendations outside the file's reviews that carry one of its ids or codes."""
    ids = [item.draft.external_id for item in resolved if item.draft.external_id]
    codes = [item.draft.code for item in resolved if item.draft.code]
    if not ids and not codes:
        return []
    found = Recommendation.objects.filter(
        Q(external_id__in=ids) | Q(code__in=codes) | Q(former_codes__overlap=codes)
    ).exclude(review__in=reviews.keys())
    return list(found.select_related("review"))


def _write(targets: list[Target], writer: Writer) -> Counts:
    counts = Counts()
    active = [t for t in targets if t.items]
    new = [t for t in active if t.rec is None]
    old = [t for t in active if t.rec is not None]
    counts.created = writer.create(new, counts.fingerprints)
    merged = {id(t): writer.merged(t) for t in old}
    _update_existing(old, merged, writer, counts)
    writer.progress(sum(len(target.items) for target in old))
    writer.flush_links()
    counts.fingerprints.update((target.rec.pk, merged[id(target)]["fingerprint"]) for target in old)
    return counts


def _update_existing(old: list[Target], merged: dict, writer: Writer, counts: Counts) -> None:
    if not old:  # a first import: nothing to compare, and no statement to prepare
        return
    stale = [t for t in old if t.absorbed or t.rec.fingerprints.get(writer.source) != merged[id(t)]["fingerprint"]]
    counts.unchanged += len(old) - len(stale)
    links = _current_links([t.rec.pk for t in stale])
    changed, quiet, absorbed = [], [], []
    for target in stale:
        absorbed += _absorb(target, merged[id(target)], counts)
        if writer.update(target, merged[id(target)], links):
            counts.updated += 1
            counts.updated_ids.append(target.rec.pk)
            changed.append(target.rec)
        else:
            counts.unchanged += 1
            quiet.append(target.rec)
    bulk_update_rows(Recommendation, changed, UPDATE_FIELDS)
    _store_bookkeeping(quiet, writer.source)
    Recommendation.objects.filter(pk__in=[rec.pk for rec in absorbed]).delete()


UPDATE_FIELDS = (
    *SCALARS,
    "requires_legislation",
    "match_keys",
    "fingerprints",
    "provenance",
    "former_codes",
    "updated_at",
)
BOOKKEEPING_SQL = """
UPDATE recommendations_recommendation AS rec
SET fingerprints = rec.fingerprints || jsonb_build_object(%(source)s, row.fp),
    match_keys = ARRAY(SELECT jsonb_array_elements_text(row.keys))
FROM jsonb_to_recordset(%(rows)s::jsonb) AS row(id bigint, fp text, keys jsonb)
WHERE rec.id = row.id
"""


def _store_bookkeeping(recs: list[Recommendation], source: str) -> None:
    """Unchanged recommendations only learn this source's fingerprint and text keys:
    one statement, rather than rewriting every field of every row."""
    if not recs:
        return
    rows = [{"id": rec.pk, "fp": rec.fingerprints[source], "keys": rec.match_keys} for rec in recs]
    with connection.cursor() as cursor:
        cursor.execute(BOOKKEEPING_SQL, {"source": source, "rows": json.dumps(rows)})


def _absorb(target: Target, merged: dict, counts: Counts) -> list[Recommendation]:
    """Fold recommendations matched to the same UN paragraph into the kept one.

    Returns the absorbed rows to delete; their codes stay reachable as `former_codes`.
    """
    if not target.absorbed:
        return []
    absorbed = []
    extra = _current_links([other.pk for other in target.absorbed])
    for other in target.absorbed:
        if StatusChange.objects.filter(recommendation=other).exists():
            counts.errors.append(
                RowError(
                    target.items[0].draft.row,
                    "paragraph",
                    target.paragraph,
                    f"matches recommendation {other.code}, which has its own status history; merge them by hand",
                )
            )
            continue
        for name in RELATIONS:
            merged["relations"][name].extend(extra[name].get(other.pk, ()))
        merged["keys"].extend(key for key in other.match_keys if key not in merged["keys"])
        target.rec.former_codes = [*target.rec.former_codes, other.code, *other.former_codes]
        absorbed.append(other)
    return absorbed
