"""Reader for OHCHR "Thematic list of recommendations" Word documents (UPR cycles 2-4).

The document has one table (sometimes several) whose rows are either `Theme: …` group
headings or one UN report paragraph each. A paragraph cell reads

    186.2. Ratify ICCPR (Brazil); Expedite the ratification of the ICCPR (Ghana);
    Source of position: A/HRC/25/5/Add.1 - Para. 186.2.

so one row can hold several recommendations, each closed by its sponsor bracket(s).
The State under review and the session come from the page header ("UPR of China (2nd
Cycle – 17th session)"). Names stay as published; they are resolved by the engine.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table, _Row

from stakeholders.data.states import STATES
from upr_portal.lib.text import fold, matching_open_paren, name_key, normalise_whitespace, split_paragraph_number

from .base import Draft, ImportFileError, ParseResult, ReviewRef, RowError

# --- Word text -----------------------------------------------------------------------

# Run content that carries text. python-docx maps <w:noBreakHyphen/> to "-"; we keep the
# published U+2011, and also read runs inside smart tags and tracked insertions, which
# python-docx's `paragraph.text` skips (older OHCHR files wrap State names in smart tags).
_W_T = qn("w:t")
_RUN_TEXT = {
    _W_T: "",
    qn("w:tab"): "\t",
    qn("w:ptab"): "\t",
    qn("w:br"): "\n",
    qn("w:cr"): "\n",
    qn("w:noBreakHyphen"): "\u2011",
    qn("w:softHyphen"): "",
}


def _paragraph_text(paragraph: BaseOxmlElement) -> str:
    return "".join(
        (element.text or "") if element.tag == _W_T else _RUN_TEXT[element.tag]
        for element in paragraph.iter(*_RUN_TEXT)
    )


def _block_text(element: BaseOxmlElement) -> str:
    """Text of a cell or header: its paragraphs (nested ones once), one per line."""
    paragraphs = element.xpath(".//w:p[not(ancestor::w:p)]")
    return "\n".join(_paragraph_text(paragraph) for paragraph in paragraphs)


def _row_texts(row: _Row) -> list[str]:
    """One text per grid column; a merged cell repeats its text in every column it spans."""
    texts = [""] * row.grid_cols_before
    seen: dict[int, str] = {}
    for cell in row.cells:
        key = id(cell._tc)
        if key not in seen:
            seen[key] = _block_text(cell._tc)
        texts.append(seen[key])
    return texts


# --- opening the file ------------------------------------------------------------------


def _open(path: Path) -> Document:
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ImportFileError(f"{path}: not a Word .docx file (it is not a ZIP package)")
    try:
        return docx.Document(str(path))
    # python-docx reports a foreign ZIP (e.g. an .xlsx) with KeyError/ValueError, bad XML
    # with lxml's XMLSyntaxError (a SyntaxError).
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        raise ImportFileError(f"{path}: not a Word .docx file ({exc})") from exc


# --- finding the table -------------------------------------------------------------------


@dataclass
class _Layout:
    """A recommendation table: where its header row is and which column holds what."""

    table: Table
    header_row: int  # 1-based
    columns: dict[str, int]
    headers: list[str]


def _column_kind(header: str) -> str | None:
    # Order matters: "Human rights themes and groups of persons" is the themes column,
    # "Position of the State under review" is not a recommendation column.
    text = fold(header)
    if "sdg" in text or "sustainable development" in text:
        return "sdgs"
    if "theme" in text:
        return "themes"
    if "position" in text or "response" in text:
        return "position"
    if "recommend" in text:
        return "recommendation"
    if "person" in text or "group" in text:
        return "groups"
    return None


def _columns(headers: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        kind = _column_kind(header) if len(header) < 120 else None  # a header is short
        if kind and kind not in columns:
            columns[kind] = index
    return columns


def _layout(table: Table) -> _Layout | None:
    """The table's layout if one of its first rows is a recommendation table header."""
    for number, row in enumerate(table.rows[:3], start=1):
        headers = _row_texts(row)
        columns = _columns(headers)
        if "recommendation" in columns and "position" in columns:
            return _Layout(table, number, columns, [normalise_whitespace(h) for h in headers])
    return None


