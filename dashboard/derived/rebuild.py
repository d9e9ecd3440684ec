"""Rebuild the derived data from ingest's facts: every family, in one transaction.

`derived_rebuild(repository_ids=…)` rebuilds the per-repository rows of those repositories
(all when None) and every community-wide row (first contributions anywhere, the per-scope
totals) from all repositories' facts, then bumps the version the selectors' cache keys on;
readers see the old or the new derived data, never a mix. `derived_rebuild_pending()` consumes
the changes ingest recorded (`ingest.changes`): one process at a time rebuilds the union of
what is pending, and a change recorded meanwhile leads to exactly one more rebuild.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ingest.changes import facts_consumed, facts_pending
from ingest.models import Repository
from ingest.sync.lock import scope_lock

from ..models import ContributionEvent, DerivedState
from . import counts, events, firsts, flags, risks, roles

logger = logging.getLogger(__name__)

FAMILIES = (
    events.FAMILY,
    counts.FAMILY,
    firsts.FAMILY,
    roles.FAMILY,
    flags.FAMILY,
    risks.FAMILY,
)
LOCK_SCOPE = "_derived"


@dataclass(frozen=True)
class Rebuilt:
    """What one rebuild did."""

    repositories: int
    events: int
    seconds: float
    version: int


def derived_rebuild(*, repository_ids: list[int] | None = None) -> Rebuilt:
    """Rebuild the derived data of these repositories (all when None), in one transaction."""
    with transaction.atomic():
        rebuilt = _rebuild(repository_ids)
    _statistics_refresh()
    return rebuilt


def _rebuild(repository_ids: list[int] | None) -> Rebuilt:
    started = time.monotonic()
    with transaction.atomic():
        ids = _existing(repository_ids)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The first-contribution passes sort the events; in memory, please.
                cursor.execute("SET LOCAL work_mem = '256MB'")
            events.events_rebuild(cursor, repository_ids=ids)
            events.closed_rebuild(cursor, repository_ids=ids)
            counts.daily_rebuild(cursor, repository_ids=ids)
            counts.monthly_rebuild(cursor, repository_ids=ids)
            counts.active_rebuild(cursor, repository_ids=ids)
            firsts.firsts_rebuild(cursor, repository_ids=ids)
            firsts.community_firsts_rebuild(cursor)
        counts.scope_totals_rebuild()
        roles.roles_rebuild(repository_ids=ids)
        flags.flags_rebuild(repository_ids=ids)
        risks.risks_rebuild(repository_ids=ids)
        rows = ContributionEvent.objects.count()
        version = _version_bump(rows=rows, seconds=time.monotonic() - started)
    return Rebuilt(len(ids), rows, time.monotonic() - started, version)


def candidates_recount(*, repository_ids: list[int]) -> Rebuilt:
    """Recount the promotion candidates' figures of some repositories (their rule changed:
    difficulty thresholds and progress depend on it), in one transaction."""
    started = time.monotonic()
    with transaction.atomic():
        ids = _existing(repository_ids)
        roles.promotion_work_rebuild(repository_ids=ids)
        # Reviews given are read from the promotion work just rewritten.
        risks.risk_months_rebuild(repository_ids=ids)
        rows = ContributionEvent.objects.count()
        version = _version_bump(rows=rows, seconds=time.monotonic() - started)
    return Rebuilt(len(ids), rows, time.monotonic() - started, version)


def derived_rebuild_pending() -> list[Rebuilt]:
    """Rebuild until no change is pending, unless another process is rebuilding (it will see
    these changes). Returns the rebuilds run here (empty: nothing to do here)."""
    done: list[Rebuilt] = []
    while facts_pending():
        with scope_lock(scope=LOCK_SCOPE) as acquired:
            if not acquired:
                break  # the holder looks again after releasing the lock
            while pending := facts_pending():
                with transaction.atomic():
                    rebuilt = _rebuild(sorted(pending))
                    # Consumed with the rebuild: a failure leaves them for the retry, and a
                    # change recorded meanwhile (its seq moved on) stays for the next round.
                    facts_consumed(pending)
                _statistics_refresh()
                done.append(rebuilt)
                logger.info(
                    "derived data rebuilt for %d repositories (version %d, %d events, %.1f s)",
                    rebuilt.repositories,
                    rebuilt.version,
                    rebuilt.events,
                    rebuilt.seconds,
                )
    return done


def _existing(repository_ids: list[int] | None) -> list[int]:
    """The repositories asked for that exist (a deleted one's rows went with it)."""
    repositories = Repository.objects.all()
    if repository_ids is not None:
        repositories = repositories.filter(pk__in=list(repository_ids))
    return sorted(repositories.values_list("pk", flat=True))


def _version_bump(*, rows: int, seconds: float) -> int:
    state = DerivedState.objects.select_for_update().first()
    if state is None:
        state = DerivedState.objects.create(rebuilt_at=timezone.now())
    DerivedState.objects.filter(pk=state.pk).update(
        version=F("version") + 1, rebuilt_at=timezone.now(), rows=rows, seconds=seconds
    )
    return state.version + 1


def _statistics_refresh() -> None:
    """PostgreSQL: fresh planner statistics for the tables that just changed (without them the
    planner keeps plans made for their old sizes), and, outside a transaction only, a
    visibility map so covering indexes are read without touching the tables."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for family in FAMILIES:
            for table in family.tables:
                cursor.execute(f"{command} {apps.get_model('dashboard', table)._meta.db_table}")
