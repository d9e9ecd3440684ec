"""Bulk upserts keyed on GitHub's ids, deduplicated within a batch."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models


def upsert(
    model: type[models.Model],
    rows: Sequence[models.Model],
    *,
    unique_fields: list[str],
    update_fields: list[str],
) -> int:
    """INSERT … ON CONFLICT DO UPDATE; a key seen twice in one batch keeps its last row (a page
    can repeat an item that moved while paging, and PostgreSQL refuses to update a row twice)."""
    attnames = [model._meta.get_field(f).attname for f in unique_fields]
    latest: dict[tuple, models.Model] = {}
    for row in rows:
        latest[tuple(getattr(row, a) for a in attnames)] = row
    if not latest:
        return 0
    model.objects.bulk_create(
        list(latest.values()),
        update_conflicts=True,
        unique_fields=unique_fields,
        update_fields=update_fields,
        batch_size=500,
    )
    return len(latest)


def delete_missing(queryset: models.QuerySet, *, seen: set[int], key: str = "github_id") -> int:
    """Delete rows of `queryset` whose `key` is not in `seen` (after a complete, clean read
    only). Compared in Python and deleted in chunks: `NOT IN` a huge list breaks SQLite."""
    stored = set(queryset.values_list(key, flat=True))
    missing = sorted(stored - seen)
    removed = 0
    for start in range(0, len(missing), 500):
        removed += queryset.filter(**{f"{key}__in": missing[start : start + 500]}).delete()[0]
    return removed
