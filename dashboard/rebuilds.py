"""Coalesced rollup rebuilds: requests are recorded, and one rebuild at a time absorbs them all.

Why: every repository sync asks for a rebuild, and a rebuild of a big world takes minutes, so a
`sync_all` fan-out over N repositories must not run N full rebuilds back to back. A request is
an insert-only row (concurrent requests never overwrite each other); whoever holds the rollups
lock reads every pending row, rebuilds their union once, deletes exactly the rows it read and
repeats, so a request that arrives during a rebuild leads to exactly one more. A caller that
finds the lock taken returns at once; the holder checks for pending rows again after releasing
the lock, so no request is left behind between its last check and the release.

Rows live in SyncState (scope `_rollups`) and the lock is the sync scope lock (PostgreSQL
advisory lock / SQLite lock row), so this works on both engines without a table of its own.
"""

from __future__ import annotations

import json
import logging
import uuid

from ingest.models import SyncState
from ingest.sync.lock import scope_lock

from .rollups import rollups_rebuild

logger = logging.getLogger(__name__)

SCOPE = "_rollups"
PENDING = "pending:"
ALL = "*"


def rollups_request(*, repository_ids: list[int] | None) -> None:
    """Record that these repositories' rollups (all when None) need a rebuild. Call it inside
    the transaction that changed the data, so the request exists exactly when the data does."""
    cursor = ALL if repository_ids is None else json.dumps(sorted({int(i) for i in repository_ids}))
    SyncState.objects.create(scope=SCOPE, resource=f"{PENDING}{uuid.uuid4().hex}", cursor=cursor)


def rollups_pending() -> tuple[list[int], list[int] | None]:
    """(request row ids, union of their repository ids or None for all). Empty ids: none."""
    rows = list(
        SyncState.objects.filter(scope=SCOPE, resource__startswith=PENDING).values_list(
            "pk", "cursor"
        )
    )
    union: set[int] | None = set()
    for _, cursor in rows:
        if cursor == ALL:
            union = None
            break
        union.update(json.loads(cursor))
    return [pk for pk, _ in rows], None if union is None else sorted(union)


def _pending_done(pks: list[int]) -> None:
    # Exactly the rows this rebuild absorbed: rows inserted meanwhile stay for the next round.
    for start in range(0, len(pks), 500):
        SyncState.objects.filter(pk__in=pks[start : start + 500]).delete()


def rollups_rebuild_pending() -> list[int]:
    """Rebuild until no request is pending, unless another process is rebuilding (it will see
    ours). Returns the event rows of each rebuild run here (empty: nothing to do here)."""
    done: list[int] = []
    while rollups_pending()[0]:
        with scope_lock(scope=SCOPE) as acquired:
            if not acquired:
                break  # the holder looks again after releasing the lock
            while True:
                pks, repository_ids = rollups_pending()
                if not pks:
                    break
                rows = rollups_rebuild(repository_ids=repository_ids)
                # Deleted only after a successful rebuild: a failure leaves them for the retry.
                _pending_done(pks)
                done.append(rows)
                logger.info(
                    "rollups rebuilt for %s (%d requests absorbed, %d event rows)",
                    "all repositories" if repository_ids is None else repository_ids,
                    len(pks),
                    rows,
                )
    return done
