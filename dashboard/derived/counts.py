"""Counts: contributions and closures per repository and day (DailyCount) and month
(MonthlyCount), the people active per repository and day (ActiveDay), and the figures of whole
buckets for the scopes pages show without a repository choice (ActiveCount, BucketTotal)."""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Count

from ingest.models import Repository

from ..definitions.activity import (
    MERGE_MEDIAN,
    RESPONSE_MEDIAN,
    counts_by_bucket,
    merge_medians_by_bucket,
    response_medians_by_bucket,
)
from ..definitions.buckets import INTERVALS, as_date, trunc_date
from ..definitions.contributions import scope_key
from ..definitions.sql import month_start_sql, utc_day_sql
from ..models import (
    ActiveCount,
    ActiveDay,
    BucketTotal,
    ClosedItem,
    ContributionEvent,
    DailyCount,
    MonthlyCount,
)
from . import Family
from .events import CLOSED, EVENTS, repo_clause

FAMILY = Family(
    name="counts",
    tables=("DailyCount", "MonthlyCount", "ActiveDay", "ActiveCount", "BucketTotal"),
    sources=("ContributionEvent", "ClosedItem", "ingest.Repository"),
    readers=("metrics.overview", "metrics.activity"),
)

DAILY = DailyCount._meta.db_table
MONTHLY = MonthlyCount._meta.db_table
ACTIVE = ActiveDay._meta.db_table


def daily_rebuild(cursor, *, repository_ids: list[int]) -> None:
    where, params = repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {DAILY} WHERE 1 = 1{where}", params)
    event_day = utc_day_sql(vendor=connection.vendor, column="occurred_at")
    closed_day = utc_day_sql(vendor=connection.vendor, column="closed_at")
    cursor.execute(
        f"""INSERT INTO {DAILY} (repository_id, day, kind, is_bot, n)
            SELECT repository_id, {event_day}, kind, is_bot, COUNT(*) FROM {EVENTS}
            WHERE 1 = 1{where} GROUP BY repository_id, {event_day}, kind, is_bot""",
        params,
    )
    cursor.execute(
        f"""INSERT INTO {DAILY} (repository_id, day, kind, is_bot, n)
            SELECT repository_id, {closed_day}, kind, FALSE, COUNT(*) FROM {CLOSED}
            WHERE 1 = 1{where} GROUP BY repository_id, {closed_day}, kind""",
        params,
    )


def monthly_rebuild(cursor, *, repository_ids: list[int]) -> None:
    where, params = repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {MONTHLY} WHERE 1 = 1{where}", params)
    month = month_start_sql(vendor=connection.vendor, column="day")
    cursor.execute(
        f"""INSERT INTO {MONTHLY} (repository_id, month, kind, is_bot, n)
            SELECT repository_id, {month}, kind, is_bot, SUM(n) FROM {DAILY}
            WHERE 1 = 1{where} GROUP BY repository_id, {month}, kind, is_bot""",
        params,
    )


def active_rebuild(cursor, *, repository_ids: list[int]) -> None:
    where, params = repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {ACTIVE} WHERE 1 = 1{where}", params)
    event_day = utc_day_sql(vendor=connection.vendor, column="occurred_at")
    cursor.execute(
        f"""INSERT INTO {ACTIVE} (repository_id, day, person_key)
            SELECT DISTINCT repository_id, {event_day}, person_key FROM {EVENTS}
            WHERE is_bot = FALSE{where}""",
        params,
    )


def scope_totals_rebuild() -> None:
    """Distinct people (ActiveCount) and the other activity figures (BucketTotal) per whole
    bucket of each interval for every tracked repository and for each organisation (the page
    scopes without a repository choice); a few thousand rows."""
    ActiveCount.objects.all().delete()
    BucketTotal.objects.all().delete()
    scopes = [list(Repository.objects.filter(tracked=True).values_list("id", flat=True))]
    by_org: dict[str, list[int]] = {}
    for rid, owner in Repository.objects.values_list("id", "owner_login"):
        by_org.setdefault(owner.lower(), []).append(rid)
    scopes.extend(by_org.values())
    done = set()
    for ids in scopes:
        key = scope_key(ids)
        if not ids or key in done:
            continue
        done.add(key)
        for interval in INTERVALS:
            ActiveCount.objects.bulk_create(
                ActiveCount(scope=key, interval=interval, bucket=row["bucket"], n=row["n"])
                for row in ActiveDay.objects.filter(repository_id__in=ids)
                .annotate(bucket=trunc_date("day", interval))
                .values("bucket")
                .annotate(n=Count("person_key", distinct=True))
                .order_by()
            )
            BucketTotal.objects.bulk_create(
                BucketTotal(scope=key, interval=interval, bucket=bucket, what=what, value=value)
                for bucket, what, value in bucket_totals(repository_ids=ids, interval=interval)
            )


def bucket_totals(*, repository_ids: Sequence[int], interval: str) -> list[tuple]:
    """(bucket, what, value) of every bucket of the projects: the BucketTotal rollup's rows,
    from the same queries the selector runs on a period's partial buckets."""
    ids = list(repository_ids)
    rows = [
        (as_date(r["bucket"]), r["what"], r["n"])
        for r in counts_by_bucket(DailyCount.objects.filter(repository_id__in=ids), interval)
    ]
    for what, medians in (
        (
            RESPONSE_MEDIAN,
            response_medians_by_bucket(
                ContributionEvent.objects.filter(repository_id__in=ids), interval
            ),
        ),
        (
            MERGE_MEDIAN,
            merge_medians_by_bucket(ClosedItem.objects.filter(repository_id__in=ids), interval),
        ),
    ):
        rows.extend((as_date(r["bucket"]), what, r["value"]) for r in medians)
    return rows
