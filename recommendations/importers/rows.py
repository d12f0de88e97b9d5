"""New recommendations as CSV lines for COPY, in `NEW_COLUMNS` order.

An import creates tens of thousands of rows at once, and a generic per-value encoder
cost more than PostgreSQL's own work; here each column is encoded by what it is: the
constants once per import, the review's columns once per review, the facet arrays once
per distinct set of relations (`IndexBuilder.facets`).
"""

from __future__ import annotations

import json
import re

from django.utils import timezone

from recommendations.indexing import INDEX_COLUMNS, IndexBuilder
from recommendations.models import ImplementationStatus
from upr_portal.lib.copy import NULL, csv_array, csv_text

SCALARS = ("text", "paragraph", "position", "position_source", "action_category", "annotation_type", "external_id")
NEW_COLUMNS = (
    *("id", "code", "review_id", "source", *SCALARS, "requires_legislation", "status", "status_date"),
    *("match_keys", "former_codes", "fingerprints", "provenance", "created_at", "updated_at"),
    *INDEX_COLUMNS,
)
_DIGITS = re.compile(r"\d+")


class NewRows:
    """Encodes the recommendations one import creates."""

    def __init__(self) -> None:
        self.index = IndexBuilder()
        now = csv_text(str(timezone.now()))
        # status, status_date | former_codes | provenance, created_at, updated_at
        self.status = f"{ImplementationStatus.NOT_REPORTED.value},{NULL}"
        self.dates = f"{{}},{now},{now}"
        self.reviews: dict[int, tuple[str, str]] = {}
        self.facets: dict[tuple, str] = {}

    def line(self, pk: int, code: str, review, source: str, merged: dict) -> str:
        """One CSV line; `merged` is what `Writer.merged` gives for the recommendation."""
        values, relations = merged["values"], merged["relations"]
        review_id, review_index = self._review(review)
        names, facets = self.index.facets(relations)
        document = " ".join(part for part in (values["text"], *names, review.state.name) if part)
        fields = (
            str(pk),
            code,
            review_id,
            csv_text(source),
            _scalars(values),
            self.status,
            csv_array(merged["keys"]),
            "{}",
            csv_text(json.dumps({source: merged["fingerprint"]}, ensure_ascii=False)),
            self.dates,
            csv_text(document),
            review_index,
            csv_array(_DIGITS.findall(values["paragraph"])),
            self._facets(facets),
            "{}",
        )
        return ",".join(fields) + "\n"

    def _facets(self, facets: tuple) -> str:
        """f_themes … f_regions, encoded once per distinct combination."""
        found = self.facets.get(facets)
        if found is None:
            found = self.facets[facets] = ",".join(map(csv_array, facets))
        return found

    def _review(self, review) -> tuple[str, str]:
        """The review id and the review's index columns (f_state … f_date)."""
        found = self.reviews.get(review.pk)
        if found is None:
            columns = (review.state.iso3, review.mechanism.code, review.cycle, review.session, review.date)
            found = self.reviews[review.pk] = (str(review.pk), ",".join(map(_plain, columns)))
        return found


def _scalars(values: dict) -> str:
    """SCALARS and `requires_legislation`, in column order."""
    return ",".join(
        (
            csv_text(values["text"]),
            csv_text(values["paragraph"]),
            csv_text(values["position"]),
            csv_text(values["position_source"]),
            _plain(values["action_category"]),
            csv_text(values["annotation_type"]),
            csv_text(values["external_id"]),
            "t" if values["requires_legislation"] else "f",
        )
    )


def _plain(value) -> str:
    """A number, date or short code as a CSV field; None is NULL."""
    return NULL if value is None else csv_text(str(value))
