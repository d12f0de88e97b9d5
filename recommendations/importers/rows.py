"""New recommendations as CSV lines for COPY, in `NEW_COLUMNS` order.

An import creates tens of thousands of rows at once, and a generic per-value encoder
cost more than PostgreSQL's own work; here each column is encoded by what it is: the
constants once per import, the review's columns once per review, the facet arrays once
per distinct set of themes, of groups, of recommending States… (`IndexBuilder.facets`).
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
        self.reviews: dict[int, tuple[str, str, str]] = {}
        self.sources: dict[str, tuple[str, str, str]] = {}

    def line(self, pk: int, code: str, review, source: str, merged: dict) -> tuple[str, str]:
        """One CSV line and the search document in it, as a CSV field; `merged` is what
        `Writer.merged` gives for the recommendation."""
        values = merged["values"]
        review_id, review_index, state_name = self._review(review)
        names, facets = self.index.facets(merged["relations"])
        text, paragraph = values["text"], values["paragraph"]
        document = _quoted(" ".join([part for part in (text, names, state_name) if part]))
        quoted, head, tail = self.sources.get(source) or self._source(source)
        numbers = csv_array(_DIGITS.findall(paragraph)) if paragraph else "{}"
        line = (
            f"{pk},{code},{review_id},{quoted},{_scalars(values)},{self.status},"
            f"{csv_array(merged['keys'])},{{}},{head}{merged['fingerprint']}{tail},{self.dates},{document},"
            f"{review_index},{numbers},{facets},{{}}\n"
        )
        return line, document

    def _source(self, source: str) -> tuple[str, str, str]:
        """The source as a CSV field, and the `fingerprints` JSON object {source: …} as a
        CSV field before and after the fingerprint (hexadecimal digits need no escaping)."""
        head, tail = csv_text(json.dumps({source: "\0"}, ensure_ascii=False)).split("\\u0000")
        found = self.sources[source] = (csv_text(source), head, tail)
        return found

    def _review(self, review) -> tuple[str, str, str]:
        """The review id, the review's index columns (f_state … f_date) and the State's name."""
        found = self.reviews.get(review.id)
        if found is None:
            columns = (review.state.iso3, review.mechanism.code, review.cycle, review.session, review.date)
            found = (str(review.id), ",".join(map(_plain, columns)), review.state.name)
            self.reviews[review.id] = found
        return found


def _quoted(value: str) -> str:
    """`csv_text`, inlined for the fields of every row."""
    return '"' + value.replace('"', '""') + '"' if '"' in value else '"' + value + '"'


def _scalars(values: dict) -> str:
    """SCALARS and `requires_legislation`, in column order."""
    action = values["action_category"]
    return (
        f"{_quoted(values['text'])},{_quoted(values['paragraph'])},{_quoted(values['position'])},"
        f"{_quoted(values['position_source'])},{NULL if action is None else action},"
        f"{_quoted(values['annotation_type'])},{_quoted(values['external_id'])},"
        f"{'t' if values['requires_legislation'] else 'f'}"
    )


def _plain(value) -> str:
    """A number, date or short code as a CSV field; None is NULL."""
    return NULL if value is None else csv_text(str(value))
