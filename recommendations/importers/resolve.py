"""Turn published names into database rows, reporting every value that is not known.

States and mechanisms must already exist (an unknown name is an error naming it, never a
silent new row); themes and groups of persons are open vocabularies and are created.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache

from recommendations.models import (
    AffectedGroup,
    Mechanism,
    Position,
    SdgGoal,
    SdgTarget,
    Theme,
)
from stakeholders.models import State
from upr_portal.lib.text import match_key, name_key

from .base import Draft, RowError, pickled_by_fields
from .fingerprint import fingerprint, related_keys, values_of

POSITION_WORDS = {
    Position.SUPPORTED: ("supported", "accepted", "support", "accept", "agreed"),
    Position.NOTED: ("noted", "rejected", "not supported", "not accepted", "note", "reject"),
    Position.SUPPORTED_IN_PART: (
        "supported in part",
        "partially supported",
        "supported noted",
        "partially accepted",
        "accepted in part",
        "supported partially",
        "accepted noted",
    ),
    Position.PENDING: ("pending", "no response", "further consideration", "under consideration"),
    Position.VOLUNTARY_PLEDGE: ("voluntary pledge", "voluntary commitment", "pledge"),
}
# Plain strings (the choices' values), which cost less than the enum members per row.
_POSITIONS = {name_key(word): str(value.value) for value, words in POSITION_WORDS.items() for word in words}


@lru_cache(maxsize=4096)
def cached_name_key(value: str) -> str:
    """Files repeat the same few hundred names thousands of times."""
    return name_key(value)


def position_from(raw: str) -> str | None:
    """`Accepted` -> supported, `Supported/Noted` -> supported in part; None if unknown."""
    if not raw.strip():
        return ""
    return _POSITIONS.get(cached_name_key(raw))


@pickled_by_fields
@dataclass(slots=True)
class Resolved:
    """A draft whose names are database rows."""

    draft: Draft
    mechanism: Mechanism
    state: State
    recommending_state_ids: list[int]
    position: str
    theme_keys: list[tuple[str, str, str]]  # (vocabulary, key, code)
    group_keys: list[str]
    sdg_goal_ids: list[int]
    sdg_target_ids: list[int]
    match_keys: list[str] = field(default_factory=list)
    fingerprint: str = ""  # of this draft alone (`fingerprint.fingerprint_of`)


class Resolver:
    """Looks names up in reference data loaded once per import."""

    def __init__(self) -> None:
        self.states = State.objects.name_index()
        self.mechanisms = _mechanism_index()
        self.goals = {goal.number: goal.pk for goal in SdgGoal.objects.all()}
        self.targets = {target.number: target for target in SdgTarget.objects.all()}
        self.target_titles: dict[int, str] = {}

    def fresh(self) -> Resolver:
        """A resolver for another file, on the same reference data (loaded once for all
        the files of one import) and with no SDG target titles gathered yet."""
        other = copy.copy(self)
        other.target_titles = {}
        return other

    def resolve(self, draft: Draft, errors: list[RowError]) -> Resolved | None:
        before = len(errors)
        mechanism = self._mechanism(draft, errors)
        state = self._state(draft.row, "State under review", draft.review.state, errors)
        sponsors = [self._state(draft.row, "recommending State", name, errors) for name in draft.recommending_states]
        position = position_from(draft.position)
        if position is None:
            errors.append(RowError(draft.row, "position", draft.position, "unknown position"))
        goal_ids, target_ids = self._sdgs(draft, errors)
        if len(errors) > before:
            return None
        item = Resolved(
            draft=draft,
            mechanism=mechanism,
            state=state,
            recommending_state_ids=list(dict.fromkeys(sponsor.pk for sponsor in sponsors)),
            position=position,
            theme_keys=[(vocabulary, cached_name_key(name), code) for vocabulary, code, name in _themes(draft)],
            group_keys=[cached_name_key(name) for name in draft.affected_groups if name.strip()],
            sdg_goal_ids=goal_ids,
            sdg_target_ids=target_ids,
            match_keys=_match_keys(draft),
        )
        item.fingerprint = fingerprint(values_of(item), related_keys([item]), item.match_keys)
        return item

    def _state(self, row: int, column: str, name: str, errors: list[RowError]) -> State | None:
        state = self.states.get(cached_name_key(name)) or self.states.find(name)
        if state is None:
            errors.append(RowError(row, column, name, "unknown State (not a UN member or observer State name)"))
        return state

    def _mechanism(self, draft: Draft, errors: list[RowError]) -> Mechanism | None:
        mechanism = self.mechanisms.get(cached_name_key(draft.review.mechanism))
        if mechanism is None:
            errors.append(RowError(draft.row, "mechanism", draft.review.mechanism, "unknown mechanism"))
        elif mechanism.kind != "upr" and not draft.review.symbol and draft.review.session is None:
            errors.append(RowError(draft.row, "document symbol", "", "a document symbol is required"))
        elif mechanism.kind == "upr" and draft.review.session is None:
            errors.append(RowError(draft.row, "session", "", "a UPR session number is required"))
        return mechanism

    def _sdgs(self, draft: Draft, errors: list[RowError]) -> tuple[list[int], list[int]]:
        goal_ids, target_ids = [], []
        for number in draft.sdg_goals:
            if number not in self.goals:
                errors.append(RowError(draft.row, "SDGs", str(number), "unknown SDG goal (1–17)"))
            else:
                goal_ids.append(self.goals[number])
        for number, title in draft.sdg_targets:
            target = self.targets.get(number.strip().lower())
            if target is None:
                errors.append(RowError(draft.row, "SDGs", number, "unknown SDG target"))
                continue
            target_ids.append(target.pk)
            if title and not target.title:
                self.target_titles[target.pk] = title
            goal_ids.append(target.goal_id)
        return list(dict.fromkeys(goal_ids)), list(dict.fromkeys(target_ids))


def _mechanism_index() -> dict[str, Mechanism]:
    index = {}
    for mechanism in Mechanism.objects.all():
        for name in (mechanism.code, mechanism.acronym, mechanism.name, *mechanism.aliases):
            index[name_key(name)] = mechanism
    return index


def _themes(draft: Draft) -> list[tuple[str, str, str]]:
    themes = [(draft.theme_vocabulary, code, name) for code, name in draft.themes]
    return [theme for theme in [*themes, *draft.tagged_themes] if theme[2].strip()]


def _match_keys(draft: Draft) -> list[str]:
    keys = [match_key(draft.text), *(match_key(part) for part in draft.parts)]
    return [key for key in dict.fromkeys(keys) if key]


def ensure_vocabulary(resolved: list[Resolved]) -> tuple[dict, dict]:
    """Create the themes and groups the import names; return key -> id maps."""
    themes = {(theme.vocabulary, theme.key): theme for theme in Theme.objects.all()}
    groups = AffectedGroup.objects.key_index()
    codes: dict[tuple[str, str], str] = {}  # theme -> the first code given for it
    group_keys: dict[str, None] = {}
    for item in resolved:
        for vocabulary, key, code in item.theme_keys:
            codes.setdefault((vocabulary, key), code)
        group_keys.update(dict.fromkeys(item.group_keys))
    if any(key not in themes for key in codes) or any(key not in groups for key in group_keys):
        _create_missing(themes, groups, _names(resolved))
    else:  # the common case once a vocabulary is known: only codes to fill in
        _create_missing(themes, groups, {key: (code, "") for key, code in codes.items() if code})
    return {key: theme.pk for key, theme in themes.items()}, {key: group.pk for key, group in groups.items()}


def _names(resolved: list[Resolved]) -> dict[tuple[str, str], tuple[str, str]]:
    """(vocabulary or "group", key) -> (code, name) as first given."""
    names = {}
    for item in resolved:
        for (vocabulary, key, code), (_, _, name) in zip(item.theme_keys, _themes(item.draft), strict=True):
            names.setdefault((vocabulary, key), (code, name))
        for key, name in zip(item.group_keys, item.draft.affected_groups, strict=False):
            names.setdefault(("group", key), ("", name))
    return names


def _create_missing(themes: dict, groups: dict, names: dict) -> None:
    """Create the themes and groups not known yet, and fill missing theme codes: one
    statement each (a file's first import names dozens of new themes)."""
    new_groups, new_themes, coded = {}, {}, {}
    for (vocabulary, key), (code, name) in names.items():
        if vocabulary == "group":
            if key not in groups:
                new_groups[key] = AffectedGroup(name=_display(name))
            continue
        theme = themes.get((vocabulary, key))
        if theme is None:
            new_themes[(vocabulary, key)] = Theme(vocabulary=vocabulary, code=code, name=name.strip())
        elif code and not theme.code:
            theme.code = code
            coded[theme.pk] = theme
    for created in (*new_groups.values(), *new_themes.values()):
        created.derive_keys()
    groups.update(zip(new_groups, AffectedGroup.objects.bulk_create(new_groups.values()), strict=True))
    themes.update(zip(new_themes, Theme.objects.bulk_create(new_themes.values()), strict=True))
    Theme.objects.bulk_update(coded.values(), ["code"])


def _display(name: str) -> str:
    # OHCHR lists write groups in lower case ("- children"); show them capitalised.
    name = name.strip()
    return name[:1].upper() + name[1:]
