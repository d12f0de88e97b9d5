"""What one source says of one recommendation, as a digest.

An import stores it per source on every recommendation it writes; the next import of
the same source compares before writing, and skips recommendations whose rows did not
change. It is computed from the drafts alone (names and keys, never database ids), so
the read-ahead process computes it for single drafts while the importer works.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .resolve import Resolved


def values_of(item: Resolved) -> dict:
    """A single draft's scalar values: "" and None give the field's default (as a merge
    of several drafts gives them, `engine._merge_item`)."""
    draft = item.draft
    action, legislation = draft.action_category, draft.requires_legislation
    return {
        "text": draft.text or "",
        "paragraph": draft.paragraph or "",
        "position": item.position or "",
        "position_source": draft.position_source or "",
        "action_category": None if action == "" else action,
        "annotation_type": draft.annotation_type or "",
        "external_id": draft.external_id or "",
        "requires_legislation": None if legislation == "" else legislation,
    }


def related_keys(items: list[Resolved]) -> list[list]:
    """Recommending States, themes, groups, SDG goals and targets the drafts name, each
    once, in the order first named."""
    related: list[list] = [[], [], [], [], []]
    for item in items:
        related[0] += item.recommending_state_ids
        related[1] += [(vocabulary, key) for vocabulary, key, _ in item.theme_keys]
        related[2] += item.group_keys
        related[3] += item.sdg_goal_ids
        related[4] += item.sdg_target_ids
    return [list(dict.fromkeys(keys)) if len(keys) > 1 else keys for keys in related]


def fingerprint(values: dict, related: list[list], match_keys: list[str]) -> str:
    parts = [*map(repr, values.values()), *map(repr, related), *match_keys]
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


def fingerprint_of(items: list[Resolved], values: dict, match_keys: list[str]) -> str:
    """The fingerprint of the drafts that make one recommendation (`values` and
    `match_keys`: what they give merged); a single draft's is computed when it is read."""
    if len(items) == 1 and items[0].fingerprint:
        return items[0].fingerprint
    return fingerprint(values, related_keys(items), match_keys)
