"""Portable SQL pieces: seconds between two timestamps, a median, a timestamp's UTC day.

PostgreSQL has `percentile_cont`; SQLite (the embedded default) gets a `pulse_median`
aggregate registered on each new connection (see `dashboard.apps`).
"""

import statistics

from django.db.models import Aggregate, FloatField, Func


class SecondsBetween(Func):
    """`end - start` in seconds, as a float (NULL when either is NULL)."""

    output_field = FloatField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def _parts(self, compiler):
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        return end_sql, start_sql, [*end_params, *start_params]

    def as_sql(self, compiler, connection, **extra):
        end_sql, start_sql, params = self._parts(compiler)
        return f"((julianday({end_sql}) - julianday({start_sql})) * 86400.0)", params

    def as_postgresql(self, compiler, connection, **extra):
        end_sql, start_sql, params = self._parts(compiler)
        return f"EXTRACT(EPOCH FROM ({end_sql} - {start_sql}))::double precision", params


class Median(Aggregate):
    """The median of a numeric expression, NULLs ignored."""

    function = "pulse_median"
    name = "Median"
    output_field = FloatField()
    allow_distinct = False

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )


class _SqliteMedian:
    """SQLite aggregate behind `Median` (the embedded default has no percentile function)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def sqlite_functions_register(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: give SQLite connections the median aggregate."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("pulse_median", 1, _SqliteMedian)


def seconds_between_sql(*, vendor: str, end: str, start: str) -> str:
    """The same seconds arithmetic as SecondsBetween, for the rollups' raw SQL."""
    if vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))::double precision"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def utc_day_sql(*, vendor: str, column: str) -> str:
    """The UTC calendar day of a timestamp column, for raw SQL."""
    if vendor == "postgresql":
        return f"CAST({column} AT TIME ZONE 'UTC' AS DATE)"
    return f"DATE({column})"  # SQLite stores UTC text


def month_start_sql(*, vendor: str, column: str) -> str:
    """The first day of the month of a date column, for raw SQL."""
    if vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {column}) AS DATE)"
    return f"DATE({column}, 'start of month')"
