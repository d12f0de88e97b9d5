"""Reading and resolving a file, the part of an import that needs no database writes.

`ReadAhead` does it for the next file in a background thread while the current one is
written: writing mostly waits on PostgreSQL (COPY, index upkeep, the commit's
constraint checks), during which the thread has the interpreter to itself. The thread
only parses files and looks names up in a `Resolver` loaded beforehand; every query
and write stays on the caller's thread and connection.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import read_recommendations
from .base import ParseResult, RowError
from .resolve import Resolved, Resolver


@dataclass
class Prepared:
    """One file, read and resolved; `errors` has the reader's and the resolver's."""

    format: str
    parsed: ParseResult
    resolved: list[Resolved]
    errors: list[RowError]
    resolver: Resolver


def prepare(path: Path, fmt: str, *, state: str | None, session: int | None, resolver: Resolver) -> Prepared:
    """Read `path` (raises ImportFileError) and resolve every draft's names."""
    fmt, parsed = read_recommendations(path, fmt, state=state, session=session)
    errors = list(parsed.errors)
    resolved = [item for draft in parsed.drafts if (item := resolver.resolve(draft, errors))]
    return Prepared(fmt, parsed, resolved, errors, resolver)


class ReadAhead:
    """Prepares files one ahead, in one background thread, with the same options."""

    def __init__(self, *, fmt: str = "auto", state: str | None = None, session: int | None = None) -> None:
        self.options = {"fmt": fmt, "state": state, "session": session}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read-ahead")
        self.pending: dict[Path, Future[Prepared]] = {}

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc_info) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def prepare(self, path: Path, fmt: str) -> Prepared:
        """`path` prepared: by the thread if `start` asked for it, else here and now
        (`fmt` is the format detected for `path`)."""
        future = self.pending.pop(path, None)
        if future is None:
            return prepare(path, fmt, state=self.options["state"], session=self.options["session"], resolver=Resolver())
        return future.result()

    def start(self, path: Path) -> None:
        """Have the thread prepare `path`; best called when the caller starts waiting on
        PostgreSQL, so that the two threads do not take turns on the interpreter."""
        if path in self.pending:
            return
        resolver = Resolver()  # queries reference data here, on the caller's connection
        options = {"state": self.options["state"], "session": self.options["session"], "resolver": resolver}
        self.pending[path] = self.pool.submit(prepare, path, self.options["fmt"], **options)
