"""Time buckets shared by the selectors: SQL truncation per interval, empty buckets filled.

A bucket is named by its first day (ISO date in CSV/JSON); `bucket_label` gives the short
form shown on charts. Weeks start on Monday (ISO weeks), quarters on Jan/Apr/Jul/Oct 1.
"""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db.models import DateField
from django.db.models.functions import Trunc

INTERVALS = ("week", "month", "quarter", "year")


def bucket_start(day: dt.date, interval: str) -> dt.date:
    """The first day of the bucket holding `day`."""
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if interval == "year":
        return dt.date(day.year, 1, 1)
    raise ValueError(f"unknown interval {interval!r}")


def bucket_next(start: dt.date, interval: str) -> dt.date | None:
    """The first day of the bucket after `start`'s; None past the last representable date."""
    if interval == "week":
        return start + dt.timedelta(days=7) if start <= dt.date.max - dt.timedelta(days=7) else None
    months = {"month": 1, "quarter": 3, "year": 12}[interval]
    month = start.month - 1 + months
    year = start.year + month // 12
    return dt.date(year, month % 12 + 1, 1) if year <= dt.MAXYEAR else None


def bucket_starts(*, since: dt.date, until: dt.date, interval: str) -> list[dt.date]:
    """Every bucket from the one holding `since` to the one holding `until`, in order."""
    starts = []
    current = bucket_start(since, interval)
    while current is not None and current <= until:
        starts.append(current)
        current = bucket_next(current, interval)
    return starts


def bucket_count(*, since: dt.date, until: dt.date, interval: str) -> int:
    """How many buckets `bucket_starts` lists, counted without listing them (every request
    checks its period's, and the "All time" range tries each interval over years)."""
    first = bucket_start(since, interval)
    if until < first:
        return 0
    last = bucket_start(until, interval)
    if interval == "week":
        return (last - first).days // 7 + 1
    months = {"month": 1, "quarter": 3, "year": 12}[interval]
    return ((last.year - first.year) * 12 + last.month - first.month) // months + 1


def bucket_label(start: dt.date, interval: str) -> str:
    if interval == "year":
        return f"{start.year}"
    if interval == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if interval == "month":
        return start.strftime("%Y-%m")
    return start.isoformat()


def trunc(field: str, interval: str) -> Trunc:
    """SQL expression: the bucket's first day for a timestamp column (UTC)."""
    return Trunc(field, interval, output_field=DateField(), tzinfo=dt.UTC)


def trunc_date(field: str, interval: str) -> Trunc:
    """SQL expression: the bucket's first day for a date column (the daily rollup)."""
    return Trunc(field, interval, output_field=DateField())


def as_date(value) -> dt.date:
    """Truncation results come back as date or datetime depending on the backend."""
    return value.date() if isinstance(value, dt.datetime) else value


def fill(
    rows: Iterable[Mapping],
    *,
    buckets: list[dt.date],
    key: str = "bucket",
    value: str = "n",
    empty=0,
) -> list:
    """Values aligned on `buckets` from aggregated rows; missing buckets get `empty`."""
    found = {as_date(row[key]): row[value] for row in rows}
    return [found.get(start, empty) for start in buckets]


def period_bounds(*, since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[since 00:00 UTC, the day after until 00:00 UTC): both ends' whole days included."""
    start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
    if until < dt.date.max:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    else:
        end = dt.datetime.max.replace(tzinfo=dt.UTC)
    return start, end


def shift_year(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (earlier when negative); 29 February becomes the 28th, and
    a year outside what a date can hold gives the first or last representable day."""
    year = day.year + years
    if year < dt.MINYEAR:
        return dt.date.min
    if year > dt.MAXYEAR:
        return dt.date.max
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)
