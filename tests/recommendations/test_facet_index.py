"""The in-memory facet index: built from one snapshot, read as PostgreSQL would answer."""

from pathlib import Path

import numpy as np
import pytest

from recommendations import facet_index
from recommendations.models import Recommendation
from recommendations.services import recommendations_import
from recommendations.vocabulary import data_version

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "upr_info" / "upr_info_sample_5_states.csv"

pytestmark = pytest.mark.django_db


def test_an_empty_database_gives_an_empty_index():
    index = facet_index.build()

    assert (len(index), index.version) == (0, data_version())
    assert index.counts("state", None, None) == []
    assert index.mask("state", {"CHN"}).tolist() == []


def test_rows_follow_the_default_order_and_masks_match_the_columns():
    recommendations_import(path=SAMPLE)
    index = facet_index.build()
    newest_first = Recommendation.objects.order_by("-f_date", "-f_session", "f_paragraph", "id")

    assert index.ids.tolist() == list(newest_first.values_list("id", flat=True))
    assert index.version == data_version()
    chinese = set(Recommendation.objects.filter(f_state="CHN").values_list("id", flat=True))
    assert set(index.ids[index.mask("state", {"CHN"})].tolist()) == chinese
    bulgarian = set(Recommendation.objects.filter(f_recommending__contains=["BGR"]).values_list("id", flat=True))
    assert set(index.ids[index.mask("recommending_state", {"BGR"})].tolist()) == bulgarian


def test_ids_unknown_to_the_index_are_left_out():
    recommendations_import(path=SAMPLE)
    index = facet_index.build()
    known = index.ids[:3]

    rows, found = index.rows_of([known[0], -5, known[2], 10**12])

    assert found.tolist() == [True, False, True, False]
    assert index.ids[rows].tolist() == [known[0], known[2]]


def test_ordered_ids_give_every_slice_of_the_full_sort():
    rng = np.random.default_rng(3)
    keys = rng.permutation(1000).astype(np.uint64)
    rows = np.arange(1000)
    ids = np.arange(5000, 6000)
    ordered = facet_index.OrderedIds(ids, rows, keys)
    expected = ids[np.argsort(keys)].tolist()

    assert len(ordered) == 1000
    for start, stop in ((0, 20), (20, 40), (480, 500), (980, 1000), (990, 1200), (30, 30)):
        assert ordered[start:stop].tolist() == expected[start:stop]
    assert ordered[7] == expected[7]
    assert list(ordered) == expected


def test_the_cache_holds_one_copy_which_a_newer_data_version_replaces(django_assert_num_queries):
    from django.core.cache import cache

    from recommendations.indexing import bump_version

    assert f"facet-index:{facet_index.LAYOUT}" == facet_index.CACHE_KEY
    first = facet_index.refresh()
    with django_assert_num_queries(1):  # the data version: the copy is read from the cache
        assert facet_index.refresh().version == first.version

    bump_version()
    facet_index.forget()
    second = facet_index.current(data_version())

    assert second.version == first.version + 1
    assert cache.get(facet_index.CACHE_KEY).version == second.version


def test_values_come_back_from_copy_text_as_they_are():
    assert facet_index.unescape("plain-slug") == "plain-slug"
    assert facet_index.unescape("a\\\\b\\tc\\nd") == "a\\b\tc\nd"
