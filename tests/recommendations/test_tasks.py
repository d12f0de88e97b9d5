"""Background jobs that follow a data change, run by a real worker on Redis."""

import time
from pathlib import Path

import pytest
from django.core.cache import cache

from recommendations import facet_index
from recommendations.models import Recommendation, RelatedSet, SearchPosting
from recommendations.related import BUILT_MARK
from recommendations.services import recommendations_import, recommendations_import_files
from recommendations.tasks import facet_index_refresh
from recommendations.vocabulary import data_version

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "upr_info" / "upr_info_sample_5_states.csv"
VOLUNTARY = SAMPLE.with_name("voluntary.csv")


def wait_for_index(version: int, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = cache.get(facet_index.CACHE_KEY)
        if found is not None and found.version == version:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no facet index for data version {version} after {seconds} s")


def wait_for_rows(rows, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if rows.exists():
            return
        time.sleep(0.2)
    raise AssertionError(f"no {what} after {seconds} s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("celery_worker_redis")
def test_an_import_is_followed_by_its_facet_index_postings_and_related_lists_built_in_the_background(settings):
    settings.FACET_INDEX_IN_BACKGROUND = True

    recommendations_import(path=SAMPLE)

    version = data_version()
    index = wait_for_index(version)
    assert index.version == version
    assert sorted(index.ids.tolist()) == sorted(Recommendation.objects.values_list("id", flat=True))
    wait_for_rows(SearchPosting.objects.filter(version=version, term=""), "search postings")
    # The sample has no word in 1,000 recommendations: the version's mark alone.
    assert list(SearchPosting.objects.values_list("version", "term")) == [(version, "")]
    wait_for_rows(RelatedSet.objects.filter(version=version, recommendation_id=BUILT_MARK), "related lists")
    assert RelatedSet.objects.filter(version=version).count() > 100


@pytest.mark.django_db
def test_without_the_setting_nothing_is_scheduled(settings, django_capture_on_commit_callbacks):
    settings.FACET_INDEX_IN_BACKGROUND = False

    with django_capture_on_commit_callbacks() as callbacks:
        recommendations_import(path=SAMPLE)

    assert callbacks == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_of_several_files_schedules_one_build_when_it_ends(settings, monkeypatch):
    settings.FACET_INDEX_IN_BACKGROUND = True
    scheduled = []
    monkeypatch.setattr(facet_index_refresh, "delay", lambda: scheduled.append(data_version()))

    outcomes = recommendations_import_files(paths=[SAMPLE, VOLUNTARY])
    first = next(outcomes)
    assert (first.created, scheduled) == (1620, [])  # committed, not scheduled yet
    assert [outcome.created for outcome in outcomes] == [944]

    assert scheduled == [data_version()]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_single_import_schedules_its_build_when_it_commits(settings, monkeypatch):
    settings.FACET_INDEX_IN_BACKGROUND = True
    scheduled = []
    monkeypatch.setattr(facet_index_refresh, "delay", lambda: scheduled.append(data_version()))

    recommendations_import(path=SAMPLE)
    recommendations_import(path=VOLUNTARY)

    assert scheduled == [data_version() - 1, data_version()]
