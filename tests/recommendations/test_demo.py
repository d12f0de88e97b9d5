from io import StringIO

import pytest
from django.core.management import call_command

from recommendations.demo import assign_demo_responsibilities
from recommendations.models import Recommendation, Responsibility
from recommendations.tasks import facet_index_refresh
from recommendations.vocabulary import data_version


def assigned(slug: str, role: str) -> set[int]:
    return set(
        Responsibility.objects.filter(organisation__slug=slug, role=role).values_list("recommendation_id", flat=True)
    )


def nigeria(pattern: str) -> set[int]:
    return set(
        Recommendation.objects.filter(review__state__iso3="NGA", themes__name__iregex=pattern).values_list(
            "pk", flat=True
        )
    )


@pytest.mark.django_db
def test_demo_data_gives_the_demo_ministries_the_demo_countrys_recommendations():
    call_command("seed_demo", password="demo-password-1234", stdout=StringIO())
    out = StringIO()

    call_command("load_demo_data", stdout=out)

    justice = assigned("ministry-of-justice", "lead")
    health = assigned("ministry-of-health", "lead")
    assert justice and health
    assert justice == nigeria(r"justice|torture|detention|death penalty|impunity|trafficking")
    assert health == nigeria(r"health|hiv") - justice  # one lead: justice was assigned first
    assert set(
        Recommendation.objects.filter(responsibilities__isnull=False).values_list("review__state__iso3", flat=True)
    ) == {"NGA"}
    assert f"Federal Ministry of Justice (lead): {len(justice)} assigned, 0 already." in out.getvalue()
    # Again: nothing changes.
    lines = assign_demo_responsibilities()
    assert lines[0] == f"Federal Ministry of Justice (lead): 0 assigned, {len(justice)} already."


@pytest.mark.django_db
def test_demo_responsibilities_wait_for_the_demo_organisations():
    assert assign_demo_responsibilities() == ["Demo responsibilities skipped: run `manage.py seed_demo` first."]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_loading_the_demo_schedules_one_background_build(settings, monkeypatch):
    settings.FACET_INDEX_IN_BACKGROUND = True
    scheduled = []
    monkeypatch.setattr(facet_index_refresh, "delay", lambda: scheduled.append(data_version()))
    call_command("seed_demo", password="demo-password-1234", stdout=StringIO())

    call_command("load_demo_data", stdout=StringIO())

    assert scheduled == [data_version()]  # four files and the responsibilities: one build