def _layouts(document: Document, path: Path) -> list[_Layout]:
    layouts = [layout for table in document.tables if (layout := _layout(table))]
    if not layouts:
        raise ImportFileError(f"{path} is not an OHCHR thematic list: no recommendation table found")
    return layouts


# --- State under review and session --------------------------------------------------------

# "UPR of China (2nd Cycle – 17th session)"; the lazy State name may hold brackets of its
# own ("Iran (Islamic Republic of)"), so the group that names the session closes it.
_TITLE_BRACKETED = re.compile(
    r"(?:\bUPR|Universal\s+Periodic\s+Review)\s+of\s+(?:the\s+)?(?P<state>[^\t\n]+?)\s*"
    r"\((?P<meta>[^()\n]*\bsession\b[^()\n]*)\)",
    re.IGNORECASE,
)
# "UPR of Slovenia – 48th session" (no bracket).
_TITLE_DASHED = re.compile(
    r"(?:\bUPR|Universal\s+Periodic\s+Review)\s+of\s+(?:the\s+)?(?P<state>[^\t\n]+?)\s*[-–—,:]\s*"
    r"(?P<meta>[^\t\n]*?\bsession\b(?:\s*(?:no\.?\s*)?\d+)?)",
    re.IGNORECASE,
)
_SESSION = re.compile(r"(\d{1,3})\s*(?:st|nd|rd|th)?\s+session|session\s*(?:no\.?\s*)?(\d{1,3})", re.IGNORECASE)


def _parse_title(text: str) -> tuple[str, int] | None:
    text = text.replace("\u00a0", " ").replace("\u2011", "-")
    for pattern in (_TITLE_BRACKETED, _TITLE_DASHED):
        for match in pattern.finditer(text):
            session = _SESSION.search(match.group("meta"))
            if session:
                return normalise_whitespace(match.group("state")), int(session.group(1) or session.group(2))
    return None


def _title_texts(document: Document) -> Iterator[str]:
    """Where the review is named: page headers first, then body paragraphs, then metadata."""
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.even_page_header):
            # A linked header has no definition of its own; reading it would create one.
            if not part.is_linked_to_previous:
                yield _block_text(part._element)
    for paragraph in document.paragraphs:
        yield _paragraph_text(paragraph._p)
    yield document.core_properties.title or ""


def _review(document: Document, path: Path, state: str | None, session: int | None, warnings: list[str]) -> ReviewRef:
    found = next(filter(None, map(_parse_title, _title_texts(document))), None)
    doc_state, doc_session = found or (None, None)
    if state and doc_state and name_key(state) != name_key(doc_state):
        warnings.append(f"the document names the State under review {doc_state!r}; using {state!r} as given")
    if session is not None and doc_session is not None and session != doc_session:
        warnings.append(f"the document names session {doc_session}; using session {session} as given")
    state, session = state or doc_state, session if session is not None else doc_session
    if not state or session is None:
        raise ImportFileError(
            f"{path}: the State under review and the UPR session are not named in the document "
            "(no header like 'UPR of <State> (2nd Cycle – 17th session)'); pass --state and --session"
        )
    return ReviewRef(mechanism="upr", state=state, session=session)


# --- sponsor brackets ------------------------------------------------------------------------

_KNOWN_STATES = frozenset(name_key(name) for entry in STATES for name in (entry[1], entry[2], *entry[5]))
# Words that mark a bracket as a name in the text ("(Istanbul Convention)", "(Paris
# Principles)") rather than a State not in our list under that spelling.
_NOT_STATE_TEXT = """act acts agency agenda agreement alliance article authority bank body centre center charter code
    commission committee convention council court covenant declaration framework forum fund goal goals
    group guidelines initiative institute institution law mechanism ministry network office ombudsman
    ombudsperson organisation organization paragraph plan platform policy principle principles procedure
    programme program protocol report resolution rules service statute strategy system treaty union"""
