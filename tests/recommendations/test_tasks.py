"""Background jobs that follow a data change, run by a real worker on Redis."""

import time
from pathlib import Path

import pytest
from django.db.models import Sum

from recommendations.models import FacetCount, Recommendation
from recommendations.services import recommendations_import
from recommendations.vocabulary import data_version

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "upr_info" / "upr_info_sample_5_states.csv"


def wait_for_summary(version: int, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        total = FacetCount.objects.filter(version=version, filter_facet="", facet="position").aggregate(n=Sum("count"))
        if total["n"]:
            return total["n"]
        time.sleep(0.2)
    raise AssertionError(f"no facet summary for data version {version} after {seconds} s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("celery_worker_redis")
def test_an_import_is_followed_by_its_facet_summary_written_in_the_background(settings):
    settings.FACET_SUMMARY_IN_BACKGROUND = True

    recommendations_import(path=SAMPLE)

    version = data_version()
    assert wait_for_summary(version) == Recommendation.objects.exclude(position="").count()
    assert not FacetCount.objects.exclude(version=version).exists()


@pytest.mark.django_db
def test_without_the_setting_nothing_is_scheduled(settings, django_capture_on_commit_callbacks):
    settings.FACET_SUMMARY_IN_BACKGROUND = False

    with django_capture_on_commit_callbacks() as callbacks:
        recommendations_import(path=SAMPLE)

    assert callbacks == []
