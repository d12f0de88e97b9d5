"""Imports as background jobs: a real Celery worker on a real Redis runs them end to end,
and the job service survives re-delivery and reports progress outside the import's transaction.

Data: `tests/data/upr_info/upr_info_sample_5_states.csv` (see `tests/data/README.md`):
1659 rows that merge into 1620 recommendations; `tests/data/ohchr/Matrix_recommendations_2013.docx`:
China's 17th session, 252 recommendations (named in its page header).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import docx
import pytest
from django.db import connections, transaction
from django.urls import reverse

from recommendations import jobs
from recommendations.jobs import JobConnection, ProgressWriter, RunBusy, import_run_execute
from recommendations.models import ImportRun, Recommendation, Review
from stakeholders.models import State

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "upr_info" / "upr_info_sample_5_states.csv"
CHINA_2013 = DATA / "ohchr" / "Matrix_recommendations_2013.docx"
SAMPLE_ROWS, SAMPLE_RECOMMENDATIONS = 1659, 1620
UNKNOWN_STATE = "unknown State (not a UN member or observer State name)"


@pytest.fixture
def secretariat_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="secretariat", email="s@example.org", password=None)
    client.force_login(user)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def atlantis_csv(tmp_path) -> Path:
    """The sample's header and two rows addressed to a State that does not exist."""
    text = SAMPLE.read_bytes().decode("mac_roman")
    header, first, second = list(csv.reader(text.splitlines()))[:3]
    column = header.index("To")
    first[column] = second[column] = "Atlantis"
    path = tmp_path / "atlantis.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, first, second])
    return path


@pytest.fixture
def china_2013_without_header(tmp_path) -> Path:
    """The OHCHR list of China's 17th session without its page header: the reader then
    refuses it unless the State and session are given."""
    document = docx.Document(str(CHINA_2013))
    for section in document.sections:
        for paragraph in section.header.paragraphs:
            paragraph.text = ""
    path = tmp_path / "china_2013_without_header.docx"
    document.save(str(path))
    return path


def wait_for(run: ImportRun, timeout: float = 120) -> ImportRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in jobs.FINISHED:
            return run
        time.sleep(0.2)
    pytest.fail(f"import run {run.pk} still {run.status} after {timeout} s")


def upload(client, path: Path, **fields) -> ImportRun:
    with path.open("rb") as handle:
        response = client.post(
            reverse("admin:recommendations_importrun_import"), {"file": handle, "format": "auto", **fields}
        )
    assert response.status_code == 302, response.content.decode()
    return ImportRun.objects.get(dry_run=True, filename=path.name)