_NOT_STATE_WORDS = frozenset(_NOT_STATE_TEXT.split())


def _split_top_level(text: str, separators: str) -> list[str]:
    """Split on separators outside brackets: `Iran (Islamic Republic of), Peru` -> 2 names."""
    pieces, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and char in separators:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces]


def _looks_like_state(name: str) -> bool:
    """A State spelling we do not know yet: capitalised words, no digits, not an acronym."""
    words = name_key(name).split()
    return (
        bool(words)
        and name[0].isupper()
        and not name.isupper()
        and len(words) <= 8
        and not any(char.isdigit() or char in '"“”:/=' for char in name)
        and not _NOT_STATE_WORDS.intersection(words)
    )


def _sponsor_names(content: str) -> list[str] | None:
    """The State names in one bracket's content, or None if it is not a sponsor bracket."""
    content = content.strip()
    if not content:
        return None
    if name_key(content) in _KNOWN_STATES:  # also "Korea, Republic of" with its comma
        return [content]
    names = _split_top_level(content, ",;")
    if all(name and (name_key(name) in _KNOWN_STATES or _looks_like_state(name)) for name in names):
        return names
    return None


def _peel_sponsors(segment: str) -> tuple[str, list[str]]:
    """`Ratify X (No. 29) (France) (Peru)` -> (`Ratify X (No. 29)`, [France, Peru])."""
    rest, groups = segment.rstrip(), []
    while rest.endswith(")"):
        start = matching_open_paren(rest, len(rest) - 1)
        names = None if start is None else _sponsor_names(rest[start + 1 : -1])
        if names is None:
            break
        groups.insert(0, names)
        rest = rest[:start].rstrip()
    return rest.strip(), [name for group in groups for name in group]


_CLOSE_SEMICOLON = re.compile(r"\)\s*;")


def _last_boundary(text: str) -> re.Match[str] | None:
    """The last `);` whose bracket names States: where one recommendation ends."""
    for match in reversed(list(_CLOSE_SEMICOLON.finditer(text))):
        start = matching_open_paren(text, match.start())
        if start is not None and _sponsor_names(text[start + 1 : match.start()]) is not None:
            return match
    return None


def _split_parts(body: str) -> list[tuple[str, list[str]]]:
    """The recommendations of one paragraph, each with its sponsors, in published order."""
    parts, rest = [], body
    while True:
        boundary = _last_boundary(rest)
        segment = rest if boundary is None else rest[boundary.end() :]
        parts.insert(0, _peel_sponsors(segment))
        if boundary is None:
            return parts
        rest = rest[: boundary.start() + 1]


# --- one recommendation cell ------------------------------------------------------------------

_SOURCE = re.compile(r"\bsource\s+of\s+(?:the\s+)?position\b\s*[:.]?\s*", re.IGNORECASE)
_FINAL_PUNCTUATION = re.compile(r"\s*;+\s*$|(?<=\))\s*\.\s*$")
# Paragraph number glued to the text ("186.28.Continue"), which split_paragraph_number skips.
_GLUED_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})+)\.?(?=[^\d\s.]|$)")


@dataclass
class _Recommendation:
    paragraph: str = ""
    text: str = ""
    parts: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    source: str = ""
    problems: list[str] = field(default_factory=list)


def _paragraph_number(text: str) -> tuple[str, str]:
    number, body = split_paragraph_number(text)
    if not number and (glued := _GLUED_NUMBER.match(text)):
        number, body = glued.group(1), text[glued.end() :]
    return number, body.strip()


