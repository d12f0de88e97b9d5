"""Reader for the UPR Portal's own export, CSV or XLSX (docs/export-format.md).

The inverse of `recommendations.exports`: the quote that guards formula-like cells is
removed, lists are split, and values are checked strictly (this is our own format), so
that an export imported into an empty database reproduces its recommendations: codes,
sources and implementation statuses included.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from recommendations.exports import COLUMNS, LIST_JOINER, NO, TAG_JOINER, YES, restore
from recommendations.models import ImplementationStatus, Position, Source

from .base import Draft, ImportFileError, ParseResult, ReviewRef, RowError

REQUIRED = ("code", "mechanism", "session", "review symbol", "text")
STATE_COLUMNS = ("state iso3", "state under review")  # either will do; the code wins
# "A12 Acceptance of international norms" -> ("A12", "Acceptance of international norms")
THEME_CODE = re.compile(r"([A-Z]\d+) +(\S.*)", re.S)


def read_portal_csv(path: str | Path) -> ParseResult:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path}: a UPR Portal CSV export is UTF-8 ({exc})") from exc
    return _read(path, csv.reader(io.StringIO(text, newline="")))


def read_portal_xlsx(path: str | Path) -> ParseResult:
    path = Path(path)
    return _read(path, _xlsx_rows(path))


def _xlsx_rows(path: Path) -> Iterator[Sequence]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportFileError(f"{path}: not a readable Excel (.xlsx) workbook ({exc})") from exc
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()


@dataclass
class _Row:
    """One data row: cell access by column name, and the errors found in it."""

    number: int
    cells: Sequence
    columns: dict[str, int]
    errors: list[RowError]

    def raw(self, column: str) -> str:
        """The cell as exported: formula guard removed, nothing stripped."""
        index = self.columns.get(column)
        value = self.cells[index] if index is not None and index < len(self.cells) else None
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime.datetime):  # a spreadsheet turned an ISO date into a date
            value = value.date()
        return restore(value.isoformat() if isinstance(value, datetime.date) else str(value))

    def get(self, column: str) -> str:
        return self.raw(column).strip()

    def error(self, column: str, value: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, value, message))


def _read(path: Path, rows: Iterable[Sequence]) -> ParseResult:
    iterator = iter(rows)
    columns = _columns(path, next(iterator, None))
    result = ParseResult()
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        result.warnings.append(f"columns ignored: {', '.join(unknown)}")
    codes: dict[str, int] = {}  # code -> first row, as two rows must not create one code twice
    for number, cells in enumerate(iterator, start=2):
        if not any(str(cell).strip() for cell in cells if cell is not None):
            continue
        result.rows += 1
        row = _Row(number, cells, columns, result.errors)
        draft = _draft(row)
        if draft is None:
            continue
        if draft.code in codes:
            row.error("code", draft.code, f"the same code is on row {codes[draft.code]}")
            continue
        if draft.code:
            codes[draft.code] = number
        result.drafts.append(draft)
    return result


def _columns(path: Path, header: Sequence | None) -> dict[str, int]:
    if header is None:
        raise ImportFileError(f"{path}: the file is empty")
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault("" if name is None else str(name).strip().lower().lstrip("\ufeff"), index)
    columns.pop("", None)
    missing = [name for name in REQUIRED if name not in columns]
    if not any(name in columns for name in STATE_COLUMNS):
        missing.append(" or ".join(STATE_COLUMNS))
    if missing:
        raise ImportFileError(f"{path}: not a UPR Portal export: missing column(s) {', '.join(missing)}")
    return columns


def _draft(row: _Row) -> Draft | None:
    before = len(row.errors)
    review = _review(row)
    text = row.raw("text")
    if not text.strip():
        row.error("text", "", "a value is required")
    values = {
        "code": _code(row),
        "position": _choice(row, "position", Position.values),
        "action_category": _integer(row, "action category", low=1, high=5),
        "requires_legislation": _yes_no(row, "requires legislation"),
        "sdg_goals": [goal for value in _split(row.get("sdg goals"), LIST_JOINER) if (goal := _goal(row, value))],
        "status": _choice(row, "status", ImplementationStatus.values),
        "status_date": _date(row, "status date"),
        "source": _choice(row, "source", Source.values),
    }
    if len(row.errors) > before:
        return None
    return Draft(row=row.number, review=review, text=text, **values, **_plain(row), **_tags(row))


def _review(row: _Row) -> ReviewRef:
    state = row.get("state iso3") or row.get("state under review")
    mechanism = row.get("mechanism")
    for column, value in (("state under review", state), ("mechanism", mechanism)):
        if not value:
            row.error(column, "", "a value is required")
    return ReviewRef(
        mechanism=mechanism,
        state=state,
        session=_integer(row, "session", low=1, high=999),
        symbol=row.get("review symbol"),
        date=_date(row, "review date"),
        document_symbols=_split(row.get("document symbols"), LIST_JOINER),
    )


def _plain(row: _Row) -> dict:
    """Values taken as they are; names are checked later, by the resolver."""
    return {
        "paragraph": row.get("paragraph"),
        "recommending_states": _split(row.get("recommending states"), LIST_JOINER),
        "position_source": row.get("source of position"),
        "annotation_type": row.get("annotation type"),
        "affected_groups": _split(row.get("affected groups"), TAG_JOINER),
        "sdg_targets": [(number, "") for number in _split(row.get("sdg targets"), LIST_JOINER)],
        "external_id": row.get("external id"),
    }


def _tags(row: _Row) -> dict:
    upr_info = [_theme(value) for value in _split(row.get("upr info issues"), TAG_JOINER)]
    return {
        "theme_vocabulary": "uhri",
        "themes": [_theme(value) for value in _split(row.get("themes"), TAG_JOINER)],
        "tagged_themes": [("upr-info", code, name) for code, name in upr_info],
    }


def _theme(value: str) -> tuple[str, str]:
    match = THEME_CODE.fullmatch(value)
    return (match[1], match[2]) if match else ("", value)


def _split(value: str, joiner: str) -> list[str]:
    # Split on the bare separator so that hand-edited cells ("a|b", "A;B") read too.
    return [item.strip() for item in value.split(joiner.strip()) if item.strip()]


def _code(row: _Row) -> str:
    value = row.get("code")
    if not value:
        return ""  # a row added by hand: matched like any other source's row
    try:
        return str(uuid.UUID(value))
    except ValueError:
        row.error("code", value, "not a UUID (e.g. 0f8fad5b-d9cb-469f-a165-70867728950e)")
        return ""


def _integer(row: _Row, column: str, *, low: int, high: int) -> int | None:
    value = row.get(column)
    if not value:
        return None
    if not _digits(value) or not low <= int(value) <= high:
        row.error(column, value, f"expected a whole number from {low} to {high}")
        return None
    return int(value)


def _goal(row: _Row, value: str) -> int | None:
    if not _digits(value):
        row.error("sdg goals", value, "expected SDG goal numbers separated by ';'")
        return None
    return int(value)


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _date(row: _Row, column: str) -> datetime.date | None:
    value = row.get(column)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        row.error(column, value, "expected a date as YYYY-MM-DD")
        return None


def _choice(row: _Row, column: str, choices: list[str]) -> str:
    value = row.get(column)
    if value and value not in choices:
        row.error(column, value, f"unknown value (expected one of: {', '.join(choices)})")
        return ""
    return value


def _yes_no(row: _Row, column: str) -> bool | None:
    value = row.get(column).lower()
    if value not in (YES, NO, ""):
        row.error(column, value, f"expected {YES} or {NO}")
        return None
    return {YES: True, NO: False}.get(value)
