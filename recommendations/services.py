"""Writes to recommendations: imports, status changes and responsible institutions."""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recommendations.importers import ImportFileError, detect_format, source_of
from recommendations.importers.base import RowError, paused_gc, quick_thread_switches
from recommendations.importers.engine import apply
from recommendations.importers.prepare import Prepared, ReadAhead, prepare
from recommendations.importers.resolve import Resolver
from recommendations.indexing import bump_version, import_batch, reindex
from recommendations.models import (
    ImplementationStatus,
    ImportDigest,
    ImportRun,
    Recommendation,
    Responsibility,
    ResponsibilityRole,
    SdgTarget,
    StatusChange,
    StatusSource,
)
from stakeholders.models import Organisation, OrganisationKind
from stakeholders.permissions import can

logger = logging.getLogger(__name__)

# One import at a time: two concurrent files for the same review would both create it.
IMPORT_LOCK_ID = 0x55_50_52_01


@dataclass
class ImportOutcome:
    """What one file's import did (or, in a dry run or with errors, would do)."""

    path: str
    format: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def error_count(self) -> int:
        """Bad rows (a file-level problem counts as one)."""
        return len({error.row for error in self.errors}) if self.errors else 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary_line(self) -> str:
        return (
            f"{self.path}: {self.rows} rows, {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.error_count} errors"
        )


Progress = Callable[[int], None]


@paused_gc()  # see there: half the import's Python time went to the collector
@quick_thread_switches()
def recommendations_import(
    *,
    path: str | Path,
    fmt: str = "auto",
    dry_run: bool = False,
    run: ImportRun | None = None,
    progress: Progress | None = None,
    state: str | None = None,
    session: int | None = None,
    label: str | None = None,
    use_digest: bool = True,
    ahead: ReadAhead | None = None,
    following: Path | None = None,
) -> ImportOutcome:
    """Import one file fully or not at all; with errors nothing is written.

    `use_digest=False` skips the shortcut for a file imported before (benchmarks).
    `ahead` and `following` are for `recommendations_import_files`.
    """
    path = Path(path)
    outcome = ImportOutcome(path=label or str(path), dry_run=dry_run)
    try:
        if not path.is_file():
            raise ImportFileError(f"{path}: no such file")
        outcome.format = detect_format(path) if fmt == "auto" else fmt
        digest_key = _digest_key(path, outcome.format, state, session)
        if use_digest and _answer_from_digest(outcome, digest_key):
            return outcome
        if ahead is not None and following is not None:
            ahead.start(following)  # read while this file is read, matched and written
        if ahead is None:
            prepared = prepare(path, outcome.format, state=state, session=session, resolver=Resolver())
        else:
            prepared = ahead.prepare(path, outcome.format)
    except ImportFileError as exc:
        outcome.errors = [RowError(0, "", "", str(exc))]
        return outcome
    outcome.format, outcome.rows, outcome.warnings = prepared.format, prepared.parsed.rows, prepared.parsed.warnings
    if prepared.errors:
        outcome.errors = sorted(prepared.errors, key=lambda error: error.row)
        return outcome
    _write(outcome, prepared, run=run, progress=progress, digest_key=digest_key)
    return outcome


def recommendations_import_files(
    *, paths: list[str | Path], progress_for: Callable[[str | Path], Progress] | None = None, **options
) -> Iterator[ImportOutcome]:
    """`recommendations_import` of each file in turn (each fully or not at all), with the
    same options; while one file is written, the next is read (`ReadAhead`). The facet
    index of the new data is built once, after the last file (`import_batch`)."""
    read_options = {name: options.get(name) for name in ("state", "session")}
    reading = ReadAhead(fmt=options.get("fmt", "auto"), **read_options)
    with paused_gc(), quick_thread_switches(), import_batch(), reading as ahead:
        for path, following in zip(paths, [*map(Path, paths[1:]), None], strict=True):
            progress = progress_for(path) if progress_for else None
            yield recommendations_import(path=path, progress=progress, ahead=ahead, following=following, **options)


