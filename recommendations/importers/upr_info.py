"""Readers for UPR Info's "Database of UPR Recommendations" exports (CSV and XLS).

One row per recommending State: rows that repeat a text in a review are merged into one
recommendation later, by the engine. Both formats carry the same eleven columns under
different names; the XLS repeats `Rgrp` and `Org` for the recommending State.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from upr_portal.lib.text import normalise_whitespace

from .base import Draft, ImportFileError, ParseResult, ReviewRef, RowError

# Canonical column -> header names used by the CSV conversion and by the XLS export.
COLUMNS = {
    "to": ("to", "sur"),
    "text": ("text", "recommendation"),
    "from": ("from", "rs"),
    "response": ("response",),
    "action": ("action",),
    "issue": ("issue", "issues"),
    "session": ("session",),
}
REQUIRED = ("to", "text", "from", "response", "session")
UNKNOWN_STATE = "(Unknown)"  # UPR Info's literal for a recommending State it did not record


def read_upr_info_csv(path: str | Path) -> ParseResult:
    rows = _csv_rows(Path(path))
    return _read_rows(Path(path), rows)


def read_upr_info_xls(path: str | Path) -> ParseResult:
    return _read_rows(Path(path), _xls_rows(Path(path)))


def _decode(raw: bytes, path: Path) -> str:
    # UPR Info's CSVs are Mac Roman; conversions saved since may be UTF-8.
    if b"\x00" in raw[:4096]:
        raise ImportFileError(f"{path}: not a UPR Info CSV export (binary content)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("mac_roman")


def _csv_rows(path: Path) -> Iterator[list[str]]:
    text = _decode(path.read_bytes(), path)
    # newline="" semantics: the csv module understands CR-only line endings itself.
    return csv.reader(io.StringIO(text, newline=""))


def _xls_rows(path: Path) -> Iterator[list[str]]:
    import xlrd

    try:
        # UPR Info's PHPExcel files trip xlrd's corruption check although they are sound.
        book = xlrd.open_workbook(str(path), ignore_workbook_corruption=True, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, but also bare errors on odd input
        raise ImportFileError(f"{path}: not an Excel 97-2003 (.xls) workbook ({exc})") from exc
    sheet = book.sheet_by_index(0)
    return ([_xls_text(value) for value in sheet.row_values(index)] for index in range(sheet.nrows))


def _xls_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the XLS stores integers as floats
    return str(value)


def column_map(header: list[str], path: Path) -> dict[str, int]:
    """Find each canonical column by name; the first `Rgrp`/`Org` belong to `To`."""
    names = [str(name).strip().lower() for name in header]
    found = {}
    for canonical, aliases in COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[canonical] = index
                break
    missing = [COLUMNS[name][0].capitalize() for name in REQUIRED if name not in found]
    if missing:
        raise ImportFileError(
            f"{path}: not a UPR Info export: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(str(h) for h in header) or 'nothing'})"
        )
    return found


def _read_rows(path: Path, rows: Iterable[list[str]]) -> ParseResult:
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise ImportFileError(f"{path}: the file is empty")
    columns = column_map(header, path)
    # Short rows are padded; a column the file lacks reads the padding's last, empty cell.
    width = max(columns.values()) + 2
    at = [columns.get(name, width - 1) for name in _CELLS]
    result = ParseResult()
    reviews: dict[tuple, ReviewRef] = {}  # one per review, shared by its drafts
    for number, row in enumerate(iterator, start=2):
        if len(row) < width:
            row = [*row, *[""] * (width - len(row))]
        if not "".join(row).strip():  # a blank row
            continue
        result.rows += 1
        draft = _draft(number, [row[index].strip() for index in at], result.errors, reviews)
        if draft is not None:
            result.drafts.append(draft)
    return result


_CELLS = ("text", "to", "from", "session", "action", "response", "issue")  # the order `_draft` reads


def _integer(value: str, row: int, column: str, errors: list[RowError], *, low: int, high: int) -> int | None:
    if value.isascii() and value.isdigit() and low <= (number := int(value)) <= high:
        return number  # the common case
    try:
        number = int(float(value))
    except ValueError:
        number = None
    if number is None or not low <= number <= high or float(value) != number:
        errors.append(RowError(row, column, value, f"expected a whole number from {low} to {high}"))
        return None
    return number


def _draft(number: int, cells: list[str], errors: list[RowError], reviews: dict[tuple, ReviewRef]) -> Draft | None:
    raw_text, raw_state, raw_sponsor, raw_session, raw_action, response, issues = cells
    before = len(errors)
    text = normalise_whitespace(raw_text)
    state = html.unescape(raw_state)
    sponsor = html.unescape(raw_sponsor)
    for column, value in (("Text", text), ("To", state), ("From", sponsor)):
        if not value:
            errors.append(RowError(number, column, "", "a value is required"))
    session = _integer(raw_session, number, "Session", errors, low=1, high=99)
    action = None
    if raw_action:
        action = _integer(raw_action, number, "Action", errors, low=1, high=5)
    if len(errors) > before:
        return None
    return Draft(
        row=number,
        review=reviews.get((state, session)) or reviews.setdefault((state, session), ReviewRef("upr", state, session)),
        text=text,
        recommending_states=[] if sponsor == UNKNOWN_STATE else [sponsor],
        position=response,
        action_category=action,
        theme_vocabulary="upr-info",
        themes=[("", issue) for issue in _issues(issues)],
    )


def _issues(value: str) -> list[str]:
    # Tags are joined by "," without a space; no tag contains a comma.
    return [tag.strip() for tag in value.split(",") if tag.strip()]
