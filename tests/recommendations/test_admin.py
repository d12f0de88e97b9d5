"""The admin as the secretariat's superuser uses it: every page opens, history stays append-only,
statuses are set through the service, imports start as dry runs.

The data come from a slice of the UPR Info sample (`tests/data/upr_info/`, see its README),
imported with the real importer.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from recommendations.models import (
    AffectedGroup,
    ImplementationStatus,
    ImportRun,
    Mechanism,
    Recommendation,
    RecommendationChange,
    SdgTarget,
    StatusChange,
    StatusSource,
)
from recommendations.services import recommendation_set_status, recommendations_import
from recommendations.tasks import run_import
from stakeholders.models import Invitation, OrganisationKind, SecurityEvent, State
from stakeholders.security import security_event
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "upr_info" / "upr_info_sample_5_states.csv"
SLICE_ROWS = 40
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
READ_ONLY = {StatusChange, RecommendationChange, ImportRun, Invitation, SecurityEvent}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def secretariat_admin(django_user_model):
    return django_user_model.objects.create_superuser(
        username="secretariat", email="secretariat@example.org", password=None
    )


@pytest.fixture
def admin_client(client, secretariat_admin):
    client.force_login(secretariat_admin)
    return client


@pytest.fixture
def sample_slice(tmp_path) -> Path:
    """The sample's header and first rows, as UTF-8 (the original is Mac Roman with CR lines)."""
    raw = SAMPLE.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("mac_roman")
    rows = list(csv.reader(text.splitlines()))[: SLICE_ROWS + 1]
    path = tmp_path / "slice.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def sample_data(sample_slice, secretariat_admin):
    """Recommendations from a real import, plus one row of each history and job model."""
    outcome = recommendations_import(path=sample_slice)
    assert outcome.ok, outcome.errors
    first = Recommendation.objects.order_by("pk").first()
    recommendation_set_status(
        recommendation=first,
        status=ImplementationStatus.IN_PROGRESS,
        effective_date=datetime.date(2023, 3, 1),
        source=StatusSource.MANUAL,
        user=secretariat_admin,
    )
    run = ImportRun.objects.create(
        filename="bad.csv",
        format="upr-info-csv",
        dry_run=True,
        status=ImportRun.Status.FAILED,
        rows_total=2,
        rows_done=2,
        error_count=1,
        errors=[{"row": 2, "column": "State under review", "value": "Atlantis", "message": "unknown State"}],
        warnings=["a warning"],
        summary="bad.csv: 2 rows, 0 created, 0 updated, 0 unchanged, 1 errors (dry run, nothing written)",
        requested_by=secretariat_admin,
    )
    RecommendationChange.objects.create(
        recommendation=first, import_run=run, field="position", old_value="noted", new_value="supported"
    )
    first.affected_groups.add(AffectedGroup.objects.create(name="Women"))
    first.sdg_targets.add(SdgTarget.objects.get(number="16.3"))
    Group.objects.create(name="Secretariat")
    # Another user's second factor (a device of the signed-in admin would require its code).
    TOTPDevice.objects.create(user=UserFactory(email="phone@example.org"), name="phone")
    # Organisations and people (stakeholders/admin.py): an open organisation's, since the
    # admin shows nothing of a CSO's, a coalition's or an NHRI's.
    ministry = OrganisationFactory(slug="ministry-of-justice", kind=OrganisationKind.GOVERNMENT)
    member = MembershipFactory(organisation=ministry).user
    Invitation.objects.create(
        organisation=ministry, email="new@justice.example.org", digest="0" * 64, expires_at=run.requested_at
    )
    security_event("login", user=member, organisation=ministry)
    return outcome


def test_the_sample_data_gives_every_admin_a_row_to_show(sample_data):
    assert sample_data.rows == SLICE_ROWS
    for model in REGISTERED:
        assert model._default_manager.exists(), model._meta.label


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_admin_page_opens_for_a_superuser(admin_client, sample_data, model):
    obj = model._default_manager.order_by("pk").first()

    changelist = admin_client.get(admin_url(model, "changelist"))
    add = admin_client.get(admin_url(model, "add"))
    change = admin_client.get(admin_url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert add.status_code == (403 if model in READ_ONLY else 200)
    assert change.status_code == 200


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (Recommendation, {"q": "death penalty"}),
        (
            Recommendation,
            {"review__cycle__exact": "1", "position__exact": "supported", "status__exact": "not-reported"},
        ),
        (State, {"q": "DPR Korea"}),
        (StatusChange, {"source__exact": "manual"}),
        (ImportRun, {"status__exact": "failed"}),
    ],
)
def test_searches_and_filters_answer(admin_client, sample_data, model, query):
    response = admin_client.get(admin_url(model, "changelist"), query)

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_a_state_is_found_by_its_alias(admin_client, sample_data):
    response = admin_client.get(admin_url(State, "changelist"), {"q": "DPR Korea"})

    assert [state.iso3 for state in response.context["cl"].result_list] == ["PRK"]


