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


def _xls_rows(path: Path) -> Iterator[list]:
    import xlrd

    try:
        # UPR Info's PHPExcel files trip xlrd's corruption check although they are sound.
        book = xlrd.open_workbook(str(path), ignore_workbook_corruption=True, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, but also bare errors on odd input
        raise ImportFileError(f"{path}: not an Excel 97-2003 (.xls) workbook ({exc})") from exc
    sheet = book.sheet_by_index(0)
    return (sheet.row_values(index) for index in range(sheet.nrows))


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


def _read_rows(path: Path, rows: Iterable[list]) -> ParseResult:
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise ImportFileError(f"{path}: the file is empty")
    columns = column_map(header, path)
    result = ParseResult()
    for number, row in enumerate(iterator, start=2):
        if not "".join(map(str, row)).strip():  # a blank row
            continue
        result.rows += 1
        draft = _draft(number, row, columns, result.errors)
        if draft is not None:
            result.drafts.append(draft)
    return result


def _cell(row: list, columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(row):
        return ""
    value = row[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the XLS stores integers as floats
    return str(value).strip()


def _integer(value: str, row: int, column: str, errors: list[RowError], *, low: int, high: int) -> int | None:
    try:
        number = int(float(value))
    except ValueError:
        number = None
    if number is None or not low <= number <= high or float(value) != number:
        errors.append(RowError(row, column, value, f"expected a whole number from {low} to {high}"))
        return None
    return number


def _draft(number: int, row: list, columns: dict[str, int], errors: list[RowError]) -> Draft | None:
    before = len(errors)
    text = normalise_whitespace(_cell(row, columns, "text"))
    state = html.unescape(_cell(row, columns, "to"))
    sponsor = html.unescape(_cell(row, columns, "from"))
    for column, value in (("Text", text), ("To", state), ("From", sponsor)):
        if not value:
            errors.append(RowError(number, column, "", "a value is required"))
    session = _integer(_cell(row, columns, "session"), number, "Session", errors, low=1, high=99)
    action = None
    if raw_action := _cell(row, columns, "action"):
        action = _integer(raw_action, number, "Action", errors, low=1, high=5)
    if len(errors) > before:
        return None
    return Draft(
        row=number,
        review=ReviewRef(mechanism="upr", state=state, session=session),
        text=text,
        recommending_states=[] if sponsor == UNKNOWN_STATE else [sponsor],
        position=_cell(row, columns, "response"),
        action_category=action,
        theme_vocabulary="upr-info",
        themes=[("", issue) for issue in _issues(_cell(row, columns, "issue"))],
    )


def _issues(value: str) -> list[str]:
    # Tags are joined by "," without a space; no tag contains a comma.
    return [tag.strip() for tag in value.split(",") if tag.strip()]