def _digest_key(path: Path, fmt: str, state: str | None, session: int | None) -> str:
    digest = hashlib.sha256(f"{fmt}|{state or ''}|{session or ''}|".encode())
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _answer_from_digest(outcome: ImportOutcome, key: str) -> bool:
    """The same file imported before, and nothing it made has changed since: unchanged."""
    known = ImportDigest.objects.filter(key=key).first()
    if known is None or not known.fingerprint:  # not known, or stored in an older form
        return False
    ids = [int(pk) for pk in known.recommendation_ids.split(",")]
    current = (
        Recommendation.objects.filter(pk__in=ids).order_by("pk").values_list("pk", f"fingerprints__{known.source}")
    )
    if _fingerprints_digest(current) != known.fingerprint:  # a row changed, or is gone
        return False
    outcome.rows, outcome.unchanged, outcome.warnings = known.rows, len(ids), known.warnings
    return True


def _remember_digest(outcome: ImportOutcome, key: str, fingerprints: dict[int, str]) -> None:
    ids = sorted(fingerprints)
    digest = ImportDigest(
        key=key,
        source=source_of(outcome.format),
        rows=outcome.rows,
        warnings=outcome.warnings,
        recommendation_ids=",".join(map(str, ids)),
        fingerprint=_fingerprints_digest((pk, fingerprints[pk]) for pk in ids),
    )
    # One INSERT … ON CONFLICT: `update_or_create` would read the row and add a savepoint.
    fields = ["source", "rows", "warnings", "recommendation_ids", "fingerprint", "created_at"]
    ImportDigest.objects.bulk_create([digest], update_conflicts=True, unique_fields=["key"], update_fields=fields)


def _fingerprints_digest(rows: Iterable[tuple[int, str | None]]) -> str:
    """One SHA-256 of (recommendation id, source fingerprint) pairs, in the order given:
    an import's digest stores it rather than every pair (a JSON object of thousands of
    keys cost ~20 ms to write, when the import has a core idle)."""
    return hashlib.sha256("".join([f"{pk}:{fp}\n" for pk, fp in rows]).encode()).hexdigest()


def _write(outcome: ImportOutcome, prepared: Prepared, *, run, progress, digest_key: str) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])
        source = source_of(outcome.format)
        counts = apply(prepared.resolved, source=source, run=run, progress=progress, grouping=prepared.grouping)
        _fill_target_titles(prepared.resolver.target_titles)
        _import_statuses(prepared.resolved)
        if counts.errors:
            outcome.errors = counts.errors
        else:
            outcome.created, outcome.updated, outcome.unchanged = counts.created, counts.updated, counts.unchanged
        if counts.errors or outcome.dry_run:
            transaction.set_rollback(True)
        else:
            reindex(counts.updated_ids)  # created rows were written indexed
            bump_version()
            _remember_digest(outcome, digest_key, counts.fingerprints)


def _fill_target_titles(titles: dict[int, str]) -> None:
    for pk, title in titles.items():
        SdgTarget.objects.filter(pk=pk, title="").update(title=title)


def _import_statuses(resolved: list) -> None:
    """Our own export carries statuses: give recommendations that have none yet theirs."""
    wanted = {item.draft.code: item.draft for item in resolved if item.draft.code and item.draft.status}
    if not wanted:
        return
    fresh = Recommendation.objects.filter(code__in=wanted.keys(), status=ImplementationStatus.NOT_REPORTED)
    for rec in fresh:
        draft = wanted[str(rec.code)]
        if draft.status != ImplementationStatus.NOT_REPORTED:
            recommendation_set_status(
                recommendation=rec,
                status=draft.status,
                effective_date=draft.status_date or timezone.localdate(),
                source=StatusSource.IMPORT,
                note="Imported from a UPR Portal export.",
            )


def recommendation_set_status(
    *,
    recommendation: Recommendation,
    status: str,
    effective_date: datetime.date,
    source: str,
    user=None,
    note: str = "",
) -> StatusChange:
    """The one writer of a recommendation's status: history row first, then the copy.

    The copy follows the change with the latest effective date, so back-dated entries
    join the history without overriding a newer status.
    """
    if status not in ImplementationStatus.values:
        raise ValueError(f"unknown implementation status {status!r}")
    with transaction.atomic():
        rec = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        change = StatusChange.objects.create(
            recommendation=rec,
            previous_status=rec.status,
            status=status,
            effective_date=effective_date,
            source=source,
            note=note,
            recorded_by=user,
        )
        latest = rec.status_changes.order_by("-effective_date", "-id").first()
        rec.status, rec.status_date = latest.status, latest.effective_date
        rec.save(update_fields=["status", "status_date", "updated_at"])
    recommendation.status, recommendation.status_date = rec.status, rec.status_date
    return change


