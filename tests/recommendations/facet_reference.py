"""Facet counts as PostgreSQL counts them: the reference the facet index is tested against.

One grouped subquery per facet over the list filtered by every active filter but that
facet's own, through the FilterSet's own querysets (so the filters are the ORM's).
"""

from __future__ import annotations

from django.db import connection

from recommendations.filters import RecommendationFilterSet


def facet_rows(filterset: RecommendationFilterSet) -> list[tuple[str, str, int]]:
    """(facet, value as text, count) of every facet, NULL values left out."""
    parts, params = [], []
    for name in RecommendationFilterSet.FACETS:
        spec = filterset.filters[name]
        inner, inner_params = (
            filterset.filtered_except(name).order_by().values_list(spec.field_name).query.sql_with_params()
        )
        if getattr(spec, "array", False):
            value = "SELECT unnest(t.c) AS v FROM ({inner}) AS t(c)"
        else:
            value = "SELECT t.c AS v FROM ({inner}) AS t(c)"
        # `inner` is SQL compiled by Django with its values as parameters.
        parts.append(
            f"SELECT %s, u.v::text, count(*) FROM ({value.format(inner=inner)}) AS u WHERE u.v IS NOT NULL GROUP BY u.v"
        )
        params += [name, *inner_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()
