"""Reader for the OHCHR Universal Human Rights Index (UHRI) "Export to Excel" workbook.

The export has one row per annotated paragraph (UPR, treaty bodies, special procedures)
with OHCHR's own quirks, all handled here:

* headers with typos (`Reccomending Body`, `UPR Reccomending States`); the correct
  spellings are accepted too, and headers are matched case- and whitespace-insensitively;
* every value, single or multiple, is a line starting with `- ` (`- Iraq`,
  `- Equality & non-discrimination\\n- Discrimination against women`);
* dates are Excel serial numbers (`46078`), sometimes real date cells or ISO strings;
* `OHCHR Annotation Id` (a UUID) is the only stable identity of a row.

Only values are read here; State, mechanism and position names are resolved in
`recommendations.importers.engine`. The sheet is streamed (read-only, values only), so a
full 270k-row export is read without loading it into memory.
"""

from __future__ import annotations

import datetime
import os
import re
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import openpyxl
from openpyxl.utils.datetime import from_excel

from recommendations.importers.base import Draft, ImportFileError, ParseResult, ReviewRef, RowError
from upr_portal.lib.text import matching_open_paren, name_key, normalise_whitespace, split_paragraph_number

# field -> accepted headers; the first spelling (OHCHR's, typos included) names the
# column in messages when the file does not have it.
_HEADERS: dict[str, tuple[str, ...]] = {
    "text": ("Text",),
    "country": ("Countries Concerned",),
    "body": ("Reccomending Body", "Recommending Body"),
    "type": ("Type",),
    "symbol": ("Document Symbol",),
    "date": ("Document Publication Date",),
    "themes": ("Themes",),
    "affected": ("Affected Persons",),
    "sdgs": ("Sdgs",),
    "session": ("UPR Session",),
    "states": ("UPR Reccomending States", "UPR Recommending States"),
    "position": ("UPR Position",),
    "id": ("OHCHR Annotation Id",),
}
_REQUIRED = ("text", "country", "body", "id")
# The header is looked for in the first rows only: a title block above it is short.
_HEADER_SEARCH_ROWS = 50

# Bodies whose rows come from special-procedure mandates (`SR on the right to food`).
_SPECIAL_PROCEDURES = "Special Procedures"
_MANDATE_PREFIXES = ("sr ", "ie ", "wg ", "special rapporteur", "independent expert", "working group")

_LINE_PREFIX = re.compile(r"^-\s+")
# `- 48 Session`; also tolerate `48th session`, `Session 48` and a bare number.
_SESSION = re.compile(r"(?:session\s*)?(\d{1,3})(?:st|nd|rd|th)?(?:\s*session)?", re.I)
# `1.4 - Equal rights to economic resources`, `16.a - …` or `16 - PEACE, JUSTICE …`.
_SDG = re.compile(r"(\d{1,2})(?:\.([0-9a-z]{1,2}))?(?:\s*-\s*(.*))?", re.I)
# Treaty-body paragraphs are often extracted without the space: `49.The Committee …`.
_TIGHT_PARAGRAPH = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.(?=[A-Z])")
_SERIAL = re.compile(r"\d+(?:\.\d+)?")
# A comma outside brackets separates sponsors in `(State A, Iran (Islamic Republic of))`.
_SPONSOR_COMMA = re.compile(r",\s*(?![^()]*\))")
# Largest serial Excel can show as a date (31 Dec 9999).
_MAX_SERIAL = 2958465


def read_uhri_xlsx(path: str | os.PathLike[str]) -> ParseResult:
    """Read a UHRI "Export to Excel" workbook into drafts, errors and warnings."""
    name = Path(path).name
    # Opened as a binary file: openpyxl rejects paths without an .xlsx suffix (such as
    # upload temp files) but accepts file objects, and sniffing needs the bytes anyway.
    with open(path, "rb") as handle:
        workbook = _open_workbook(handle, name)
        try:
            sheet = workbook.worksheets[0]
            # Some writers omit or misstate <dimension>; read-only mode trusts it and
            # would stop early, so read every row that is actually there.
            sheet.reset_dimensions()
            rows = enumerate(sheet.iter_rows(values_only=True), start=1)
            columns = _find_header(rows, name)
            reader = _RowReader(columns, workbook.epoch)
            for row, values in rows:
                reader.read(row, values)
            return reader.result
        finally:
            workbook.close()


