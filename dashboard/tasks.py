"""Celery boundary of the dashboard (queue `rollups`): keep the derived data fresh.

`rebuild_derived` consumes the changes ingest recorded (coalesced: whichever task holds the
lock rebuilds everything pending; the others return at once), then queues `warm_pages`.
`recount_candidates` follows a promotion rule change. None of this runs inside a request or
a model signal: receivers (dashboard/receivers.py) only queue these once their transaction
commits.
"""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from .derived.rebuild import candidates_recount, derived_rebuild_pending
from .pages.warm import default_views_warm

# Rebuilds are idempotent (delete + insert in one transaction, changes consumed with them),
# so a redelivery after a worker crash is harmless: ack late. OperationalError covers a
# dropped connection or a lock timeout, which pass; a programming error would fail every
# retry, so it is not retried.
REBUILD_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 10,
    "retry_backoff_max": 300,
    "max_retries": 5,
    "time_limit": 30 * 60,
    "soft_time_limit": 25 * 60,
}


@shared_task(name="dashboard.rebuild_derived", **REBUILD_OPTIONS)
def rebuild_derived() -> int:
    """Rebuild what is pending; returns the derived version after the last rebuild run here,
    0 when another task's rebuild takes (or took) care of it."""
    done = derived_rebuild_pending()
    if not done:
        return 0
    _warm_shared_cache()
    return done[-1].version


@shared_task(name="dashboard.recount_candidates", **REBUILD_OPTIONS)
def recount_candidates(repository_ids: list[int]) -> int:
    """Recount the candidates of projects whose promotion rule changed; returns the version."""
    version = candidates_recount(repository_ids=repository_ids).version
    _warm_shared_cache()
    return version


def _warm_shared_cache() -> None:
    # A per-process cache would only warm the worker's own memory: nothing to do then.
    if settings.CACHE_URL:
        warm_pages.delay()


@shared_task(name="dashboard.warm_pages", time_limit=10 * 60, soft_time_limit=9 * 60)
def warm_pages() -> list[str]:
    """Fill the shared cache with the default pages' figures (nothing without a shared cache)."""
    return default_views_warm()
