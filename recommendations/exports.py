"""The UPR Portal export: one row per recommendation, in CSV or XLSX (docs/export-format.md).

Rows are produced from a server-side cursor of ids in chunks, each chunk read as plain
values, so an export of any size runs in bounded memory and a fixed number of queries
per chunk. `recommendations.importers.portal` reads the files back.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import IO

from django.db.models import QuerySet

from recommendations.models import (
    ImplementationStatus,
    Mechanism,
    Position,
    Recommendation,
    Source,
    ThemeVocabulary,
)
from stakeholders.models import State

COLUMNS = (
    "code",
    "state under review",
    "state iso3",
    "mechanism",
    "cycle",
    "session",
    "review symbol",
    "document symbols",
    "review date",
    "paragraph",
    "text",
    "recommending states",
    "position",
    "source of position",
    "action category",
    "annotation type",
    "themes",
    "upr info issues",
    "affected groups",
    "sdg goals",
    "sdg targets",
    "requires legislation",
    "status",
    "status date",
    "source",
    "external id",
)
# Closed vocabularies (State names, document symbols, SDG numbers) never contain a
# semicolon; theme and group names may ("Children: definition; general principles;
# protection"), so open vocabularies are joined with a vertical bar instead.
LIST_JOINER = "; "
TAG_JOINER = " | "
YES, NO = "yes", "no"
CHUNK_SIZE = 2000

# A spreadsheet runs a cell starting with one of these as a formula. Such cells, and
# cells starting with the quote itself (so that `restore` is an exact inverse), get a
# leading single quote.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: str) -> str:
    return QUOTE + value if value.startswith((*FORMULA_TRIGGERS, QUOTE)) else value


def restore(value: str) -> str:
    return value[1:] if value.startswith(QUOTE) else value


class UnexportableValue(ValueError):
    """A list item contains its column's separator, so the file would not read back."""


class UnknownFilterValue(ValueError):
    """A filter names a value that does not exist; `name` is the filter, `allowed` a hint."""

    def __init__(self, name: str, value: str, allowed: str) -> None:
        super().__init__(f"unknown {name} {value!r} (expected {allowed})")
        self.name, self.value, self.allowed = name, value, allowed


def filter_recommendations(
    *,
    states: Iterable[str] = (),
    mechanism: str | None = None,
    cycle: int | None = None,
    session: int | None = None,
    position: str | None = None,
    status: str | None = None,
    source: str | None = None,
) -> QuerySet[Recommendation]:
    """Recommendations matching every given filter; an unknown value raises UnknownFilterValue."""
    lookups: dict = {}
    if states := [code.strip().upper() for code in states]:
        known = set(State.objects.filter(iso3__in=states).values_list("iso3", flat=True))
        _check("state", [code for code in states if code not in known], "an ISO 3166 alpha-3 code, e.g. CHN")
        lookups["review__state__iso3__in"] = states
    if mechanism is not None:
        mechanism = mechanism.strip().lower()
        codes = list(Mechanism.objects.values_list("code", flat=True))
        _check("mechanism", [mechanism] if mechanism not in codes else [], ", ".join(sorted(codes)))
        lookups["review__mechanism__code"] = mechanism
    for name, value, choices in (
        ("position", position, Position.values),
        ("status", status, ImplementationStatus.values),
        ("source", source, Source.values),
    ):
        if value is not None:
            _check(name, [value] if value not in choices else [], ", ".join(choices))
            lookups[name] = value
    numbers = (("review__cycle", cycle), ("review__session", session))
    lookups |= {key: value for key, value in numbers if value is not None}
    return Recommendation.objects.filter(**lookups)


def _check(name: str, unknown: list[str], allowed: str) -> None:
    if unknown:
        raise UnknownFilterValue(name, unknown[0], allowed)


EXPORT_ORDER = (
    "review__state__name",
    "review__mechanism__code",
    "review__session",
    "review__symbol",
    "review_id",
    "id",
)
REC_FIELDS = (
    "id", "code", "review__state__name", "review__state__iso3", "review__mechanism__code", "review__cycle",
    "review__session", "review__symbol", "review__document_symbols", "review__date", "paragraph", "text",
    "position", "position_source", "action_category", "annotation_type", "requires_legislation", "status",
    "status_date", "source", "external_id",
)  # fmt: skip


def export_rows(queryset: QuerySet[Recommendation], *, chunk_size: int = CHUNK_SIZE) -> Iterator[list]:
    """The rows (without the header) for `queryset`; values unescaped, None for no number.

    Works in chunks of ids from a server-side cursor; each chunk costs a fixed six
    queries of plain values (no model instances), so 100,000 rows stream in bounded memory.
    """
    ids = queryset.order_by(*EXPORT_ORDER).values_list("id", flat=True).iterator(chunk_size=chunk_size)
    while chunk := list(islice(ids, chunk_size)):
        yield from _chunk_rows(chunk)


