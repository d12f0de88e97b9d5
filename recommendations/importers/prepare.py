"""Reading, resolving and grouping a file: the part of an import that needs no database.

`ReadAhead` does it for the next file while the current one is written. It runs in a
process of its own where it can (forked, so nothing is imported or loaded again): an
import's Python work is more than one core can do while PostgreSQL works, and a thread
would take turns with the row building on the interpreter. It only parses files and
looks names up in a `Resolver` loaded beforehand; every query and write stays on the
caller's connection. Where a process cannot be forked (not a POSIX system, or inside a
daemonic worker process), a thread does it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections

from . import read_recommendations
from .base import ParseResult, RowError
from .engine import Grouping, group_drafts
from .resolve import Resolved, Resolver

logger = logging.getLogger(__name__)


@dataclass
class Prepared:
    """One file, read and resolved; `errors` has the reader's and the resolver's."""

    format: str
    parsed: ParseResult
    resolved: list[Resolved]
    errors: list[RowError]
    resolver: Resolver
    grouping: Grouping | None = None  # how the drafts group, if their reviews hold nothing yet
    reader: str = field(default_factory=lambda: _reader_name())  # the process and thread that read it


def prepare(path: Path, fmt: str, *, state: str | None, session: int | None, resolver: Resolver) -> Prepared:
    """Read `path` (raises ImportFileError), resolve every draft's names and group them
    (`engine.group_drafts`)."""
    fmt, parsed = read_recommendations(path, fmt, state=state, session=session)
    errors = list(parsed.errors)
    resolved = [item for draft in parsed.drafts if (item := resolver.resolve(draft, errors))]
    grouping = None if errors else group_drafts(resolved)
    return Prepared(fmt, parsed, resolved, errors, resolver, grouping)


class ReadAhead:
    """Prepares files one ahead, in one background process (or thread), with the same
    options."""

    def __init__(self, *, fmt: str = "auto", state: str | None = None, session: int | None = None) -> None:
        self.fmt = fmt
        self.options = {"state": state, "session": session}
        self.pool: Executor | None = None
        self.pending: dict[Path, Future[Prepared]] = {}
        self.reference: Resolver | None = None  # loaded once, on the caller's connection

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def prepare(self, path: Path, fmt: str) -> Prepared:
        """`path` prepared: ahead if `start` asked for it, else here and now (`fmt` is
        the format detected for `path`)."""
        future = self.pending.pop(path, None)
        if future is None:
            return prepare(path, fmt, resolver=self._resolver(), **self.options)
        return future.result()

    def start(self, path: Path) -> None:
        """Have `path` prepared ahead. The process is forked on the first call: best
        before the caller starts threads of its own or a transaction."""
        if path in self.pending:
            return
        self.pending[path] = self._pool().submit(prepare, path, self.fmt, resolver=self._resolver(), **self.options)

    def _resolver(self) -> Resolver:
        if self.reference is None:
            self.reference = Resolver()
        return self.reference.fresh()

    def _pool(self) -> Executor:
        if self.pool is None:
            self.pool = _reader_pool()
        return self.pool


def _reader_pool() -> Executor:
    if os.name == "posix" and not multiprocessing.current_process().daemon:
        try:
            context = multiprocessing.get_context("fork")
            return ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_leave_database_alone)
        except (OSError, ValueError) as exc:
            logger.warning("files read ahead in a thread: %s", exc)
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read-ahead")


READER_NICENESS = 10
_INHERITED = []  # the parent's connections, kept so that they are never freed in the reader


def _leave_database_alone() -> None:
    """In the forked reader: the parent's connections are the parent's. Closing or
    freeing one would end the parent's session (same socket); using one would corrupt
    its protocol stream. Keep them, out of Django's reach, and refuse any query.

    The reader also yields the processor to the importer and its database backend: it
    is a file ahead, and they are what the import waits for."""
    os.nice(READER_NICENESS)
    for wrapper in connections.all(initialized_only=True):
        _INHERITED.append(wrapper.connection)
        wrapper.connection = None
        wrapper.ensure_connection = _refuse


def _refuse() -> None:
    raise RuntimeError("the import's read-ahead process does not use the database")


def _reader_name() -> str:
    return f"{multiprocessing.current_process().name}/{threading.current_thread().name}"