def test_the_recommendation_list_costs_the_same_few_queries_for_any_number_of_rows(
    admin_client, sample_data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = admin_client.get(admin_url(Recommendation, "changelist"))

    assert response.context["cl"].result_count == Recommendation.objects.count()
    assert Recommendation.objects.count() > 20


def test_status_history_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, sample_data, secretariat_admin):
    change = StatusChange.objects.get()
    request = RequestFactory().get("/")
    request.user = secretariat_admin
    model_admin = admin.site._registry[StatusChange]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, change)
    assert not model_admin.has_delete_permission(request, change)
    assert admin_client.post(admin_url(StatusChange, "change", change.pk), {"note": "edited"}).status_code == 403
    assert admin_client.post(admin_url(StatusChange, "delete", change.pk), {"post": "yes"}).status_code == 403
    assert StatusChange.objects.get().note == ""


def test_the_recommendation_form_has_no_status_field(sample_data, secretariat_admin):
    request = RequestFactory().get("/")
    request.user = secretariat_admin
    recommendation = Recommendation.objects.first()

    form = admin.site._registry[Recommendation].get_form(request, recommendation)()

    assert {"status", "status_date", "source", "code", "match_keys"}.isdisjoint(form.fields)


def test_setting_a_status_in_the_admin_goes_through_the_history(admin_client, sample_data, secretariat_admin):
    recommendation = Recommendation.objects.order_by("pk")[1]
    url = reverse("admin:recommendations_recommendation_set_status", args=[recommendation.pk])

    form_page = admin_client.get(url)
    response = admin_client.post(
        url, {"status": "partially-implemented", "effective_date": "2024-05-01", "note": "Bill adopted."}
    )

    assert form_page.status_code == 200
    assert response.status_code == 302
    assert response.url == admin_url(Recommendation, "change", recommendation.pk)
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.status_date) == ("partially-implemented", datetime.date(2024, 5, 1))
    change = StatusChange.objects.get(recommendation=recommendation)
    assert (change.previous_status, change.status, change.source, change.recorded_by, change.note) == (
        "not-reported",
        "partially-implemented",
        "manual",
        secretariat_admin,
        "Bill adopted.",
    )
    history = admin_client.get(admin_url(Recommendation, "change", recommendation.pk))
    assert "Bill adopted." in history.content.decode()


