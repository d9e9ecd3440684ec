"""Checkpoints: one SyncState row per (scope, resource), read before and written with each page."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ..models import SyncState


def state_get(*, scope: str, resource: str) -> SyncState:
    try:
        with transaction.atomic():
            state, _ = SyncState.objects.get_or_create(scope=scope, resource=resource)
    except IntegrityError:  # created concurrently by another process
        state = SyncState.objects.get(scope=scope, resource=resource)
    return state


def state_save(state: SyncState, **fields: object) -> None:
    """Write checkpoint fields (call inside the page's transaction)."""
    for name, value in fields.items():
        setattr(state, name, value)
    state.save(update_fields=[*fields.keys(), "updated_at"])