def _parse_recommendation(raw: str) -> _Recommendation:
    text = normalise_whitespace(raw)
    source = _SOURCE.search(text)
    result = _Recommendation(source=" ".join(text[source.end() :].split()) if source else "")
    result.paragraph, body = _paragraph_number(text[: source.start()] if source else text)
    body = _FINAL_PUNCTUATION.sub("", body)
    if not result.paragraph:
        result.problems.append("no paragraph number at the start of the recommendation")
    if not body:
        result.problems.append("no recommendation text")
        return result
    parts = _split_parts(body)
    for index, (part, states) in enumerate(parts, start=1):
        where = f"recommendation {index} of the paragraph" if len(parts) > 1 else "the recommendation"
        if not part:
            result.problems.append(f"no text before the recommending State(s) in {where}")
        if not states:
            result.problems.append(f"no recommending State in brackets at the end of {where}")
        result.states += [state for state in states if state not in result.states]
    result.text = body if len(parts) > 1 else parts[0][0]
    result.parts = [part for part, _ in parts] if len(parts) > 1 else []
    return result


# --- themes, groups of persons and SDGs ---------------------------------------------------------

_LABEL = re.compile(
    r"^(?P<label>affected\s+persons?|persons?\s+affected|groups?\s+of\s+persons?|(?:relevant\s+)?sdgs?"
    r"|sustainable\s+development\s+goals?|(?:full\s+list\s+of\s+|human\s+rights\s+)?themes?)"
    r"\s*(?::\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^[-–—•·*]\s*")
_CODED_THEME = re.compile(r"^([A-Z]\d{1,3})\s+(\S.*)$")  # UHRI cycle-2 codes: A12, B51, D1
_SDG_TARGET = re.compile(r"^(?:target\s+)?(\d{1,2}\.[0-9a-z]{1,2})\b\s*(?:[-–—:]\s*)?(.*)$", re.IGNORECASE)
_SDG_GOAL = re.compile(r"^(?:goal\s+)?(\d{1,2})(?:\s*[-–—:.]\s*.*|\s+\D.*)?$", re.IGNORECASE)


