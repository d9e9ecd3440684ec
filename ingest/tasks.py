"""Celery tasks: the queue boundary. They take names and flags, never tokens or model objects;
the sync services do the work and the single-flight lock lives with them.

Retry policy: `SyncFailed` (GitHub answered 5xx / reset the connection on every resource, after
the client's own bounded retries) and the database failing under a sync (`DatabaseFailed`,
and Django's `InterfaceError`/`OperationalError` anywhere else in the task: a dropped or
refused connection, a server restart, a lock timeout) are transient, so the task retries with
bounded exponential backoff; the run is recorded as failed with the real error first. A rate
limit is not an error: the task re-queues itself for the reset time. 401/404 are final and
recorded on the IngestRun.

Redelivery: the tasks are acknowledged late, so a task whose worker was killed goes back to
the queue. On Redis that happens once the broker's visibility timeout has passed, so it is
sized just above the task time limit (config/settings.py): a few minutes, not an hour. A sync
that reaches its soft time limit stops cleanly and continues from its checkpoints in a new
task, so no task outlives the visibility timeout; every countdown (rate limit, backoff) is
kept below it too, or Redis would deliver the waiting task a second time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .changes import facts_recorded
from .github.client import GitHubClient
from .models import Repository, TrackedOrganization, TrackedRepository
from .scope import scope_seed_from_settings
from .sync.repositories import largest_first
from .sync.repository import (
    DatabaseFailed,
    SyncFailed,
    SyncRescheduled,
    SyncTimedOut,
    organization_sync,
    repository_sync,
)

logger = logging.getLogger(__name__)


def visibility_timeout() -> int:
    """Seconds after which Redis hands an unacknowledged task to another worker: a task
    waiting for its countdown must not wait that long, or it is delivered twice."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
    return int(options.get("visibility_timeout", settings.CELERY_VISIBILITY_TIMEOUT))


# A sync that keeps reaching its time limit (one enormous repository) continues this many
# times (each task a time limit long) before it waits for the next scheduled run.
MAX_CONTINUATIONS = 48

# Acknowledged late (a killed worker's task is redelivered) because every sync is idempotent:
# upserts keyed on GitHub ids, checkpoints saved with each page.
TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (SyncFailed, DatabaseFailed, InterfaceError, OperationalError),
    "retry_backoff": 30,
    "retry_backoff_max": max(10, min(15 * 60, visibility_timeout() - 120)),
    "retry_jitter": True,
    "max_retries": 5,
    "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
}


def reschedule_countdown(reset_at: datetime) -> int:
    """Seconds until `reset_at` (+ a little), capped below the broker's visibility timeout."""
    wait = int((reset_at - datetime.now(UTC)).total_seconds()) + 5
    return max(5, min(wait, visibility_timeout() - 120))


@shared_task(name="ingest.sync_all", **TASK_OPTIONS)
def sync_all(full: bool = False) -> dict[str, int]:
    """Fan out: one task per tracked organisation (which fans out per repository) and one per
    repository tracked on its own."""
    scope_seed_from_settings()
    orgs = list(TrackedOrganization.objects.filter(active=True).values_list("login", flat=True))
    repos = list(TrackedRepository.objects.filter(active=True).values_list("full_name", flat=True))
    for login in orgs:
        sync_organization.delay(login, full)
    for full_name in repos:
        sync_repository.delay(full_name, full)
    return {"organizations": len(orgs), "repositories": len(repos)}


@shared_task(name="ingest.sync_organization", bind=True, **TASK_OPTIONS)
def sync_organization(self, login: str, full: bool = False) -> int:
    """List an organisation's repositories, then queue a sync of each active one."""
    client = GitHubClient.from_settings()
    try:
        run, names = organization_sync(client=client, login=login, full=full, trigger="task")
    except SyncRescheduled as exc:
        raise self.retry(countdown=reschedule_countdown(exc.reset_at), max_retries=None) from None
    finally:
        client.close()
    active = set(
        Repository.objects.filter(full_name__in=names, archived=False, tracked=True).values_list(
            "full_name", flat=True
        )
    )
    for full_name in largest_first([n for n in names if n in active]):
        sync_repository.delay(full_name, full, listed=True)
    return len(active)


@shared_task(name="ingest.sync_repository", bind=True, **TASK_OPTIONS)
def sync_repository(
    self, full_name: str, full: bool = False, listed: bool = False, continued: int = 0
) -> str:
    """Sync one repository (skipped if another sync of it is running), then tell the readers
    of its facts. `continued`: how many tasks before this one reached the time limit on it."""
    client = GitHubClient.from_settings()
    try:
        run = repository_sync(
            client=client, full_name=full_name, full=full, trigger="task", listed=listed
        )
    except SyncRescheduled as exc:
        logger.info("%s: rate limited, resuming at %s", full_name, exc.reset_at)
        raise self.retry(countdown=reschedule_countdown(exc.reset_at), max_retries=None) from None
    except SyncTimedOut as exc:
        # The run is recorded as partial; what was committed is kept. A new task (with its own
        # time limit) continues from the checkpoints, as a redelivery would, but at once. A
        # full reconcile continues as an incremental sync: it has read everything up to here.
        # A task that wrote nothing would only repeat itself: the next scheduled sync resumes.
        facts_recorded.send(sender=sync_repository, inline=False)
        progressed = exc.run is not None and exc.run.items_written > 0
        if continued >= MAX_CONTINUATIONS or not progressed:
            logger.warning(
                "%s: time limit reached after %d task(s), %s; the next scheduled sync resumes",
                full_name,
                continued + 1,
                "no progress in the last one" if not progressed else "too many tasks",
            )
            return "partial"
        queue = (self.request.delivery_info or {}).get("routing_key")  # where it came from
        sync_repository.apply_async(
            args=[full_name],
            kwargs={"full": False, "listed": listed, "continued": continued + 1},
            countdown=1,
            **({"queue": queue} if queue else {}),
        )
        return "continued"
    finally:
        client.close()
    # The pages it wrote recorded their changes as they committed; readers take it from here
    # (the dashboard queues one coalesced rebuild, however many repositories announce).
    facts_recorded.send(sender=sync_repository, inline=False)
    return run.status
