"""Imports run as background jobs: request, confirm and execute an `ImportRun`.

The flow: an uploaded file is stored through Django storage and checked by a dry run
(`import_run_request`); after a person has read the dry run's summary, a second run on
the same stored file writes it (`import_run_confirm`). A Celery worker executes each run
(`import_run_execute`, called by `recommendations.tasks.run_import`).

Options the reader needs besides the file (an OHCHR list's State and session) are stored
on the run (`ImportRun.options`) and copied from the dry run to its confirmation, so the
import writes exactly what the dry run checked, however the confirmation was reached.

Progress. The import writes everything in one transaction, so a progress counter written
through the worker's own connection would stay invisible until the end. Each execution
therefore opens a second, short-lived database connection (`JobConnection`, autocommit)
for two things: the progress counter, which the status page reads while the import runs,
and a session-level advisory lock that marks the run as taken. The cache is no option:
without Redis it is per-process memory, and nothing here may assume a single process.

Re-delivery. Tasks are acknowledged late, so a job whose worker died is delivered again.
The dead worker's connections closed with it, releasing the lock and rolling the import
back, so the next delivery finds the run "running", unlocked, and starts it afresh. A
second delivery while the first is still alive (a job longer than the broker's visibility
timeout) finds the lock taken and tries again later, until the run has finished (then it
stops) or the lock is free (the first job died: it takes over).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.utils import timezone

from recommendations.models import ImportRun
from recommendations.services import ImportOutcome, recommendations_import

logger = logging.getLogger(__name__)

FINISHED = (ImportRun.Status.VALIDATED, ImportRun.Status.SUCCEEDED, ImportRun.Status.FAILED)
# Advisory lock namespace of import runs (the second key is the run's id).
RUN_LOCK_NAMESPACE = 0x55_50_52_02
# Progress is written at most once per this many rows.
PROGRESS_STEP = 500
# A run keeps at most this many row errors; `error_count` still counts them all.
MAX_STORED_ERRORS = 10_000


# --- requesting -----------------------------------------------------------------------------


def import_run_request(
    *, upload: UploadedFile, fmt: str, user, state: str | None = None, session: int | None = None
) -> ImportRun:
    """Store the upload and enqueue its dry run; `state` and `session` are kept on the run."""
    run = ImportRun(
        filename=Path(upload.name).name[:255],
        format=fmt,
        dry_run=True,
        options=import_options(state=state, session=session),
        requested_by=user,
    )
    run.file.save(_storage_name(upload.name), upload, save=False)
    with transaction.atomic():
        run.save()
        _enqueue(run)
    return run


def import_options(*, state: str | None = None, session: int | None = None) -> dict:
    """A run's `options`: the reader's keyword arguments that were given."""
    return {key: value for key, value in {"state": state, "session": session}.items() if value}


def import_run_confirm(*, dry_run: ImportRun, user) -> ImportRun:
    """Enqueue the real import of a file whose dry run passed; asking twice gives one run."""
    with transaction.atomic():
        checked = ImportRun.objects.select_for_update().get(pk=dry_run.pk)
        if not checked.dry_run or checked.status != ImportRun.Status.VALIDATED:
            raise ValueError("only a dry run that passed can be confirmed")
        existing = import_run_confirmation(checked)
        if existing is not None:
            return existing
        run = ImportRun.objects.create(
            filename=checked.filename,
            file=checked.file.name,
            format=checked.format,
            dry_run=False,
            options=dict(checked.options),
            requested_by=user,
        )
        _enqueue(run)
    return run


def import_run_confirmation(dry_run: ImportRun) -> ImportRun | None:
    """The real import started from this dry run (they share the stored file), if any."""
    return ImportRun.objects.filter(file=dry_run.file.name, dry_run=False).order_by("pk").first()


def _storage_name(original: str) -> str:
    """A random name that keeps a plain extension (readers and people like to see it)."""
    suffix = Path(original).suffix.lower()
    if not (2 <= len(suffix) <= 6 and suffix[1:].isalnum()):
        suffix = ""
    return f"{uuid.uuid4().hex}{suffix}"


def _enqueue(run: ImportRun) -> None:
    from recommendations.tasks import run_import  # tasks import this module

    transaction.on_commit(lambda: run_import.delay(run.pk))


# --- executing ------------------------------------------------------------------------------


class RunBusy(Exception):
    """Another job is executing this run right now."""


class JobConnection:
    """A second database connection, in autocommit, outside the import's transaction."""

    def __init__(self) -> None:
        self.connection = connections.create_connection("default")

    def close(self) -> None:
        self.connection.close()

    def try_lock(self, run_id: int) -> bool:
        """Take the run for this job; held until the connection closes (or dies)."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK_NAMESPACE, run_id])
            return bool(cursor.fetchone()[0])

    def add_progress(self, run_id: int, rows: int) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE recommendations_importrun SET rows_done = rows_done + %s WHERE id = %s", [rows, run_id]
            )


class ProgressWriter:
    """The import's progress callback: adds rows up, writes every `PROGRESS_STEP` rows."""

    def __init__(self, job: JobConnection, run_id: int) -> None:
        self.job, self.run_id, self.pending = job, run_id, 0

    def __call__(self, rows: int) -> None:
        self.pending += rows
        if self.pending >= PROGRESS_STEP:
            self.job.add_progress(self.run_id, self.pending)
            self.pending = 0