@dataclass
class _Tags:
    themes: list[tuple[str, str]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    goals: list[int] = field(default_factory=list)
    targets: list[tuple[str, str]] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


def _add(values: list, value) -> None:
    if value not in values:
        values.append(value)


def _section(label: str) -> str:
    label = label.lower()
    if "person" in label:
        return "groups"
    return "sdgs" if "sdg" in label or "sustainable" in label else "themes"


def _read_tags(text: str, section: str, tags: _Tags) -> None:
    """Read a themes or SDG cell; `Affected persons:`-style labels switch section."""
    for line in normalise_whitespace(text).split("\n"):
        if label := _LABEL.match(line):
            section, line = _section(label.group("label")), label.group("rest") or ""
        item = _BULLET.sub("", line, count=1).strip()
        if item:
            _add_tag(section, item, tags)


def _add_tag(section: str, item: str, tags: _Tags) -> None:
    if section == "groups":
        _add(tags.groups, item)
    elif section == "themes":
        coded = _CODED_THEME.match(item)
        _add(tags.themes, (coded.group(1), coded.group(2).strip()) if coded else ("", item))
    elif target := _SDG_TARGET.match(item):
        _add(tags.targets, (target.group(1), target.group(2).strip()))
    elif (goal := _SDG_GOAL.match(item)) and 1 <= int(goal.group(1)) <= 17:
        _add(tags.goals, int(goal.group(1)))
    else:
        tags.unread.append(item)


# --- rows -----------------------------------------------------------------------------------------

_THEME_HEADING = re.compile(r"^\s*themes?\s*:", re.IGNORECASE)


def _is_heading(texts: list[str]) -> bool:
    """A `Theme: …` row: one merged cell (or only the first cell filled)."""
    filled = {text.strip() for text in texts if text.strip()}
    return bool(texts) and bool(_THEME_HEADING.match(texts[0])) and len(filled) == 1


def _skipped(texts: list[str], layout: _Layout) -> bool:
    # Blank rows, theme headings and header rows repeated as body rows are not recommendations.
    normalised = [normalise_whitespace(text) for text in texts]
    return not any(normalised) or _is_heading(texts) or normalised == layout.headers


def _cell(texts: list[str], layout: _Layout, kind: str) -> str:
    index = layout.columns.get(kind)
    return texts[index] if index is not None and index < len(texts) else ""


def _shorten(text: str, limit: int = 100) -> str:
    line = normalise_whitespace(text).split("\n", 1)[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _draft(number: int, texts: list[str], layout: _Layout, review: ReviewRef, result: ParseResult) -> Draft | None:
    raw = _cell(texts, layout, "recommendation")
    rec = _parse_recommendation(raw)
    column = layout.headers[layout.columns["recommendation"]]
    for problem in rec.problems:
        result.errors.append(RowError(number, column, _shorten(raw), problem))
    if rec.problems:
        return None
    tags = _Tags()
    _read_tags(_cell(texts, layout, "themes"), "themes", tags)
    _read_tags(_cell(texts, layout, "groups"), "groups", tags)
    _read_tags(_cell(texts, layout, "sdgs"), "sdgs", tags)
    result.warnings += [f"row {number}: SDG entry not understood: {item!r}" for item in tags.unread]
    position = " ".join(normalise_whitespace(_cell(texts, layout, "position")).split("\n"))
    return Draft(
        row=number,
        review=review,
        text=rec.text,
        paragraph=rec.paragraph,
        parts=rec.parts,
        recommending_states=rec.states,
        position=position,
        position_source=rec.source,
        theme_vocabulary="uhri",
        themes=tags.themes,
        affected_groups=tags.groups,
        sdg_goals=tags.goals,
        sdg_targets=tags.targets,
    )


def _read_table(layout: _Layout, offset: int, review: ReviewRef, result: ParseResult) -> None:
    for index, row in enumerate(layout.table.rows, start=1):
        texts = _row_texts(row)
        if index <= layout.header_row or _skipped(texts, layout):
            continue
        result.rows += 1
        draft = _draft(offset + index, texts, layout, review, result)
        if draft is not None:
            result.drafts.append(draft)


# --- document symbols -------------------------------------------------------------------------------

_SYMBOL = re.compile(r"\b[A-Z]{1,5}(?:/[A-Za-z0-9.]*[A-Za-z0-9])+")
_ADDENDUM = re.compile(r"/Add\.\s*\d+$", re.IGNORECASE)


def _document_symbols(drafts: list[Draft]) -> list[str]:
    """Report symbols first (`A/HRC/25/5`, derived from `…/Add.1` too), then the others."""
    seen: list[str] = []
    for draft in drafts:
        for symbol in _SYMBOL.findall(draft.position_source):
            _add(seen, symbol)
    bases: list[str] = []
    for symbol in seen:
        _add(bases, _ADDENDUM.sub("", symbol))
    return bases + [symbol for symbol in seen if symbol not in bases]


# --- entry point ------------------------------------------------------------------------------------


def read_ohchr_docx(path: str | Path, *, state: str | None = None, session: int | None = None) -> ParseResult:
    """Read an OHCHR thematic list; `state`/`session` override the document's header."""
    path = Path(path)
    document = _open(path)
    layouts = _layouts(document, path)
    result = ParseResult()
    review = _review(document, path, state, session, result.warnings)
    if len(layouts) > 1:
        result.warnings.append(f"{len(layouts)} recommendation tables; row numbers run on from one table to the next")
    offset = 0
    for layout in layouts:
        _read_table(layout, offset, review, result)
        offset += len(layout.table.rows)
    review.document_symbols = _document_symbols(result.drafts)
    missing = sum(1 for draft in result.drafts if not draft.position_source)
    if missing:
        result.warnings.append(f"{missing} recommendation row(s) have no 'Source of position' line")
    return result
