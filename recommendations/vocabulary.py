"""The values each public filter accepts, with their labels, cached per data version.

Labels of fixed choices (positions, statuses, regions…) are translated at use; labels
that come from data (State and theme names) are cached until the data changes.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection

from recommendations.models import (
    ActionCategory,
    AffectedGroup,
    ImplementationStatus,
    Mechanism,
    Position,
    Recommendation,
    SdgGoal,
    SdgTarget,
    Theme,
    ThemeVocabulary,
)
from stakeholders.models import Organisation, Region, State

CACHE_SECONDS = 3600


def data_version() -> int:
    """Bumped by every reindex (imports, edits): keys caches of derived public data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM recommendations_dataversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def vocabulary(version: int | None = None) -> dict[str, dict[str, str]]:
    """Known values of every facet: {facet: {value: label}}; `version`: the data version if read already."""
    key = f"vocabulary:{data_version() if version is None else version}"
    stored = cache.get(key)
    if stored is None:
        stored = _load()
        cache.set(key, stored, CACHE_SECONDS)
    return stored | _fixed()


def _load() -> dict[str, dict[str, str]]:
    reviews = Recommendation.objects.values_list("f_cycle", "f_session").distinct()
    return {
        "states": dict(State.objects.values_list("iso3", "name")),
        "mechanisms": dict(Mechanism.objects.values_list("code", "acronym")),
        "cycles": {str(c): str(c) for c in sorted({c for c, _ in reviews if c})},
        "sessions": {str(s): str(s) for s in sorted({s for _, s in reviews if s})},
        "themes": {
            slug: _theme_label(vocabulary, name)
            for slug, vocabulary, name in Theme.objects.values_list("slug", "vocabulary", "name")
        },
        "groups": dict(AffectedGroup.objects.values_list("slug", "name")),
        "sdgs": _sdgs(),
        "institutions": dict(Organisation.objects.filter(responsibilities__isnull=False).values_list("slug", "name")),
    }


def _theme_label(vocabulary: str, name: str) -> str:
    # Both vocabularies share the `theme` filter; UPR Info's issues say whose they are.
    return f"{name} (UPR Info)" if vocabulary == ThemeVocabulary.UPR_INFO else name


def _sdgs() -> dict[str, str]:
    goals = {str(number): f"{number}. {name}" for number, name in SdgGoal.objects.values_list("number", "name")}
    targets = {
        number: f"{number} {title}".strip() for number, title in SdgTarget.objects.values_list("number", "title")
    }
    return goals | targets


def _fixed() -> dict[str, dict[str, str]]:
    return {
        "positions": dict(Position.choices),
        "statuses": dict(ImplementationStatus.choices),
        "regions": dict(Region.choices),
        "action_categories": {str(value): label for value, label in ActionCategory.choices},
    }
