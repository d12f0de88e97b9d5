"""python manage.py export_recommendations [--format csv|xlsx] [filters] [--output PATH] > FILE

Writes the UPR Portal export (docs/export-format.md) to standard output or to PATH.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from recommendations.exports import (
    UnexportableValue,
    UnknownFilterValue,
    export_rows,
    filter_recommendations,
    write_csv,
    write_xlsx,
)


class Command(BaseCommand):
    help = (
        "Export recommendations as CSV (UTF-8, no BOM) or XLSX, one row per recommendation, "
        "in the documented UPR Portal format that import_recommendations reads back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", default="csv", choices=("csv", "xlsx"), dest="fmt")
        parser.add_argument("--output", "-o", metavar="PATH", help="Write to PATH instead of standard output.")
        parser.add_argument("--state", action="append", default=[], metavar="ISO3", help="State under review.")
        parser.add_argument("--mechanism", metavar="CODE", help="Mechanism code, e.g. upr, crc.")
        parser.add_argument("--cycle", type=int, metavar="N", help="Review cycle.")
        parser.add_argument("--session", type=int, metavar="N", help="UPR Working Group session.")
        parser.add_argument("--position", metavar="VALUE", help="e.g. supported, noted.")
        parser.add_argument("--status", metavar="VALUE", help="Implementation status, e.g. in-progress.")
        parser.add_argument("--source", metavar="VALUE", help="Original source, e.g. upr-info, ohchr-list.")

    def handle(self, *args, fmt: str, output: str | None, **options) -> None:
        filters = {name: options[name] for name in ("mechanism", "cycle", "session", "position", "status", "source")}
        try:
            queryset = filter_recommendations(states=options["state"], **filters)
        except UnknownFilterValue as exc:
            raise CommandError(f"--{exc.name}: {exc}") from exc
        rows = export_rows(queryset)
        # Inside a transaction the server-side cursor streams; outside one, Django declares
        # it WITH HOLD and PostgreSQL materialises the whole result before the first row.
        try:
            with self._stream(output, binary=fmt == "xlsx") as stream, transaction.atomic():
                count = write_xlsx(rows, stream) if fmt == "xlsx" else write_csv(rows, stream)
        except UnexportableValue as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"Exported {count} recommendation(s).")

    @contextmanager
    def _stream(self, output: str | None, *, binary: bool) -> Iterator[IO]:
        """PATH, or standard output: its byte buffer, so CSV is UTF-8 whatever the locale."""
        if output:
            try:
                with open(output, "wb") if binary else open(output, "w", encoding="utf-8", newline="") as handle:
                    yield handle
            except BaseException:
                Path(output).unlink(missing_ok=True)  # no half-written file
                raise
            return
        out = self.stdout._out
        if isinstance(out, io.TextIOBase) and not hasattr(out, "buffer"):  # e.g. a StringIO in tests
            if binary:
                raise CommandError("XLSX is binary: pass --output PATH or redirect a real standard output.")
            yield out
            return
        out.flush()
        raw = getattr(out, "buffer", out)
        if binary:
            yield raw
        else:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
            try:
                yield text
            finally:
                text.flush()
                text.detach()  # leave standard output open
        raw.flush()