# --- Responsible institutions ------------------------------------------------------------------
# Government entities answerable for a recommendation: one lead at most, any number of
# supporting ones. Only the secretariat assigns them (`recommendations.assign_responsibility`).
# Writes go through these functions, never row by row through the model, so that the search
# and facet columns (the `institution` facet) and the public caches follow in one reindex.

# Assignment writes take this lock, so that two secretariat officers assigning leads to
# overlapping sets at once cannot race past the one-lead constraint.
RESPONSIBILITY_LOCK_ID = 0x55_50_52_02


@dataclass
class BulkAssignOutcome:
    """What `responsibilities_bulk_assign` did to the recommendations it was given."""

    matched: int = 0  # recommendations in the set
    assigned: int = 0  # newly given to the organisation (or promoted to lead)
    unchanged: int = 0  # the organisation already had that role
    skipped: int = 0  # another institution leads and `replace_lead` was off
    demoted: int = 0  # former leads made supporting (`replace_lead`)


def _check_assigner(by) -> None:
    if not can(by, "recommendations.assign_responsibility"):
        raise PermissionDenied("Only the national mechanism's secretariat assigns responsible institutions.")


def _check_government(*organisations: Organisation) -> None:
    for organisation in organisations:
        if organisation.kind != OrganisationKind.GOVERNMENT:
            raise ValidationError(
                _("%(name)s is not a government entity: only those can be responsible for recommendations."),
                code="not_government",
                params={"name": organisation.name},
            )


def _lock_responsibilities() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RESPONSIBILITY_LOCK_ID])


def responsibility_set(
    *, recommendation: Recommendation, lead: Organisation | None, supporting: Iterable[Organisation], by
) -> list[Responsibility]:
    """Make `lead` (or none) and `supporting` a recommendation's responsible institutions.

    Institutions left out lose the recommendation; those that keep their role keep their
    original assignment date and author.
    """
    _check_assigner(by)
    supporting = list(dict.fromkeys(supporting))  # unique, in order
    _check_government(*([lead] if lead else []), *supporting)
    if lead is not None and lead in supporting:
        raise ValidationError(
            _("%(name)s cannot be both the lead and a supporting institution."),
            code="lead_supporting",
            params={"name": lead.name},
        )
    wanted = {org.pk: ResponsibilityRole.SUPPORTING for org in supporting}
    if lead is not None:
        wanted[lead.pk] = ResponsibilityRole.LEAD
    with transaction.atomic():
        _lock_responsibilities()
        rows = Responsibility.objects.filter(recommendation=recommendation)
        current = dict(rows.values_list("organisation_id", "role"))
        gone = [pk for pk in current if pk not in wanted]
        if gone:
            # A raw delete: Responsibility's post_delete signal would reindex once per row.
            rows.filter(organisation_id__in=gone)._raw_delete(rows.db)
        changed = {pk: role for pk, role in wanted.items() if pk in current and current[pk] != role}
        now = timezone.now()
        # Demote first: the one-lead constraint is checked per statement.
        for role in (ResponsibilityRole.SUPPORTING, ResponsibilityRole.LEAD):
            pks = [pk for pk, new in changed.items() if new == role]
            if pks:
                rows.filter(organisation_id__in=pks).update(role=role, assigned_at=now, assigned_by=by)
        Responsibility.objects.bulk_create(
            Responsibility(recommendation=recommendation, organisation_id=pk, role=role, assigned_by=by)
            for pk, role in wanted.items()
            if pk not in current
        )
        if gone or changed or wanted.keys() - current.keys():
            reindex([recommendation.pk])  # and bump the data version: caches go stale
    logger.info("responsibilities set on recommendation %s by user %s", recommendation.pk, by.pk)
    return list(rows.select_related("organisation"))