def _open_workbook(handle: BinaryIO, name: str) -> openpyxl.Workbook:
    not_xlsx = f"{name} is not an Excel .xlsx workbook (save the UHRI export as .xlsx and upload that file)"
    # An .xlsx is a zip package; CSV, old .xls and random bytes fail here cheaply.
    if not zipfile.is_zipfile(handle):
        raise ImportFileError(not_xlsx)
    handle.seek(0)
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    # Other zip packages (DOCX, ODS, damaged files) fail in many ways inside openpyxl
    # (OSError, KeyError, BadZipFile, XML errors); all mean the same to the user.
    except Exception as exc:
        raise ImportFileError(not_xlsx) from exc
    if not workbook.worksheets:
        workbook.close()
        raise ImportFileError(not_xlsx)
    return workbook


def _header_key(value: object) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


_HEADER_LOOKUP = {_header_key(label): key for key, labels in _HEADERS.items() for label in labels}


@dataclass
class _Columns:
    """Where each known field is in the sheet, and the header text the file uses."""

    index: dict[str, int] = field(default_factory=dict)
    label: dict[str, str] = field(default_factory=dict)


def _match_header(values: Sequence[object]) -> _Columns:
    columns = _Columns()
    for position, value in enumerate(values):
        key = _HEADER_LOOKUP.get(_header_key(value))
        # The first column wins if a header is repeated, as a reader of the sheet would.
        if key and key not in columns.index:
            columns.index[key] = position
            columns.label[key] = " ".join(str(value).split())
    return columns


def _find_header(rows: Iterator[tuple[int, Sequence[object]]], name: str) -> _Columns:
    """Consume rows up to the header (first row with `Text` and the annotation id)."""
    best = _Columns()
    for row, values in rows:
        columns = _match_header(values)
        if "text" in columns.index and "id" in columns.index:
            if _missing(columns):
                raise _missing_columns_error(columns, name)
            return columns
        # Remember the most header-like row so the error names what it lacks.
        if len(columns.index) > len(best.index):
            best = columns
        if row >= _HEADER_SEARCH_ROWS:
            break
    raise _missing_columns_error(best, name)


def _missing(columns: _Columns) -> list[str]:
    return [_HEADERS[key][0] for key in _REQUIRED if key not in columns.index]


def _missing_columns_error(columns: _Columns, name: str) -> ImportFileError:
    listed = ", ".join(repr(label) for label in _missing(columns))
    return ImportFileError(f"{name}: missing required column(s) {listed}; is this a UHRI 'Export to Excel' file?")


def _as_text(value: object) -> str:
    """A cell as the text a user sees (`46078`, not `46078.0`)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _lines(value: object) -> list[str]:
    """The values of a UHRI cell: one per line, without the `- ` marker."""
    return list(_split_lines(_as_text(value))) if value is not None else []


# Countries, bodies, themes, groups and SDG cells repeat across a large export, so
# their split form is cached instead of being recomputed on every row.
@lru_cache(maxsize=16384)
def _split_lines(text: str) -> tuple[str, ...]:
    cleaned = (_LINE_PREFIX.sub("", line).strip() for line in normalise_whitespace(text).split("\n"))
    return tuple(line for line in cleaned if line and line != "-")


def _is_empty(values: Sequence[object]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


# Rows of one document share its date, so most calls are repeats.
@lru_cache(maxsize=4096)
def _parse_date(value: object, epoch: datetime.datetime) -> datetime.date | None:
    """A date cell, an Excel serial (number or digits) or an ISO date; ValueError if none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _SERIAL.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 < value <= _MAX_SERIAL:
            raise ValueError("serial out of range")
        return from_excel(value, epoch).date()
    return datetime.datetime.fromisoformat(str(value).strip()).date()


