"""Drafts grouped without the database (`engine.group_drafts`, done by the read-ahead
process) give the same recommendations as matching them in the database."""

from pathlib import Path

import pytest

from recommendations.importers import engine
from recommendations.importers.base import Draft, ReviewRef
from recommendations.importers.prepare import prepare
from recommendations.importers.resolve import Resolver, ensure_vocabulary
from recommendations.services import recommendations_import

from .test_import import CHINA_2013, DATA, SAMPLE, SLOVENIA_2019
from .test_import import VOLUNTARY_CSV as VOLUNTARY

UHRI = DATA / "uhri" / "uhri_sample.xlsx"

pytestmark = pytest.mark.django_db


def prepared(path: Path):
    return prepare(path, "auto", state=None, session=None, resolver=Resolver())


def shape(targets, resolved) -> list[tuple[int, list[int]]]:
    """Each target's review and its drafts, by position."""
    position = {id(item): number for number, item in enumerate(resolved)}
    return [(target.review.id, [position[id(item)] for item in target.items]) for target in targets]


@pytest.mark.parametrize("path", [SAMPLE, CHINA_2013, SLOVENIA_2019, UHRI, VOLUNTARY], ids=lambda path: path.name)
def test_grouping_without_the_database_matches_as_the_database_would(path):
    file = prepared(path)
    ensure_vocabulary(file.resolved)
    reviews = engine.ensure_reviews(file.resolved)
    by_id = {review.id: review for review in reviews}

    matched = engine._match(file.resolved, reviews, by_id, [], "test")
    grouped = file.grouping.targets(file.resolved, reviews)

    assert shape(grouped, file.resolved) == shape(matched, file.resolved)
    assert file.grouping.review_keys == engine.review_keys(file.resolved)


def test_rows_of_one_recommendation_are_grouped():
    file = prepared(SAMPLE)

    # 1,659 rows of 1,620 recommendations: rows repeating a text in a review are one.
    assert (len(file.resolved), len(file.grouping.groups)) == (1659, 1620)
    assert sorted(n for group in file.grouping.groups for n in group) == list(range(1659))


def test_a_shared_paragraph_after_its_parts_gathers_them_as_matching_does():
    review, other = ReviewRef("upr", "France", 30), ReviewRef("upr", "Chile", 30)
    drafts = [
        Draft(row=2, review=review, text="Ratify the ICCPR", recommending_states=["Brazil"], position="Supported"),
        Draft(row=3, review=review, text="Abolish the death penalty", recommending_states=["Chile"], position="Noted"),
        Draft(row=4, review=other, text="Ratify the ICCPR", recommending_states=["Peru"], position="Supported"),
        Draft(
            row=5,
            review=review,
            paragraph="120.1",
            text="Ratify the ICCPR; abolish the death penalty",
            parts=["Ratify the ICCPR", "Abolish the death penalty"],
            position="Supported",
        ),
        Draft(row=6, review=review, text="Abolish the death penalty", recommending_states=["Peru"], position="Noted"),
    ]
    resolver, errors = Resolver(), []
    resolved = [resolver.resolve(draft, errors) for draft in drafts]
    assert errors == []
    grouping = engine.group_drafts(resolved)
    reviews = engine.ensure_reviews(resolved)

    matched = engine._match(resolved, reviews, {review.id: review for review in reviews}, [], "test")

    assert shape(grouping.targets(resolved, reviews), resolved) == shape(matched, resolved)
    assert grouping.groups == [[0, 1, 3, 4], [2]]  # the paragraph gathered both texts


def test_a_file_whose_reviews_hold_recommendations_is_matched_in_the_database():
    recommendations_import(path=SAMPLE)
    file = prepared(SAMPLE)
    file.grouping.groups = []  # would create nothing, if it were used

    counts = engine.apply(file.resolved, source="upr-info", grouping=file.grouping)

    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 1620)
