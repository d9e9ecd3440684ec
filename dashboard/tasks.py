"""Celery boundary of the dashboard: rebuild the rollups after an ingest (queue `rollups`)."""

from celery import shared_task
from django.db import OperationalError

from .rollups import rollups_rebuild


# A rebuild is idempotent (delete + insert in one transaction), so a redelivery after a worker
# crash is harmless: ack late. OperationalError covers a dropped connection or a lock timeout,
# which pass; a programming error would fail every retry, so it is not retried.
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
def rebuild_rollups(repository_ids: list[int] | None = None) -> int:
    """Rebuild the rollups of these repositories (all when None); returns the event rows."""
    return rollups_rebuild(repository_ids=repository_ids)
