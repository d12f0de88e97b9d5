"""python manage.py import_recommendations PATH [PATH ...] [--format F] [--dry-run]"""

import sys
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError

from recommendations.importers import FORMATS
from recommendations.services import recommendations_import_files


class Command(BaseCommand):
    help = (
        "Import recommendations from UPR Info exports (CSV/XLS), OHCHR thematic lists (DOCX), "
        "UHRI exports (XLSX) or UPR Portal exports. Each file is imported fully or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", default="auto", choices=FORMATS, dest="fmt")
        parser.add_argument("--dry-run", action="store_true", help="Validate and summarise without writing.")
        parser.add_argument("--state", help="State under review, for OHCHR lists whose header does not name it.")
        parser.add_argument("--session", type=int, help="UPR session, for OHCHR lists whose header lacks it.")

    def handle(self, *args, paths, fmt, dry_run, state, session, **options):
        failed = 0
        with self._progress() as progress_for:
            outcomes = recommendations_import_files(
                paths=paths, fmt=fmt, dry_run=dry_run, state=state, session=session, progress_for=progress_for
            )
            for path, outcome in zip(paths, outcomes, strict=True):
                for warning in outcome.warnings:
                    self.stderr.write(f"{path}: warning: {warning}")
                for error in outcome.errors:
                    self.stderr.write(f"{path}: {error}")
                line = outcome.summary_line() + (" (dry run, nothing written)" if dry_run else "")
                self.stdout.write(self.style.SUCCESS(line) if outcome.ok else self.style.ERROR(line))
                failed += not outcome.ok
        if failed:
            raise CommandError(f"{failed} file(s) had errors and were not imported.")

    @contextmanager
    def _progress(self):
        """A progress bar per file when run in a terminal (one at a time: each closes
        when the next file starts, the last one on the way out)."""
        if not sys.stderr.isatty():
            yield None
            return
        from tqdm import tqdm

        bars = []

        def progress_for(path):
            for bar in bars:
                bar.close()
            bars[:] = [tqdm(desc=str(path), unit=" rows", leave=False, file=sys.stderr)]
            return bars[0].update

        try:
            yield progress_for
        finally:
            for bar in bars:
                bar.close()
