"""Bulk upserts keyed on GitHub's ids, deduplicated within a batch.

`upsert_rows` / `upsert_rows_returning_pks` are the hot path: rows are plain tuples built
straight from GitHub's JSON (no model instances), written with one
`INSERT … ON CONFLICT … DO UPDATE … WHERE <something changed>` per batch. `upsert` (model
instances through Django's bulk_create) stays for cold paths."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


@dataclass(frozen=True)
class _Statement:
    sql: str
    key: tuple[int, ...]  # positions of the conflict key in a row
    json: tuple[int, ...]  # positions of JSON columns (SQLite: dumped to text)
    times: tuple[int, ...]  # positions of datetime columns (SQLite: Django's text form)
    defaults: tuple[Any, ...]  # values of the model's other NOT NULL columns, for new rows
    returning: bool


def _is_text(field: models.Field) -> bool:
    db_type = field.db_type(connection) or ""
    return db_type.startswith("varchar") or db_type == "text"


@functools.cache
def _statement(
    model: type[models.Model],
    columns: tuple[str, ...],
    key: tuple[str, ...],
    update: tuple[str, ...],
    vendor: str,
    returning: bool,
) -> _Statement:
    """The SQL for one (model, columns) shape, from the model's _meta, built once per process.

    PostgreSQL gets the whole batch as one JSON array of row arrays, taken apart in SQL: the
    database parses it (timestamps from GitHub's text included) instead of psycopg2 quoting
    every value in Python, which was most of the upsert's CPU. SQLite (in-process) gets an
    executemany."""
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in columns]
    # A new row needs every NOT NULL column, and the database knows none of Django's defaults
    # (all of ours are constants; a callable one would be frozen at its first value here).
    others = [
        f
        for f in model._meta.concrete_fields
        if f not in fields and not f.primary_key and not (f.null and not f.has_default())
    ]
    defaults = tuple(f.get_default() for f in others)
    if vendor != "postgresql":
        defaults = tuple(
            json.dumps(v) if isinstance(f, models.JSONField) else v
            for f, v in zip(others, defaults, strict=True)
        )
    fields += others
    names = [quote(f.column) for f in fields]
    table = quote(model._meta.db_table)
    conflict = ", ".join(quote(model._meta.get_field(k).column) for k in key)
    changed = [quote(model._meta.get_field(u).column) for u in update]
    if changed:
        sets = ", ".join(f"{n} = excluded.{n}" for n in changed)
        # Skipping unchanged rows saves rewriting them (and their WAL) on a re-read.
        differs = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
        where = " OR ".join(f"{table}.{n} {differs} excluded.{n}" for n in changed)
        action = f"DO UPDATE SET {sets} WHERE {where}"
    else:
        action = "DO NOTHING"
    if vendor == "postgresql":
        # Text is assigned uncast so an over-long value fails as before (a cast to varchar(n)
        # would truncate silently).
        values = ", ".join(
            f"r->{i}"
            if isinstance(f, models.JSONField)
            else f"r->>{i}"
            if _is_text(f)
            else f"(r->>{i})::{f.db_type(connection)}"
            for i, f in enumerate(fields)
        )
        source = f"SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS r"
    else:
        source = "VALUES (" + ", ".join(["%s"] * len(names)) + ")"
    sql = f"INSERT INTO {table} ({', '.join(names)}) {source} ON CONFLICT ({conflict}) {action}"
    if returning:
        sql += f" RETURNING {conflict}, {quote(model._meta.pk.column)}"
    return _Statement(
        sql=sql,
        key=tuple(columns.index(k) for k in key),
        json=tuple(
            i for i, f in enumerate(fields[: len(columns)]) if isinstance(f, models.JSONField)
        ),
        times=tuple(
            i for i, f in enumerate(fields[: len(columns)]) if isinstance(f, models.DateTimeField)
        ),
        defaults=defaults,
        returning=returning,
    )


def _sqlite_time(value: Any) -> str | None:
    """GitHub's `2024-01-02T03:04:05Z` as Django's SQLite text (`2024-01-02 03:04:05`, UTC), so
    that SQL comparisons with values Django wrote stay right."""
    if value is None:
        return None
    if isinstance(value, str):
        utc = connection.timezone_name == "UTC"
        if utc and len(value) == 20 and value[10] == "T" and value[19] == "Z":
            return f"{value[:10]} {value[11:19]}"
        value = datetime.fromisoformat(value)
    return connection.ops.adapt_datetimefield_value(value)


def _prepared(statement: _Statement, rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """Rows deduplicated on the key (last wins: a page can repeat an item that moved while
    paging, and PostgreSQL refuses to update a row twice), sorted on it (a stable lock order
    for concurrent syncs), with the default columns appended."""
    key = statement.key
    if len(key) == 1:
        k = key[0]
        latest = {row[k]: row for row in rows}
    else:
        latest = {tuple(row[i] for i in key): row for row in rows}
    defaults = statement.defaults
    return [(*latest[k], *defaults) for k in sorted(latest)]


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _execute(statement: _Statement, rows: list[Sequence[Any]]) -> list[tuple]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(statement.sql, [json.dumps(rows, default=_json_default)])
            return cursor.fetchall() if statement.returning else []
        json_at, times_at = statement.json, statement.times
        if json_at or times_at:
            converted = []
            for row in rows:
                values = list(row)
                for i in json_at:
                    values[i] = json.dumps(values[i])
                for i in times_at:
                    values[i] = _sqlite_time(values[i])
                converted.append(values)
            rows = converted
        cursor.executemany(statement.sql, rows)
        return []


def upsert_rows(
    model: type[models.Model],
    *,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    key: Sequence[str],
    update: Sequence[str] | None = None,
) -> int:
    """Insert or update tuples (values in `columns` order: model field names, foreign keys as
    pks, JSON as Python values, datetimes as datetime or GitHub's ISO text) keyed on `key`.
    `update` defaults to every column not in the key; a row equal to the stored one is left
    alone. Returns the number of distinct rows given (inserted, updated or already equal):
    what was read and is now stored, not what changed on disk."""
    statement = _statement(
        model, tuple(columns), tuple(key), _update(columns, key, update), connection.vendor, False
    )
    prepared = _prepared(statement, rows)
    if prepared:
        _execute(statement, prepared)
    return len(prepared)


def upsert_rows_returning_pks(
    model: type[models.Model],
    *,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    key: str,
    update: Sequence[str] | None = None,
) -> dict[Any, int]:
    """upsert_rows on a one-column key, returning {key value: primary key} for every row given.
    PostgreSQL returns inserted and changed rows' pks; unchanged ones (and all on SQLite,
    in-process so cheap) come from one SELECT."""
    statement = _statement(
        model,
        tuple(columns),
        (key,),
        _update(columns, [key], update),
        connection.vendor,
        connection.vendor == "postgresql",
    )
    prepared = _prepared(statement, rows)
    if not prepared:
        return {}
    pks = dict(_execute(statement, prepared))
    at = statement.key[0]
    missing = [row[at] for row in prepared if row[at] not in pks]
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        pks.update(model.objects.filter(**{f"{key}__in": chunk}).values_list(key, "pk"))
    return pks


def _update(
    columns: Sequence[str], key: Sequence[str], update: Sequence[str] | None
) -> tuple[str, ...]:
    return tuple(update) if update is not None else tuple(c for c in columns if c not in key)


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
