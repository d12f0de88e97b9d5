"""Writes to recommendations: imports and status changes."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from recommendations.importers import ImportFileError, detect_format, read_recommendations, source_of
from recommendations.importers.base import RowError
from recommendations.importers.engine import apply
from recommendations.importers.resolve import Resolver
from recommendations.indexing import bump_version, reindex
from recommendations.models import (
    ImplementationStatus,
    ImportDigest,
    ImportRun,
    Recommendation,
    SdgTarget,
    StatusChange,
    StatusSource,
)

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
) -> ImportOutcome:
    """Import one file fully or not at all; with errors nothing is written.

    `use_digest=False` skips the shortcut for a file imported before (benchmarks).
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
        outcome.format, parsed = read_recommendations(path, outcome.format, state=state, session=session)
    except ImportFileError as exc:
        outcome.errors = [RowError(0, "", "", str(exc))]
        return outcome
    outcome.rows, outcome.warnings = parsed.rows, parsed.warnings
    resolver = Resolver()
    errors = list(parsed.errors)
    resolved = [item for draft in parsed.drafts if (item := resolver.resolve(draft, errors))]
    if errors:
        outcome.errors = sorted(errors, key=lambda error: error.row)
        return outcome
    _write(outcome, resolved, resolver, run=run, progress=progress, digest_key=digest_key)
    return outcome


def _digest_key(path: Path, fmt: str, state: str | None, session: int | None) -> str:
    digest = hashlib.sha256(f"{fmt}|{state or ''}|{session or ''}|".encode())
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _answer_from_digest(outcome: ImportOutcome, key: str) -> bool:
    """The same file imported before, and nothing it made has changed since: unchanged."""
    known = ImportDigest.objects.filter(key=key).first()
    if known is None:
        return False
    current = Recommendation.objects.filter(pk__in=[int(pk) for pk in known.fingerprints]).values_list(
        "pk", f"fingerprints__{known.source}"
    )
    if {str(pk): fp for pk, fp in current} != known.fingerprints:
        return False
    outcome.rows, outcome.unchanged, outcome.warnings = known.rows, len(known.fingerprints), known.warnings
    return True


def _remember_digest(outcome: ImportOutcome, key: str, fingerprints: dict[int, str]) -> None:
    ImportDigest.objects.update_or_create(
        key=key,
        defaults={
            "source": source_of(outcome.format),
            "rows": outcome.rows,
            "warnings": outcome.warnings,
            "fingerprints": {str(pk): fp for pk, fp in fingerprints.items()},
        },
    )


def _write(outcome: ImportOutcome, resolved: list, resolver: Resolver, *, run, progress, digest_key: str) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])
        counts = apply(resolved, source=source_of(outcome.format), run=run, progress=progress)
        _fill_target_titles(resolver.target_titles)
        _import_statuses(resolved)
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
