"""Fingerprints: one source's say on one recommendation, computed from the drafts alone."""

import dataclasses
from pathlib import Path

import pytest

from recommendations.importers.base import Draft, ReviewRef
from recommendations.importers.fingerprint import fingerprint, fingerprint_of, related_keys, values_of
from recommendations.importers.resolve import Resolver
from recommendations.importers.upr_info import read_upr_info_csv

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "upr_info" / "upr_info_sample_5_states.csv"

pytestmark = pytest.mark.django_db


def resolved(**changes):
    draft = Draft(
        row=2,
        review=ReviewRef(mechanism="upr", state="Mexico", session=17),
        text="Ratify the Optional Protocol to the Convention against Torture",
        recommending_states=["France"],
        position="Accepted",
        action_category=4,
        theme_vocabulary="upr-info",
        themes=[("", "Torture and other CID"), ("", "International instruments")],
    )
    return Resolver().resolve(dataclasses.replace(draft, **changes), [])


def test_a_draft_knows_its_fingerprint_once_resolved():
    item = resolved()

    assert item.fingerprint == fingerprint(values_of(item), related_keys([item]), item.match_keys)
    assert len(item.fingerprint) == 40
    assert fingerprint_of([item], values_of(item), item.match_keys) == item.fingerprint


def test_what_the_source_says_changes_the_fingerprint_and_nothing_else_does():
    same = resolved(row=99)  # where a row is in the file is not what it says
    others = [
        resolved(text="Ratify the Optional Protocol to the Convention against Torture promptly"),
        resolved(position="Noted"),
        resolved(action_category=5),
        resolved(recommending_states=["Germany"]),
        resolved(themes=[("", "Torture and other CID")]),
    ]

    assert same.fingerprint == resolved().fingerprint
    assert len({resolved().fingerprint, *(item.fingerprint for item in others)}) == 6


def test_several_drafts_give_each_state_and_theme_once_in_the_order_named():
    first, second = resolved(), resolved(recommending_states=["Germany", "France"])

    states, themes, groups, goals, targets = related_keys([first, second])

    assert len(states) == 2
    assert states[0] == first.recommending_state_ids[0]
    assert themes == [("upr-info", "torture and other cid"), ("upr-info", "international instruments")]
    assert (groups, goals, targets) == ([], [], [])


def test_every_sample_row_gets_the_fingerprint_its_values_give():
    resolver, errors = Resolver(), []
    items = [resolver.resolve(draft, errors) for draft in read_upr_info_csv(SAMPLE).drafts]

    assert errors == []
    assert all(
        item.fingerprint
        == fingerprint_of([dataclasses.replace(item, fingerprint="")], values_of(item), item.match_keys)
        for item in items
    )
    said = {
        (
            item.draft.text,
            tuple(item.recommending_state_ids),
            item.position,
            item.draft.action_category,
            *item.theme_keys,
        )
        for item in items
    }
    assert len({item.fingerprint for item in items}) == len(said) == 1657
