"""What ingest tells its readers: which repositories' facts changed, and when to look.

`facts_changed` records a change (call it inside the transaction that wrote the facts, so the
record exists exactly when the facts do). `facts_recorded` is the signal sent once a sync has
committed its changes: `inline=True` from a foreground command (the receiver may consume the
changes before the command returns), `inline=False` from a worker (the receiver should hand
the work to a queue). Ingest imports nothing of the apps that listen.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from .models import BotAccount, FactChange, Repository

facts_recorded = Signal()

_TABLE = FactChange._meta.db_table


def facts_changed(*, repository_ids: Iterable[int]) -> None:
    """Record that these repositories' facts changed (one row each, its `seq` bumped)."""
    ids = sorted({int(i) for i in repository_ids})
    if not ids:
        return
    at = timezone.now()
    # Sorted ids: concurrent writers lock the rows in the same order (no deadlock).
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {_TABLE} (repository_id, seq, changed_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (repository_id) DO UPDATE SET seq = {_TABLE}.seq + 1, "
            "changed_at = excluded.changed_at",
            [(rid, at) for rid in ids],
        )


def facts_changed_everywhere() -> None:
    """Record a change of every repository (a rule that applies to all facts changed)."""
    facts_changed(repository_ids=Repository.objects.values_list("pk", flat=True))


def facts_pending() -> dict[int, int]:
    """{repository id: seq} of the changes not yet consumed."""
    return dict(FactChange.objects.values_list("repository_id", "seq"))


def facts_consumed(pending: dict[int, int]) -> None:
    """Forget the changes read as `pending`, unless they changed again since."""
    for rid, seq in sorted(pending.items()):
        FactChange.objects.filter(repository_id=rid, seq=seq).delete()


@receiver([post_save, post_delete], sender=BotAccount)
def _bot_list_changed(sender, **kwargs) -> None:
    """Who is a bot is part of every repository's facts as read: all of them changed."""
    facts_changed_everywhere()
    transaction.on_commit(lambda: facts_recorded.send(sender=BotAccount, inline=False))
