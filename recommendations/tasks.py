"""Background jobs of the recommendations app: thin wrappers around services."""

from __future__ import annotations

import logging

from celery import shared_task

from recommendations import postings, related
from recommendations.jobs import RunBusy, import_run_execute
from recommendations.models import ImportRun
from recommendations.selectors import facet_index_write

logger = logging.getLogger(__name__)

# A run another job holds is looked at again after this long.
BUSY_RETRY_SECONDS = 60


@shared_task(bind=True, acks_late=True, max_retries=None)
def run_import(self, run_id: int) -> None:
    """Execute one ImportRun (its options are stored on it); safe to deliver twice (see `recommendations.jobs`)."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        logger.warning("import run %s does not exist (deleted, or enqueued by a rolled-back request)", run_id)
        return
    try:
        import_run_execute(run=run)
    except RunBusy as exc:
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS) from exc


@shared_task(acks_late=True)
def facet_index_refresh() -> None:
    """Build the facet index, the search postings and the related recommendations of the
    data version just committed (idempotent: a no-op when done). The facet index first:
    every list request needs it."""
    facet_index_write()
    postings.write()
    related.write()