def responsibility_remove(*, recommendation: Recommendation, organisation: Organisation, by) -> bool:
    """Take the recommendation away from `organisation`; False when it was not responsible."""
    _check_assigner(by)
    with transaction.atomic():
        _lock_responsibilities()
        deleted = Responsibility.objects.filter(recommendation=recommendation, organisation=organisation)._raw_delete(
            connection.alias
        )
        if deleted:
            reindex([recommendation.pk])
    logger.info("responsibility removed from recommendation %s by user %s", recommendation.pk, by.pk)
    return bool(deleted)


# One statement per step, over the ids of the set; `%(ids)s` is the array of those ids.
_BULK_DEMOTE_SQL = """
UPDATE recommendations_responsibility SET role = 'supporting', assigned_at = %(now)s, assigned_by_id = %(by)s
WHERE recommendation_id = ANY(%(ids)s::bigint[]) AND role = 'lead' AND organisation_id <> %(org)s
"""
_BULK_PROMOTE_SQL = """
UPDATE recommendations_responsibility AS r SET role = 'lead', assigned_at = %(now)s, assigned_by_id = %(by)s
WHERE r.recommendation_id = ANY(%(ids)s::bigint[]) AND r.organisation_id = %(org)s AND r.role = 'supporting'
  AND NOT EXISTS (
    SELECT 1 FROM recommendations_responsibility AS other
    WHERE other.recommendation_id = r.recommendation_id AND other.role = 'lead'
  )
"""
_BULK_INSERT_SQL = """
INSERT INTO recommendations_responsibility (recommendation_id, organisation_id, role, assigned_at, assigned_by_id)
SELECT t.id, %(org)s, %(role)s, %(now)s, %(by)s FROM unnest(%(ids)s::bigint[]) AS t(id)
WHERE %(role)s = 'supporting' OR NOT EXISTS (
    SELECT 1 FROM recommendations_responsibility AS other WHERE other.recommendation_id = t.id AND other.role = 'lead'
)
ON CONFLICT DO NOTHING
"""
_BULK_COUNT_SQL = """
SELECT
    count(*) FILTER (WHERE r.organisation_id = %(org)s AND (r.role = %(role)s OR %(role)s = 'supporting')),
    count(*) FILTER (WHERE r.organisation_id <> %(org)s AND r.role = 'lead')
FROM recommendations_responsibility AS r WHERE r.recommendation_id = ANY(%(ids)s::bigint[])
"""


def responsibilities_bulk_assign(
    *, recommendations: QuerySet, organisation: Organisation, role: str, by, replace_lead: bool = False
) -> BulkAssignOutcome:
    """Give every recommendation of `recommendations` to `organisation` in `role`.

    A few statements whatever the size of the set. As supporting: added where absent (an
    institution that leads stays lead). As lead: where no other institution leads (a
    supporting role is promoted); where another leads, it becomes supporting with
    `replace_lead`, else the recommendation is skipped.
    """
    _check_assigner(by)
    _check_government(organisation)
    if role not in ResponsibilityRole.values:
        raise ValidationError(_("Unknown role."), code="role")
    outcome = BulkAssignOutcome()
    with transaction.atomic():
        _lock_responsibilities()
        ids = list(recommendations.order_by().values_list("pk", flat=True).distinct())
        outcome.matched = len(ids)
        if not ids:
            return outcome
        params = {"ids": ids, "org": organisation.pk, "role": role, "now": timezone.now(), "by": by.pk}
        with connection.cursor() as cursor:
            cursor.execute(_BULK_COUNT_SQL, params)
            outcome.unchanged, other_leads = cursor.fetchone()
            if role == ResponsibilityRole.LEAD:
                if replace_lead:
                    cursor.execute(_BULK_DEMOTE_SQL, params)
                    outcome.demoted = cursor.rowcount
                else:
                    outcome.skipped = other_leads
                cursor.execute(_BULK_PROMOTE_SQL, params)
                outcome.assigned += cursor.rowcount
            cursor.execute(_BULK_INSERT_SQL, params)
            outcome.assigned += cursor.rowcount
        if outcome.assigned or outcome.demoted:
            reindex(ids)  # one statement, and the data version: the facet and pages follow
    logger.info(
        "responsibilities bulk-assigned by user %s: %s matched, %s assigned, %s skipped",
        by.pk,
        outcome.matched,
        outcome.assigned,
        outcome.skipped,
    )
    return outcome
