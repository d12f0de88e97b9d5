"""Load the demo recommendations shipped in data/demo/ (idempotent)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommendations.demo import assign_demo_responsibilities
from recommendations.indexing import import_batch
from recommendations.services import recommendations_import

DEMO_DIR = Path(settings.BASE_DIR) / "data" / "demo"
# UPR Info first, then the OHCHR lists that enrich the same reviews with paragraphs.
DEMO_FILES = ("upr-info/*.csv", "ohchr/*.docx")


class Command(BaseCommand):
    help = (
        "Import the demo data (five States from UPR Info, three OHCHR thematic lists) and, once seed_demo "
        "has run, assign the demo country's recommendations to the demo ministries. Safe to re-run."
    )

    def handle(self, *args, **options):
        paths = [path for pattern in DEMO_FILES for path in sorted(DEMO_DIR.glob(pattern))]
        if not paths:
            raise CommandError(f"No demo files under {DEMO_DIR}")
        with import_batch():  # the new data's indexes built once, at the end
            for path in paths:
                outcome = recommendations_import(path=path, label=str(path.relative_to(settings.BASE_DIR)))
                if not outcome.ok:
                    details = "; ".join(str(error) for error in outcome.errors[:5])
                    raise CommandError(f"{outcome.summary_line()}: {details}")
                self.stdout.write(outcome.summary_line())
            for line in assign_demo_responsibilities():
                self.stdout.write(line)
