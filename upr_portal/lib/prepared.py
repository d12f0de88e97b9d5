"""Statements that PostgreSQL parses and plans once per connection (`PREPARE`/`EXECUTE`).

A page that runs one wide statement per request (the recommendation page: the row, its
seven relations and its related recommendations) spends more of PostgreSQL's time on
planning than on running it. `Prepared` sends `PREPARE` the first time a connection
runs the statement and `EXECUTE` from then on. Each connection keeps its own prepared
statements, and they outlive a rolled-back transaction, so the statement is prepared once
per database connection, which `CONN_MAX_AGE` keeps for many requests. A new connection,
after a restart of PostgreSQL for example, prepares it again.

A connection pooler in transaction mode (PgBouncer's `pool_mode = transaction`) hands
each transaction a different server connection, where the statement does not exist: set
`DATABASE_PREPARED_STATEMENTS=0` there and the statements are sent whole every time.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping

from django.conf import settings
from django.db import connection

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

# The raw (psycopg2) connection -> names of the statements prepared on it.
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Prepared:
    """One statement written with `%(name)s` placeholders, prepared as `name`."""

    def __init__(self, name: str, sql: str) -> None:
        self.name, self.sql = name, sql
        self.parameters: list[str] = []

        def number(match: re.Match) -> str:
            if match[1] not in self.parameters:
                self.parameters.append(match[1])
            return f"${self.parameters.index(match[1]) + 1}"

        self.prepare_sql = f"PREPARE {name} AS {_PLACEHOLDER.sub(number, sql)}"
        self.execute_sql = (
            f"EXECUTE {name}({', '.join(['%s'] * len(self.parameters))})" if self.parameters else f"EXECUTE {name}"
        )

    def execute(self, cursor, params: Mapping) -> None:
        """Run the statement on `cursor` (a cursor of `django.db.connection`)."""
        if not settings.DATABASE_PREPARED_STATEMENTS:
            cursor.execute(self.sql, params)
            return
        raw = connection.connection
        names = _prepared_on.setdefault(raw, set())
        if self.name not in names:
            # Set-up of the connection, like the SETs Django sends when it connects: not
            # one of the request's queries (the query counts in the tests stay the same).
            with raw.cursor() as setup:
                setup.execute(self.prepare_sql)
            names.add(self.name)
        cursor.execute(self.execute_sql, [params[name] for name in self.parameters])

    def is_prepared(self) -> bool:
        """Whether the current database connection holds the statement (for tests)."""
        raw = connection.connection
        return raw is not None and self.name in _prepared_on.get(raw, ())
