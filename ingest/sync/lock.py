"""One sync per scope at a time, across processes and machines.

PostgreSQL: a session-level advisory lock (released by the server if the worker dies).
Other databases (SQLite, embedded mode): a lock row in SyncState taken with an atomic
conditional UPDATE; it carries an expiry and the holder's host and pid, so a lock left by a
killed process on this host, or an expired one, is taken over.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q

from ..models import SyncState
from .context import now
from .state import state_get

LOCK_RESOURCE = "_lock"


def _key(scope: str) -> int:
    digest = hashlib.blake2b(f"pulse-sync:{scope}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _advisory(scope: str) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_key(scope)])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_key(scope)])
            except DatabaseError:
                # The session that held the lock is gone (connection dropped or replaced):
                # PostgreSQL released the lock with it. Not raising keeps the error that
                # ended the sync the one that is reported.
                if connection.connection is not None and not connection.in_atomic_block:
                    connection.close()


def _holder_is_dead(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid = rest.split(":", 1)[0]
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


@contextmanager
def _row(scope: str) -> Iterator[bool]:
    state = state_get(scope=scope, resource=LOCK_RESOURCE)
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
    ttl = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    free = Q(cursor="") | Q(watermark__isnull=True) | Q(watermark__lt=now())
    holder = SyncState.objects.filter(pk=state.pk).values_list("cursor", flat=True).first() or ""
    if holder and _holder_is_dead(holder):
        free |= Q(cursor=holder)  # compare-and-swap on the dead holder's exact value
    acquired = bool(
        SyncState.objects.filter(pk=state.pk).filter(free).update(cursor=me, watermark=now() + ttl)
    )
    try:
        yield acquired
    finally:
        if acquired:
            SyncState.objects.filter(pk=state.pk, cursor=me).update(cursor="", watermark=None)


@contextmanager
def scope_lock(*, scope: str) -> Iterator[bool]:
    """Yield True if this process now holds the scope's lock, False if another one does."""
    lock = _advisory if connection.vendor == "postgresql" else _row
    with lock(scope) as acquired:
        yield acquired
