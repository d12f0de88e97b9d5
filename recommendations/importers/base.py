"""What every format reader produces, and the errors it reports.

A reader turns one file into `Draft`s, one per source row, keeping values as published
(whitespace normalised). Names (States, mechanisms, positions) are resolved and checked
later, in `recommendations.importers.engine`, so every reader reports bad values alike.
"""

from __future__ import annotations

import datetime
import gc
import operator
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields


class ImportFileError(Exception):
    """The file as a whole cannot be read in the claimed format (message names why)."""


@dataclass(frozen=True)
class RowError:
    """One bad value: `row` is the 1-based row (or table row) number in the file."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        column = f", column {self.column!r}" if self.column else ""
        value = f", value {self.value!r}" if self.value != "" else ""
        return f"{where}{column}{value}: {self.message}"


def pickled_by_fields(cls: type) -> type:
    """Pickle a slotted dataclass as its class and its field values, read in one C call.

    The read-ahead process sends every file's drafts to the importer. A slotted
    dataclass's own `__getstate__` calls `fields()` for each instance and `__setstate__`
    sets each field in Python: ~40 % of the pickling of a file's drafts, done twice."""
    values = operator.attrgetter(*(item.name for item in fields(cls)))
    cls.__reduce__ = lambda self: (cls, values(self))
    return cls


@pickled_by_fields
@dataclass(slots=True)
class ReviewRef:
    """Identifies the review a row belongs to, with names as published."""

    mechanism: str  # a Mechanism code or alias: "upr", "- CRC", "Human Rights Committee"
    state: str  # State under review, any known spelling
    session: int | None = None  # UPR Working Group session
    symbol: str = ""  # document symbol identifying a non-UPR review
    date: datetime.date | None = None
    document_symbols: list[str] = field(default_factory=list)


@pickled_by_fields
@dataclass(slots=True)
class Draft:
    """One recommendation as read from one source row, before names are resolved."""

    row: int
    review: ReviewRef
    text: str
    paragraph: str = ""
    # Texts of the several recommendations that share one UN paragraph (OHCHR lists);
    # each is matched on its own against recommendations from sources that split them.
    parts: list[str] = field(default_factory=list)
    recommending_states: list[str] = field(default_factory=list)
    position: str = ""  # raw, e.g. "Accepted", "Supported", "- Noted"
    position_source: str = ""
    action_category: int | None = None
    theme_vocabulary: str = "uhri"
    themes: list[tuple[str, str]] = field(default_factory=list)  # (legacy code or "", name)
    affected_groups: list[str] = field(default_factory=list)
    sdg_goals: list[int] = field(default_factory=list)
    sdg_targets: list[tuple[str, str]] = field(default_factory=list)  # ("16.3", title or "")
    # Themes of other vocabularies than `theme_vocabulary`: (vocabulary, code, name).
    tagged_themes: list[tuple[str, str, str]] = field(default_factory=list)
    external_id: str = ""
    annotation_type: str = ""
    requires_legislation: bool | None = None  # None: the source says nothing
    # Only our own export carries these: the public code, the original source and the
    # current implementation status, so that a round trip reproduces a recommendation.
    code: str = ""
    source: str = ""
    status: str = ""
    status_date: datetime.date | None = None


@dataclass
class ParseResult:
    """A reader's output: drafts for the good rows and every problem found."""

    rows: int = 0
    drafts: list[Draft] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run without the cyclic garbage collector: an import allocates hundreds of
    thousands of small objects (none in reference cycles), and every full collection
    would walk all of them again; measured at half the import's Python time. Nothing
    is lost: what refcounting cannot free is collected once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def quick_thread_switches(interval: float = 0.0005) -> Iterator[None]:
    """Let threads waiting for the interpreter have it sooner (CPython's default: 5 ms).

    An import's writing thread gets the interpreter back after each statement only when
    the row-building thread lets go of it: with the default interval, PostgreSQL waited up
    to 5 ms after each of some 100 statements. Restored when the import ends."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
