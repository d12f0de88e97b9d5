"""bulk_update_rows writes what bulk_update would: every listed field of every given row,
whatever its type, and nothing else."""

import datetime
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from recommendations.importers.engine import UPDATE_FIELDS
from recommendations.models import Recommendation
from recommendations.services import recommendations_import
from upr_portal.lib import bulk
from upr_portal.lib.bulk import bulk_update_rows

VOLUNTARY = Path(__file__).resolve().parent.parent / "data" / "upr_info" / "voluntary.csv"

pytestmark = pytest.mark.django_db

ODD_TEXT = "quote ' and \" and \\N, a comma; ünïcødé ‘’ and\na line break"


def values(rec: Recommendation, fields=UPDATE_FIELDS) -> dict:
    return {name: getattr(rec, name) for name in fields}


@pytest.fixture
def recs() -> list[Recommendation]:
    recommendations_import(path=VOLUNTARY)
    found = list(Recommendation.objects.order_by("pk"))
    assert len(found) >= 4
    return found


@pytest.mark.parametrize("batch_rows", [1000, 2])
def test_every_listed_field_of_every_row_is_written(recs, monkeypatch, batch_rows):
    monkeypatch.setattr(bulk, "BATCH_ROWS", batch_rows)
    first, second, third, untouched = recs[0], recs[1], recs[2], recs[3]
    before_untouched = values(untouched)
    now = timezone.now().replace(microsecond=123456)
    first.text, first.paragraph, first.position = ODD_TEXT, "186.2", "noted"
    first.action_category, first.requires_legislation = None, True
    first.match_keys, first.former_codes = [], [uuid.UUID(int=7), uuid.UUID(int=8)]
    first.fingerprints, first.provenance = {"upr-info": "abc", "ohchr": "d'e"}, {"text": ["ohchr", {"row": 3}]}
    first.updated_at = now
    second.text, second.action_category, second.requires_legislation = "Second", 5, False
    second.match_keys, second.former_codes, second.fingerprints = ["a key", "another, with ‘quotes’"], [], {}
    third.requires_legislation, third.updated_at = False, now - datetime.timedelta(days=400)

    assert bulk_update_rows(Recommendation, [first, second, third], UPDATE_FIELDS) == 3

    for rec in (first, second, third):
        assert values(Recommendation.objects.get(pk=rec.pk)) == values(rec)
    assert values(Recommendation.objects.get(pk=untouched.pk)) == before_untouched


def test_only_the_listed_fields_are_written(recs):
    rec = Recommendation.objects.get(pk=recs[0].pk)
    original_text = rec.text
    rec.text, rec.paragraph = "not written", "99.9"

    assert bulk_update_rows(Recommendation, [rec], ["paragraph"]) == 1

    stored = Recommendation.objects.get(pk=rec.pk)
    assert (stored.text, stored.paragraph) == (original_text, "99.9")


def test_nothing_to_write_sends_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk_update_rows(Recommendation, [], UPDATE_FIELDS) == 0