def test_an_invalid_status_is_refused_and_nothing_is_recorded(admin_client, sample_data):
    recommendation = Recommendation.objects.order_by("pk")[1]
    url = reverse("admin:recommendations_recommendation_set_status", args=[recommendation.pk])

    response = admin_client.post(url, {"status": "done", "effective_date": "2024-05-01"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "status": ["Select a valid choice. done is not one of the available choices."]
    }
    assert not StatusChange.objects.filter(recommendation=recommendation).exists()


# --- imports (without a worker: jobs enqueued on commit never run in these tests) ----------


def test_the_import_list_links_to_the_import_page(admin_client):
    changelist = admin_client.get(admin_url(ImportRun, "changelist"))
    form_page = admin_client.get(reverse("admin:recommendations_importrun_import"))

    assert reverse("admin:recommendations_importrun_import") in changelist.content.decode()
    assert form_page.status_code == 200
    assert form_page.context["form"]["format"].value() == "auto"


def test_an_upload_over_the_size_limit_is_refused(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    upload = ContentFile(SAMPLE.read_bytes()[:1001], name="big.csv")

    response = admin_client.post(reverse("admin:recommendations_importrun_import"), {"file": upload, "format": "auto"})

    assert response.status_code == 200
    # Stopped while streaming in (upr_portal.lib.uploads.LimitedUploadHandler).
    assert response.context["form"].errors == {"file": ["The file is larger than 1000\xa0bytes."]}
    assert not ImportRun.objects.exists()
    assert not list(tmp_path.iterdir())


def test_an_upload_is_stored_under_a_random_name_and_starts_a_dry_run(admin_client, settings, tmp_path, sample_slice):
    settings.MEDIA_ROOT = tmp_path

    with sample_slice.open("rb") as handle:
        response = admin_client.post(
            reverse("admin:recommendations_importrun_import"), {"file": handle, "format": "upr-info-csv"}
        )

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:recommendations_importrun_status", args=[run.pk])
    assert (run.filename, run.format, run.dry_run, run.status) == ("slice.csv", "upr-info-csv", True, "pending")
    assert "slice" not in run.file.name
    assert run.file.name.endswith(".csv")
    assert run.file.read() == sample_slice.read_bytes()


def test_the_status_page_refreshes_itself_until_the_job_has_finished(admin_client, secretariat_admin):
    run = ImportRun.objects.create(filename="a.csv", dry_run=True, status=ImportRun.Status.RUNNING, rows_done=500)
    url = reverse("admin:recommendations_importrun_status", args=[run.pk])

    running = admin_client.get(url).content.decode()
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.VALIDATED, rows_total=2, created=2)
    finished = admin_client.get(url).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in running
    assert "500 rows processed" in running
    assert "Confirm import" not in running
    assert "http-equiv" not in finished
    assert "Confirm import" in finished
    assert "<script" not in running.replace('<script src="', "")


def test_a_failed_dry_run_shows_its_errors_and_cannot_be_confirmed(admin_client, sample_data):
    run = ImportRun.objects.get(filename="bad.csv")

    page = admin_client.get(reverse("admin:recommendations_importrun_status", args=[run.pk])).content.decode()
    response = admin_client.post(reverse("admin:recommendations_importrun_confirm", args=[run.pk]))

    assert "Atlantis" in page
    assert "Confirm import" not in page
    assert response.status_code == 302
    assert ImportRun.objects.count() == 1


def test_confirming_twice_starts_one_import(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    dry_run = ImportRun(filename="a.csv", dry_run=True, status=ImportRun.Status.VALIDATED, format="upr-info-csv")
    dry_run.file.save("0123.csv", ContentFile(b"To,Text,From\n"), save=True)
    url = reverse("admin:recommendations_importrun_confirm", args=[dry_run.pk])

    first = admin_client.post(url)
    second = admin_client.post(url)

    real = ImportRun.objects.get(dry_run=False)
    assert first.url == second.url == reverse("admin:recommendations_importrun_status", args=[real.pk])
    assert (real.file.name, real.format, real.status) == (dry_run.file.name, "upr-info-csv", "pending")
    page = admin_client.get(reverse("admin:recommendations_importrun_status", args=[dry_run.pk])).content.decode()
    assert "Confirm import" not in page
    assert "import was confirmed" in page


def test_confirming_is_refused_by_get(admin_client):
    run = ImportRun.objects.create(filename="a.csv", dry_run=True, status=ImportRun.Status.VALIDATED)

    assert admin_client.get(reverse("admin:recommendations_importrun_confirm", args=[run.pk])).status_code == 405


def test_the_state_and_session_given_at_upload_are_stored_on_both_runs(
    admin_client, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    enqueued = []
    monkeypatch.setattr(run_import, "delay", lambda *args, **kwargs: enqueued.append((args, kwargs)))
    slovenia = State.objects.get(iso3="SVN")
    docx = (
        Path(__file__).resolve().parent.parent
        / "data"
        / "ohchr"
        / "UPR34_Slovenia_Thematic_list_of_Recommendations.docx"
    )

    with docx.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:recommendations_importrun_import"),
            {"file": handle, "format": "ohchr-docx", "state": slovenia.pk, "session": 34},
        )
    dry_run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=dry_run.pk).update(status=ImportRun.Status.VALIDATED)
    status_url = reverse("admin:recommendations_importrun_status", args=[dry_run.pk])
    page = admin_client.get(status_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:recommendations_importrun_confirm", args=[dry_run.pk]))

    real = ImportRun.objects.get(dry_run=False)
    assert response.url == status_url
    assert dry_run.options == real.options == {"state": "Slovenia", "session": 34}
    assert enqueued == [((dry_run.pk,), {}), ((real.pk,), {})]
    assert "State under review: <strong>Slovenia</strong>; UPR session: <strong>34</strong>" in page
    assert 'name="state"' not in page
    assert 'name="session"' not in page
    detail = admin_client.get(admin_url(ImportRun, "change", real.pk)).content.decode()
    assert "State under review: Slovenia; UPR session: 34" in detail


def test_an_upload_without_options_stores_none(admin_client, settings, tmp_path, sample_slice):
    settings.MEDIA_ROOT = tmp_path

    with sample_slice.open("rb") as handle:
        admin_client.post(reverse("admin:recommendations_importrun_import"), {"file": handle, "format": "auto"})

    run = ImportRun.objects.get()
    assert run.options == {}
    assert "import-options" not in admin_client.get(admin_url(ImportRun, "status", run.pk)).content.decode()


def test_mechanism_aliases_are_edited_one_per_line_so_names_keep_their_commas(admin_client):
    mechanism = Mechanism.objects.get(code="cescr")
    data = {
        "code": "cescr",
        "acronym": "CESCR",
        "name": mechanism.name,
        "kind": mechanism.kind,
        "aliases": "ICESCR\r\n\r\nCommittee on Economic, Social and Cultural Rights \r\n",
    }

    form_page = admin_client.get(admin_url(Mechanism, "change", mechanism.pk))
    response = admin_client.post(admin_url(Mechanism, "change", mechanism.pk), data)

    assert form_page.context["adminform"].form["aliases"].value() == "ICESCR"
    assert response.status_code == 302
    mechanism.refresh_from_db()
    assert mechanism.aliases == ["ICESCR", "Committee on Economic, Social and Cultural Rights"]
