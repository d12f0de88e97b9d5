"""Postings of frequent words: a one-word search reads them, with what the search entries give."""

from pathlib import Path

import numpy as np
import pytest

from recommendations import postings
from recommendations.filters import search_match
from recommendations.indexing import bump_version
from recommendations.models import Recommendation, SearchEntry, SearchPosting
from recommendations.services import recommendations_import
from recommendations.vocabulary import data_version
from upr_portal.lib.copy import packed_columns

DATA = Path(__file__).resolve().parent.parent / "data"
MIN_ROWS = 20  # the sample's frequent words: "women" is in 214 of its 1,620 recommendations

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(db):
    recommendations_import(path=DATA / "upr_info" / "upr_info_sample_5_states.csv")


def entries_query(q: str) -> tuple[str, list]:
    match, rank = search_match(q, vector="vector", document="recommendation__search_document")
    query = SearchEntry.objects.filter(match).annotate(rank=rank).values_list("recommendation_id", "rank")
    return query.query.sql_with_params()


def from_entries(q: str) -> tuple[np.ndarray, np.ndarray]:
    found = packed_columns(*entries_query(q), [("id", "bigint"), ("rank", "real")])
    return found["id"], found["rank"]


def by_id(ids: np.ndarray, ranks: np.ndarray) -> list[tuple[int, int]]:
    """(id, the rank's bits) in id order: equal ranks are equal to the last bit."""
    order = np.argsort(ids)
    return list(zip(ids[order].tolist(), ranks[order].view(np.uint32).tolist(), strict=True))


def matches(q: str) -> list[tuple[int, int]]:
    return by_id(*postings.matches(q, data_version(), *entries_query(q)))


QUERIES = [
    "women", "Women's", "torture", "children", "rights",  # one frequent word
    "death penalty", '"death penalty"', "women -violence", "women or children", "-women",  # not one word
    "apatride", "the",  # a rare word; stop words only
]  # fmt: skip


@pytest.mark.parametrize("q", QUERIES)
def test_every_search_finds_with_postings_what_the_search_entries_give(sample, q):
    postings.write(min_rows=MIN_ROWS)

    assert matches(q) == by_id(*from_entries(q))


def test_a_frequent_word_has_its_row_and_a_rare_one_none(sample):
    postings.write(min_rows=MIN_ROWS)

    terms = dict(SearchPosting.objects.filter(version=data_version()).values_list("term", "ids"))
    women = Recommendation.objects.filter(search_document__iregex=r"\mwomen").count()
    assert len(terms["'women'"]) == 8 * women == 8 * 214  # 8 bytes an id ("woman" stems to itself)
    assert "'tortur'" in terms
    assert "'apatrid'" not in terms
    assert terms[""] == b""  # the version is built


def test_a_one_word_search_reads_its_postings_not_the_search_entries(sample):
    postings.write(min_rows=MIN_ROWS)
    expected = by_id(*from_entries("women"))

    SearchEntry.objects.all().delete()  # behind the version's back: only postings are left

    assert matches("women") == expected
    assert matches("death penalty") == []  # read from the (now empty) search entries


def test_postings_of_another_data_version_are_not_read(sample):
    postings.write(min_rows=MIN_ROWS)
    SearchEntry.objects.all().delete()
    bump_version()

    assert matches("women") == []


def test_each_version_is_built_once_and_replaces_the_older_ones(sample):
    assert postings.write(min_rows=MIN_ROWS) is True
    count = SearchPosting.objects.count()
    assert postings.write(min_rows=MIN_ROWS) is False
    assert SearchPosting.objects.count() == count

    bump_version()
    assert postings.write(min_rows=MIN_ROWS) is True

    assert set(SearchPosting.objects.values_list("version", flat=True)) == {data_version()}
    assert SearchPosting.objects.count() == count


def test_an_empty_portal_builds_only_its_mark(db):
    bump_version()

    assert postings.write() is True
    assert list(SearchPosting.objects.values_list("term", "ids")) == [("", b"")]
    assert matches("women") == []