def status_page(client, run: ImportRun) -> str:
    response = client.get(reverse("admin:recommendations_importrun_status", args=[run.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- end to end, with a worker ------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media", "celery_worker_redis")
def test_a_file_is_checked_by_a_dry_run_then_imported_on_confirmation(secretariat_client):
    dry_run = wait_for(upload(secretariat_client, SAMPLE))

    assert (dry_run.status, dry_run.format) == ("validated", "upr-info-csv")
    assert (dry_run.rows_total, dry_run.rows_done) == (SAMPLE_ROWS, SAMPLE_ROWS)
    assert (dry_run.created, dry_run.updated, dry_run.unchanged, dry_run.error_count) == (
        SAMPLE_RECOMMENDATIONS,
        0,
        0,
        0,
    )
    assert dry_run.summary == (
        "upr_info_sample_5_states.csv: 1659 rows, 1620 created, 0 updated, 0 unchanged, 0 errors "
        "(dry run, nothing written)"
    )
    assert dry_run.finished_at is not None
    assert Recommendation.objects.count() == 0
    page = status_page(secretariat_client, dry_run)
    assert "Confirm import" in page
    assert "http-equiv" not in page

    response = secretariat_client.post(reverse("admin:recommendations_importrun_confirm", args=[dry_run.pk]))

    run = ImportRun.objects.get(dry_run=False)
    assert response.url == reverse("admin:recommendations_importrun_status", args=[run.pk])
    assert run.file.name == dry_run.file.name
    wait_for(run)
    assert (run.status, run.rows_total, run.created, run.updated, run.unchanged, run.error_count) == (
        "succeeded",
        SAMPLE_ROWS,
        SAMPLE_RECOMMENDATIONS,
        0,
        0,
        0,
    )
    assert Recommendation.objects.count() == SAMPLE_RECOMMENDATIONS
    assert "Confirm import" not in status_page(secretariat_client, dry_run)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media", "celery_worker_redis")
def test_a_dry_run_with_bad_rows_lists_them_and_offers_no_import(secretariat_client, atlantis_csv):
    run = wait_for(upload(secretariat_client, atlantis_csv))

    assert (run.status, run.rows_total, run.created, run.error_count) == ("failed", 2, 0, 2)
    assert run.errors == [
        {"row": 2, "column": "State under review", "value": "Atlantis", "message": UNKNOWN_STATE},
        {"row": 3, "column": "State under review", "value": "Atlantis", "message": UNKNOWN_STATE},
    ]
    page = status_page(secretariat_client, run)
    assert page.count("<td>Atlantis</td>") == 2
    assert page.count(UNKNOWN_STATE) == 2
    assert "2 bad rows — nothing was written" in page
    assert "Confirm import" not in page
    assert Recommendation.objects.count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media", "celery_worker_redis")
def test_the_options_of_the_dry_run_reach_the_import_confirmed_from_the_plain_status_page(
    secretariat_client, china_2013_without_header
):
    china = State.objects.get(iso3="CHN")
    dry_run = wait_for(upload(secretariat_client, china_2013_without_header, state=china.pk, session=17))
    assert (dry_run.status, dry_run.format, dry_run.options) == (
        "validated",
        "ohchr-docx",
        {"state": china.name, "session": 17},
    )
    assert "Confirm import" in status_page(secretariat_client, dry_run)  # no query string

    response = secretariat_client.post(reverse("admin:recommendations_importrun_confirm", args=[dry_run.pk]))

    run = wait_for(ImportRun.objects.get(dry_run=False))
    assert response.url == reverse("admin:recommendations_importrun_status", args=[run.pk])
    assert (run.status, run.options, run.created, run.error_count) == (
        "succeeded",
        {"state": china.name, "session": 17},
        252,
        0,
    )
    review = Review.objects.get(state=china, session=17)
    assert review.recommendations.count() == 252


# --- the job service, called directly ------------------------------------------------------------


def rows_done_seen_by_others(run_id: int) -> int:
    observer = JobConnection()
    try:
        with observer.connection.cursor() as cursor:
            cursor.execute("SELECT rows_done FROM recommendations_importrun WHERE id = %s", [run_id])
            return cursor.fetchone()[0]
    finally:
        observer.close()


def stored_run(path: Path, **fields) -> ImportRun:
    run = ImportRun(filename=path.name, dry_run=True, **fields)
    run.file.save(f"stored{path.suffix}", open(path, "rb"), save=True)  # noqa: SIM115 - closed by storage
    return run


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media")
def test_a_run_found_running_starts_afresh():
    # The worker that took it died mid-import: its transaction and lock died with it.
    run = stored_run(SAMPLE, status=ImportRun.Status.RUNNING, rows_done=1000)

    import_run_execute(run=run)

    run.refresh_from_db()
    assert (run.status, run.rows_done, run.created) == ("validated", SAMPLE_ROWS, SAMPLE_RECOMMENDATIONS)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media")
def test_a_run_is_read_with_its_stored_options(monkeypatch):
    run = stored_run(SAMPLE, options={"state": "China", "session": 17})
    calls = []

    def record(**kwargs):
        calls.append(kwargs)
        return jobs.ImportOutcome(path=kwargs["label"], dry_run=kwargs["dry_run"])

    monkeypatch.setattr(jobs, "recommendations_import", record)

    import_run_execute(run=run)

    assert [(call["state"], call["session"]) for call in calls] == [("China", 17)]
    run.refresh_from_db()
    assert run.status == "validated"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media")
def test_a_finished_run_is_not_run_again():
    run = stored_run(SAMPLE, status=ImportRun.Status.SUCCEEDED, created=7, summary="done")

    import_run_execute(run=run)

    run.refresh_from_db()
    assert (run.status, run.created, run.summary) == ("succeeded", 7, "done")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media")
def test_a_run_another_job_holds_is_left_alone_and_reported_busy():
    run = stored_run(SAMPLE, status=ImportRun.Status.RUNNING, rows_done=1000)
    other = JobConnection()
    try:
        assert other.try_lock(run.pk)

        with pytest.raises(RunBusy):
            import_run_execute(run=run)
    finally:
        other.close()

    run.refresh_from_db()
    assert (run.status, run.rows_done) == ("running", 1000)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media")
def test_progress_is_visible_to_others_while_the_import_transaction_is_open(monkeypatch):
    run = stored_run(SAMPLE)
    seen = []
    add_progress = JobConnection.add_progress

    def add_and_look(self, run_id, rows):
        add_progress(self, run_id, rows)
        assert connections["default"].in_atomic_block  # the import's transaction is open
        seen.append(rows_done_seen_by_others(run_id))

    monkeypatch.setattr(JobConnection, "add_progress", add_and_look)

    import_run_execute(run=run)

    # Told as each chunk of new recommendations is written (400, then 800, then 400
    # here), and written out once 500 rows or more have gathered: after the second chunk.
    assert len(seen) == 1
    assert 1200 <= seen[0] < SAMPLE_ROWS
    run.refresh_from_db()
    assert (run.status, run.rows_done) == ("validated", SAMPLE_ROWS)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_progress_is_written_in_steps_outside_the_caller_transaction():
    run = ImportRun.objects.create(filename="a.csv")
    job = JobConnection()
    try:
        with transaction.atomic():
            write = ProgressWriter(job, run.pk)
            write(200)
            write(200)
            before_step = rows_done_seen_by_others(run.pk)
            write(200)
            after_step = rows_done_seen_by_others(run.pk)
    finally:
        job.close()

    assert (before_step, after_step) == (0, 600)


@pytest.mark.django_db
def test_a_job_refuses_to_run_inside_a_transaction():
    run = ImportRun.objects.create(filename="a.csv")

    with pytest.raises(RuntimeError, match="inside a transaction"):
        import_run_execute(run=run)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("media")
def test_an_unexpected_error_fails_the_run_and_writes_nothing(monkeypatch):
    run = stored_run(SAMPLE)

    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "recommendations_import", explode)

    import_run_execute(run=run)

    run.refresh_from_db()
    assert (run.status, run.error_count) == ("failed", 1)
    assert run.errors[0]["message"].startswith("The import stopped on an unexpected error")
    assert Recommendation.objects.count() == 0