def _chunk_rows(ids: list[int]) -> Iterator[list]:
    recs = {row["id"]: row for row in Recommendation.objects.filter(id__in=ids).values(*REC_FIELDS)}
    related = _related(ids)
    for pk in ids:
        yield export_row(recs[pk], {name: values.get(pk, []) for name, values in related.items()})


def _related(ids: list[int]) -> dict[str, dict[int, list]]:
    """Names of each chunk's relations, in the models' own order, one query per relation."""
    through = {
        name: getattr(Recommendation, name).through.objects.filter(recommendation_id__in=ids) for name in RELATED
    }
    queries = {
        "states": through["recommending_states"]
        .order_by("state__name")
        .values_list("recommendation_id", "state__name"),
        "themes": through["themes"]
        .order_by("theme__vocabulary", "theme__code", "theme__name")
        .values_list("recommendation_id", "theme__vocabulary", "theme__code", "theme__name"),
        "groups": through["affected_groups"]
        .order_by("affectedgroup__name")
        .values_list("recommendation_id", "affectedgroup__name"),
        "goals": through["sdg_goals"].order_by("sdggoal__number").values_list("recommendation_id", "sdggoal__number"),
        "targets": through["sdg_targets"]
        .order_by("sdgtarget__goal__number", "sdgtarget__position")
        .values_list("recommendation_id", "sdgtarget__number"),
    }
    result: dict[str, dict[int, list]] = {}
    for name, query in queries.items():
        grouped: dict[int, list] = {}
        for rec_id, *values in query:
            grouped.setdefault(rec_id, []).append(values[0] if len(values) == 1 else tuple(values))
        result[name] = grouped
    return result


RELATED = ("recommending_states", "themes", "affected_groups", "sdg_goals", "sdg_targets")


def _theme(code: str, name: str) -> str:
    return f"{code} {name}" if code else name


def export_row(rec: dict, related: dict[str, list]) -> list:
    themes = related["themes"]
    return [
        str(rec["code"]),
        rec["review__state__name"],
        rec["review__state__iso3"],
        rec["review__mechanism__code"],
        rec["review__cycle"],
        rec["review__session"],
        rec["review__symbol"],
        join(rec["review__document_symbols"], LIST_JOINER),
        _date(rec["review__date"]),
        rec["paragraph"],
        rec["text"],
        join(related["states"], LIST_JOINER),
        rec["position"],
        rec["position_source"],
        rec["action_category"],
        rec["annotation_type"],
        join(
            (_theme(code, name) for vocabulary, code, name in themes if vocabulary == ThemeVocabulary.UHRI), TAG_JOINER
        ),
        join(
            (_theme(code, name) for vocabulary, code, name in themes if vocabulary == ThemeVocabulary.UPR_INFO),
            TAG_JOINER,
        ),
        join(related["groups"], TAG_JOINER),
        join((str(number) for number in related["goals"]), LIST_JOINER),
        join(related["targets"], LIST_JOINER),
        YES if rec["requires_legislation"] else NO,
        rec["status"],
        _date(rec["status_date"]),
        rec["source"],
        rec["external_id"],
    ]


def join(values: Iterable[str], joiner: str) -> str:
    """Join list values; one that contains the joiner could not be read back, so refuse it."""
    values = list(values)
    for value in values:
        if joiner.strip() in value:
            raise UnexportableValue(f"cannot export {value!r}: it contains the list separator {joiner.strip()!r}")
    return joiner.join(values)


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _cells(row: list) -> list:
    return [neutralise(value) if isinstance(value, str) else value for value in row]


def write_csv(rows: Iterable[list], stream: IO[str]) -> int:
    """Write the header and `rows` as CSV (the csv module's defaults: `\\r\\n`, minimal
    quoting) to a text stream; returns the number of rows."""
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007 - count is the result
        writer.writerow(_cells(row))
    return count


def write_xlsx(rows: Iterable[list], stream: IO[bytes]) -> int:
    """Write the header and `rows` as a one-sheet workbook to a binary stream, row by row
    (openpyxl's write-only mode keeps rows in a temporary file, not in memory).

    Control characters other than tab and line breaks cannot be stored in XLSX; they are
    dropped (the CSV keeps them)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Recommendations")
    sheet.append(COLUMNS)
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007 - count is the result
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in _cells(row)])
    book.save(stream)
    return count


class _Echo:
    """A file-like object whose write returns the text, for streaming CSV responses."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list]) -> Iterator[str]:
    """The CSV file as an iterator of lines, so that a response can stream 100,000 rows."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow(_cells(row))


def xlsx_file(rows: Iterable[list]) -> IO[bytes]:
    """The workbook in a temporary file (spooled to disk past 16 MB), rewound for reading."""
    import tempfile

    handle = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    write_xlsx(rows, handle)
    handle.seek(0)
    return handle
