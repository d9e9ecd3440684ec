"""Celery boundary of the dashboard (queue `rollups`): keep the derived data fresh.

`rebuild_derived` consumes the changes ingest recorded (coalesced: whichever task holds the
lock rebuilds everything pending; the others return at once), then queues `warm_pages`.
`recount_candidates` follows a promotion rule change. None of this runs inside a request or
a model signal: receivers (dashboard/receivers.py) only queue these once their transaction
commits. `send_weekly_digest` mails the weekly digest (beat entry "weekly-digest", set only
when PULSE_DIGEST_TO is).
"""

from smtplib import SMTPConnectError, SMTPServerDisconnected

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from .derived.rebuild import candidates_recount, derived_rebuild_pending
from .mail import weekly_digest_mail
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


# Sending is not idempotent (a redelivered task mails twice): acknowledged early, retried only
# when the mail server could not be reached or dropped the connection before accepting.
@shared_task(
    name="dashboard.send_weekly_digest",
    autoretry_for=(ConnectionError, SMTPConnectError, SMTPServerDisconnected),
    retry_backoff=60,
    retry_backoff_max=600,
    max_retries=3,
    time_limit=10 * 60,
    soft_time_limit=9 * 60,
)
def send_weekly_digest(week: str = "", repos: list[str] | None = None, org: str = "") -> int:
    """E-mail the digest of `week` (YYYY-Www; default the last complete week) for these
    projects to PULSE_DIGEST_TO; returns the messages sent (0 when PULSE_DIGEST_TO is unset)."""
    return weekly_digest_mail(week=week, repos=repos or [], org=org)