def _parse_session(value: str) -> int:
    match = _SESSION.fullmatch(value)
    if not match:
        raise ValueError(value)
    return int(match.group(1))


def _mechanism(lines: list[str]) -> str:
    """The body as published, or "Special Procedures" for any mandate-holder's row."""
    first = lines[0]
    if any(line.casefold() == _SPECIAL_PROCEDURES.casefold() for line in lines):
        return _SPECIAL_PROCEDURES
    if first.casefold().startswith(_MANDATE_PREFIXES):
        return _SPECIAL_PROCEDURES
    return first


def _parse_sdgs(lines: list[str]) -> tuple[list[int], list[tuple[str, str]], list[str]]:
    """(goals, targets, unreadable lines); each target also counts for its goal."""
    goals: list[int] = []
    targets: list[tuple[str, str]] = []
    bad: list[str] = []
    for line in lines:
        match = _SDG.fullmatch(line)
        if not match or not 1 <= int(match.group(1)) <= 17:
            bad.append(line)
            continue
        goal, target, title = int(match.group(1)), match.group(2), (match.group(3) or "").strip()
        if goal not in goals:
            goals.append(goal)
        if target:
            targets.append((f"{goal}.{target.lower()}", title))
    return goals, targets, bad


def _trailing_groups(text: str) -> list[tuple[int, str]]:
    """(start, inner text) of the bracket groups that end `text`, last group first."""
    groups: list[tuple[int, str]] = []
    end = len(text.rstrip())
    while end and text[end - 1] == ")":
        start = matching_open_paren(text, end - 1)
        if start is None:
            break
        groups.append((start, text[start + 1 : end - 1]))
        end = len(text[:start].rstrip())
    return groups


@lru_cache(maxsize=4096)
def _sponsor_key(name: str) -> str:
    # Word order is ignored: reports write `Bolivarian Republic of Venezuela` where
    # UHRI's State list has `Venezuela (Bolivarian Republic of)`.
    return " ".join(sorted(name_key(name).split()))


def _strip_sponsors(text: str, states: list[str]) -> str:
    """Drop the `(State) (State)` tail when it names exactly the recommending States."""
    wanted = sorted(_sponsor_key(state) for state in states)
    groups = _trailing_groups(text)
    for count in range(1, len(groups) + 1):
        inners = [inner for _, inner in groups[:count]]
        split = [name for inner in inners for name in _SPONSOR_COMMA.split(inner)]
        for names in (inners, split):
            if sorted(_sponsor_key(name) for name in names) == wanted:
                return text[: groups[count - 1][0]].rstrip()
    return text


def _upr_text(text: str, states: list[str]) -> tuple[str, str]:
    """(paragraph, text) of a UPR row: `140.7 Ratify … (Maldives) (Portugal);` -> `Ratify …`."""
    paragraph, body = split_paragraph_number(text)
    body = body.rstrip().removesuffix(";").rstrip()
    if states:
        body = _strip_sponsors(body, states).removesuffix(";").rstrip()
    return paragraph, body


def _leading_paragraph(text: str) -> str:
    """A paragraph number at the very start of a treaty-body or special-procedure text."""
    paragraph, _ = split_paragraph_number(text)
    if paragraph:
        return paragraph
    match = _TIGHT_PARAGRAPH.match(text)
    return match.group(1) if match else ""


