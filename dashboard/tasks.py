"""Celery boundary of the dashboard: rebuild the rollups after an ingest (queue `rollups`).

Rebuilds are coalesced (dashboard/rebuilds.py): a sync records its request in its own
transaction and sends this task with `recorded=True`; whichever task holds the rollups lock
rebuilds everything pending, and the others return at once.
"""

from celery import shared_task
from django.db import OperationalError

from .rebuilds import rollups_rebuild_pending, rollups_request


# A rebuild is idempotent (delete + insert in one transaction) and its requests are deleted only
# after it succeeds, so a redelivery after a worker crash is harmless: ack late.
# OperationalError covers a dropped connection or a lock timeout, which pass; a programming
# error would fail every retry, so it is not retried.
@shared_task(
    name="dashboard.rebuild_rollups",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=10,
    retry_backoff_max=300,
    max_retries=5,
    time_limit=30 * 60,
    soft_time_limit=25 * 60,
)
def rebuild_rollups(repository_ids: list[int] | None = None, recorded: bool = False) -> int:
    """Rebuild the pending rollups, recording a request for these repositories first (all when
    None) unless the sender already did. Returns the event rows after the last rebuild run
    here, 0 when another task's rebuild takes (or took) care of the request."""
    if not recorded:
        rollups_request(repository_ids=repository_ids)
    done = rollups_rebuild_pending()
    return done[-1] if done else 0
