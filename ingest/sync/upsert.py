"""Bulk upserts keyed on GitHub's ids, deduplicated within a batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection, models


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


def update_columns(
    model: type[models.Model], rows: Sequence[tuple], *, columns: list[str], casts: list[str]
) -> int:
    """Set `columns` of many rows by primary key: rows are (pk, value, …) in `columns` order.

    Plain SQL because Django's bulk_update builds a CASE expression per row and spends seconds
    in Python per thousand rows; PostgreSQL gets one UPDATE … FROM (VALUES …) per batch,
    SQLite (in-process, no round trips) an executemany. `casts` are PostgreSQL types."""
    if not rows:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    names = [connection.ops.quote_name(model._meta.get_field(c).column) for c in columns]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            aliases = [f"c{i}" for i in range(len(columns))]
            sets = ", ".join(f"{n} = v.{a}" for n, a in zip(names, aliases, strict=True))
            template = "(%s, " + ", ".join(f"%s::{cast}" for cast in casts) + ")"
            execute_values(
                cursor.cursor,
                f"UPDATE {table} AS t SET {sets} FROM (VALUES %s) AS v(id, {', '.join(aliases)}) "
                "WHERE t.id = v.id",
                rows,
                template=template,
                page_size=1000,
            )
        else:
            sets = ", ".join(f"{n} = %s" for n in names)
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",
                [
                    (*(adapt(v) if isinstance(v, datetime) else v for v in r[1:]), r[0])
                    for r in rows
                ],
            )
    return len(rows)