def import_run_execute(*, run: ImportRun) -> ImportRun:
    """Run one import job to its end, with the run's stored `options`; a finished run is left alone.

    Raises `RunBusy` when another job holds the run: the caller should try again later,
    because that job may still die after the broker has forgotten its message.

    Call it outside any transaction (as a Celery task runs): the run's status must be
    committed for the status page, and the job connection must not wait on our own locks.
    """
    if connection.in_atomic_block:
        raise RuntimeError("import_run_execute must not run inside a transaction")
    job = JobConnection()
    try:
        if not job.try_lock(run.pk):
            raise RunBusy(f"import run {run.pk} is being executed by another job")
        run.refresh_from_db()
        if run.status in FINISHED:
            return run
        _mark_running(run)
        try:
            outcome = _import(run, ProgressWriter(job, run.pk))
        except Exception:
            logger.exception("import run %s failed", run.pk)
            _record_crash(run)
        else:
            _record(run, outcome)
    finally:
        job.close()
    return run


def _mark_running(run: ImportRun) -> None:
    # A re-delivered run starts over: its earlier attempt was rolled back with its worker.
    run.status, run.rows_done = ImportRun.Status.RUNNING, 0
    run.save(update_fields=["status", "rows_done"])


def _import(run: ImportRun, progress: ProgressWriter) -> ImportOutcome:
    with stored_copy(run) as path:
        return recommendations_import(
            path=path,
            fmt=run.format,
            dry_run=run.dry_run,
            run=run,
            progress=progress,
            state=run.options.get("state"),
            session=run.options.get("session"),
            label=run.filename,
        )


@contextmanager
def stored_copy(run: ImportRun) -> Iterator[Path]:
    """The run's stored file as a local temporary file: the readers need a path.

    The storage may be remote (S3 and the like), so the file is never read in place.
    """
    with tempfile.TemporaryDirectory(prefix="upr-import-") as folder:
        path = Path(folder) / f"upload{Path(run.file.name).suffix}"
        with run.file.open("rb") as source, path.open("wb") as target:
            shutil.copyfileobj(source, target, length=1024 * 1024)
        yield path


def _record(run: ImportRun, outcome: ImportOutcome) -> None:
    if not outcome.ok:
        run.status = ImportRun.Status.FAILED
    elif run.dry_run:
        run.status = ImportRun.Status.VALIDATED
    else:
        run.status = ImportRun.Status.SUCCEEDED
    if run.format == "auto" and outcome.format:
        run.format = outcome.format  # the confirmed import then skips detection
    run.rows_total = run.rows_done = outcome.rows
    run.created, run.updated, run.unchanged = outcome.created, outcome.updated, outcome.unchanged
    run.error_count = outcome.error_count
    run.errors = [asdict(error) for error in outcome.errors[:MAX_STORED_ERRORS]]
    run.warnings = list(outcome.warnings)
    run.summary = outcome.summary_line() + (" (dry run, nothing written)" if run.dry_run else "")
    run.finished_at = timezone.now()
    run.save(update_fields=[*RESULT_FIELDS, "format"])


RESULT_FIELDS = (
    "status",
    "rows_total",
    "rows_done",
    "created",
    "updated",
    "unchanged",
    "error_count",
    "errors",
    "warnings",
    "summary",
    "finished_at",
)


def _record_crash(run: ImportRun) -> None:
    message = "The import stopped on an unexpected error; nothing was written. The worker's log has the details."
    run.status = ImportRun.Status.FAILED
    run.created = run.updated = run.unchanged = 0
    run.error_count = 1
    run.errors = [{"row": 0, "column": "", "value": "", "message": message}]
    run.summary = f"{run.filename}: {message}"
    run.finished_at = timezone.now()
    run.save(update_fields=[*RESULT_FIELDS])
