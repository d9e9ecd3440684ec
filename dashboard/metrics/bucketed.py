"""The one reader of "whole buckets from a coarse table, edge days from a fine table".

A period rarely starts and ends on bucket edges. Its whole buckets (months, or the page's
interval) can be read from a table that stores them whole (MonthlyCount, BucketTotal,
ActiveCount); the days before the first whole bucket and after the last one are read from a
daily table. `period_split` says which is which; `union_by_range` runs one grouped query per
day range as branches of one UNION ALL (an OR of two day ranges made PostgreSQL scan the whole
daily table; each branch is an index range scan).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from ..definitions.buckets import bucket_next, bucket_start, period_bounds

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class PeriodSplit:
    """`whole`: [low, high) of the whole buckets inside the period, or None; `edges`: the
    inclusive day ranges of the period outside them (each within one bucket)."""

    whole: tuple[dt.date, dt.date] | None
    edges: list[tuple[dt.date, dt.date]]


def period_split(*, since: dt.date, until: dt.date, unit: str) -> PeriodSplit:
    """Split since..until (both included) into whole `unit` buckets and edge day ranges."""
    low = (
        since
        if bucket_start(since, unit) == since
        else bucket_next(bucket_start(since, unit), unit)
    )
    high = bucket_start(until + DAY, unit)
    if low >= high:
        return PeriodSplit(None, [(since, until)])
    edges = [(a, b) for a, b in ((since, low - DAY), (high, until)) if a <= b]
    return PeriodSplit((low, high), edges)


def union_by_range(
    ranges: list[tuple[dt.date, dt.date]],
    query: Callable[[dt.date, dt.date], QuerySet],
    *extra: QuerySet,
) -> list[dict]:
    """The rows of `query(first, last)` for each day range, and of the `extra` querysets (of
    the same shape), in one UNION ALL."""
    parts = [query(first, last) for first, last in ranges if first <= last]
    parts.extend(extra)
    if not parts:
        return []
    return list(parts[0].union(*parts[1:], all=True))


def between(field: str, first: dt.date, last: dt.date) -> Q:
    """A timestamp field within the days first..last (UTC)."""
    low, high = period_bounds(since=first, until=last)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high})