@dataclass
class _RowReader:
    """Turns data rows into drafts, collecting every problem instead of stopping."""

    columns: _Columns
    epoch: datetime.datetime
    result: ParseResult = field(default_factory=ParseResult)
    first_row_of_id: dict[str, int] = field(default_factory=dict)

    def cell(self, values: Sequence[object], key: str) -> object:
        # Read-only rows stop at their last filled cell, so they may be short.
        position = self.columns.index.get(key)
        return values[position] if position is not None and position < len(values) else None

    def lines(self, values: Sequence[object], key: str) -> list[str]:
        return _lines(self.cell(values, key))

    def error(self, row: int, key: str, value: object, message: str) -> None:
        column = self.columns.label.get(key, _HEADERS[key][0])
        self.result.errors.append(RowError(row, column, _as_text(value), message))

    def read(self, row: int, values: Sequence[object]) -> None:
        if _is_empty(values):
            return
        self.result.rows += 1
        errors_before = len(self.result.errors)
        external_id = self.annotation_id(row, values)
        text = normalise_whitespace(_as_text(self.cell(values, "text")))
        if not text:
            self.error(row, "text", "", "the recommendation text is empty")
        review = self.review(row, values)
        # A row with any bad value yields no draft: a partial record would import wrongly.
        if review is None or len(self.result.errors) > errors_before:
            return
        self.result.drafts.append(self.draft(row, values, review, text, external_id))

    def annotation_id(self, row: int, values: Sequence[object]) -> str:
        raw = self.cell(values, "id")
        try:
            external_id = str(uuid.UUID(_as_text(raw).strip()))
        except ValueError:
            message = "the annotation id is empty" if not _as_text(raw).strip() else "the annotation id is not a UUID"
            self.error(row, "id", raw, message)
            return ""
        first = self.first_row_of_id.setdefault(external_id, row)
        if first != row:
            self.error(row, "id", raw, f"duplicate annotation id (first used on row {first})")
        return external_id

    def review(self, row: int, values: Sequence[object]) -> ReviewRef | None:
        state = self.state(row, values)
        bodies = self.lines(values, "body")
        if not bodies:
            self.error(row, "body", "", "the recommending body is empty")
            return None
        mechanism = _mechanism(bodies)
        symbols = self.lines(values, "symbol")
        is_upr = mechanism.casefold() == "upr"
        return ReviewRef(
            mechanism=mechanism,
            state=state,
            session=self.session(row, values) if is_upr else None,
            symbol="" if is_upr else (symbols[0] if symbols else ""),
            date=self.date(row, values),
            document_symbols=symbols,
        )

    def state(self, row: int, values: Sequence[object]) -> str:
        countries = self.lines(values, "country")
        if not countries:
            self.error(row, "country", "", "no country concerned (the State under review)")
            return ""
        if len(countries) > 1:
            others = ", ".join(countries[1:])
            self.result.warnings.append(
                f"row {row}: several countries concerned; importing for {countries[0]}, not for {others}"
            )
        return countries[0]

    def session(self, row: int, values: Sequence[object]) -> int | None:
        raw = self.cell(values, "session")
        lines = _lines(raw)
        if not lines:
            self.error(row, "session", "", "a UPR recommendation needs its session number")
            return None
        try:
            return _parse_session(lines[0])
        except ValueError:
            self.error(row, "session", raw, "the UPR session is not a number (expected e.g. '- 48 Session')")
            return None

    def date(self, row: int, values: Sequence[object]) -> datetime.date | None:
        raw = self.cell(values, "date")
        try:
            return _parse_date(raw, self.epoch)
        except (ValueError, OverflowError):
            self.error(row, "date", raw, "the publication date is not a date or Excel date number")
            return None

    def draft(self, row: int, values: Sequence[object], review: ReviewRef, text: str, external_id: str) -> Draft:
        is_upr = review.mechanism.casefold() == "upr"
        states = self.lines(values, "states") if is_upr else []
        if is_upr:
            paragraph, text = _upr_text(text, states)
        else:
            paragraph = _leading_paragraph(text)
        goals, targets, bad_sdgs = _parse_sdgs(self.lines(values, "sdgs"))
        if bad_sdgs:
            self.result.warnings.append(f"row {row}: unrecognised SDG value(s) ignored: {'; '.join(bad_sdgs)}")
        return Draft(
            row=row,
            review=review,
            text=text,
            paragraph=paragraph,
            recommending_states=states,
            position="; ".join(self.lines(values, "position")) if is_upr else "",
            themes=[("", theme) for theme in self.lines(values, "themes")],
            affected_groups=self.lines(values, "affected"),
            sdg_goals=goals,
            sdg_targets=targets,
            external_id=external_id,
            annotation_type="; ".join(self.lines(values, "type")),
        )
