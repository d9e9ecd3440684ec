"""Activity per interval: issues, pull requests, commits, reviews, active contributors and
response times (docs/metrics.md, "Activity")."""

import datetime as dt
import hashlib
from collections.abc import Sequence

from django.db.models import CharField, Count, F, Q, QuerySet, Sum, Value

from ..models import (
    ActiveCount,
    ActiveDay,
    BucketTotal,
    ClosedItem,
    ContributionEvent,
    DailyCount,
)
from .cached import cached_until_rebuild
from .series import (
    as_date,
    bucket_label,
    bucket_next,
    bucket_starts,
    fill,
    period_bounds,
    shift_year,
    trunc,
    trunc_date,
)
from .sql import Median

# key, label: the order of the CSV columns and of the charts.
ACTIVITY_METRICS = [
    ("issues_opened", "Issues opened"),
    ("issues_closed", "Issues closed"),
    ("prs_opened", "Pull requests opened"),
    ("prs_merged", "Pull requests merged"),
    ("prs_closed_unmerged", "Pull requests closed unmerged"),
    ("commits", "Commits"),
    ("reviews", "Reviews"),
    ("active_contributors", "Active contributors"),
    ("median_first_response_hours", "Median time to first response (hours)"),
    ("median_time_to_merge_hours", "Median time to merge (hours)"),
]
_EVENT_COUNTS = {
    "issue": "issues_opened",
    "pull_request": "prs_opened",
    "commit": "commits",
    "review": "reviews",
}
_PEOPLE = "people"  # not a DailyCount kind: the active contributors' rows of the union
_CLOSED_COUNTS = {
    "issue_closed": "issues_closed",
    "pr_merged": "prs_merged",
    "pr_closed_unmerged": "prs_closed_unmerged",
}
# BucketTotal `what` of the two medians (the counts use the DailyCount kinds).
RESPONSE_MEDIAN, MERGE_MEDIAN = "response_median", "merge_median"


def people_scope_key(repository_ids: Sequence[int]) -> str:
    """The name of a repository set in the ActiveCount rollup (order does not matter)."""
    ids = ",".join(str(i) for i in sorted({int(i) for i in repository_ids}))
    return hashlib.sha256(ids.encode()).hexdigest()


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600.0, 1)


def _counts(daily: QuerySet, interval: str) -> QuerySet:
    """Per bucket and kind: the daily rollup's contributions and closures."""
    return (
        daily.filter(kind__in=[*_EVENT_COUNTS, *_CLOSED_COUNTS])
        .annotate(bucket=trunc_date("day", interval), what=F("kind"))
        .values("bucket", "what")
        .annotate(n=Sum("n"))
        .order_by()
    )


def _response_medians(events: QuerySet, interval: str) -> QuerySet:
    # response_seconds is set on issues and pull requests only; the median covers bots'
    # items too, by the bucket they were opened in.
    return (
        events.filter(response_seconds__isnull=False)
        .annotate(bucket=trunc("occurred_at", interval))
        .values("bucket")
        .annotate(value=Median("response_seconds"))
        .order_by()
    )


def _merge_medians(closed: QuerySet, interval: str) -> QuerySet:
    return (
        closed.filter(kind="pr_merged")
        .annotate(bucket=trunc("closed_at", interval))
        .values("bucket")
        .annotate(value=Median("open_seconds"))
        .order_by()
    )


def bucket_totals(*, repository_ids: Sequence[int], interval: str) -> list[tuple]:
    """(bucket, what, value) of every bucket of the projects: the BucketTotal rollup's rows,
    from the same queries the selector runs on a period's partial buckets."""
    ids = list(repository_ids)
    rows = [
        (as_date(r["bucket"]), r["what"], r["n"])
        for r in _counts(DailyCount.objects.filter(repository_id__in=ids), interval)
    ]
    for what, medians in (
        (
            RESPONSE_MEDIAN,
            _response_medians(ContributionEvent.objects.filter(repository_id__in=ids), interval),
        ),
        (MERGE_MEDIAN, _merge_medians(ClosedItem.objects.filter(repository_id__in=ids), interval)),
    ):
        rows.extend((as_date(r["bucket"]), what, r["value"]) for r in medians)
    return rows


@cached_until_rebuild
def activity_by_interval(
    *, repository_ids: Sequence[int], since: dt.date, until: dt.date, interval: str
) -> dict:
    """Every activity metric per bucket: `{"buckets": [date…], "labels": […], "metrics":
    {key: [value per bucket]}}`.

    For a scope the rollups have counted (every tracked project, an organisation) the
    period's whole buckets come from BucketTotal and ActiveCount, and only its partial first
    and last buckets are aggregated here (DailyCount, ActiveDay, the events and closed items
    of those days); other scopes aggregate the whole period. 4 queries."""
    buckets = bucket_starts(since=since, until=until, interval=interval)
    ids = list(repository_ids)
    metrics: dict[str, list] = {}
    scope = people_scope_key(ids)
    whole = [
        b
        for b in buckets
        if b >= since and bucket_next(b, interval) - dt.timedelta(days=1) <= until
    ]
    totals: list[BucketTotal] = []
    if whole:
        low, high = whole[0], bucket_next(whole[-1], interval)
        totals = list(
            BucketTotal.objects.filter(
                scope=scope, interval=interval, bucket__gte=low, bucket__lt=high
            )
        )
    # The days aggregated here: the whole period, or only those outside the whole buckets
    # (a range before them and one after, either possibly empty). Each range is its own
    # branch of a UNION ALL, an index range scan (an OR of the two made PostgreSQL scan the
    # table); each lies within one bucket, so no bucket is split between branches.
    ranges = [(since, until)]
    if totals:
        ranges = [(since, low - dt.timedelta(days=1)), (high, until)]

    def per_range(aggregate) -> list[QuerySet]:
        return [aggregate(first, last) for first, last in ranges]

    def between(field: str, first: dt.date, last: dt.date) -> Q:
        low_at, high_at = period_bounds(since=first, until=last)
        return Q(**{f"{field}__gte": low_at, f"{field}__lt": high_at})

    counts = per_range(
        lambda first, last: _counts(
            DailyCount.objects.filter(repository_id__in=ids, day__gte=first, day__lte=last),
            interval,
        )
    )
    people = per_range(
        lambda first, last: (
            ActiveDay.objects.filter(repository_id__in=ids, day__gte=first, day__lte=last)
            .annotate(
                bucket=trunc_date("day", interval), what=Value(_PEOPLE, output_field=CharField())
            )
            .values("bucket", "what")
            .annotate(n=Count("person_key", distinct=True))
            .order_by()
        )
    )
    parts = []
    if totals:
        parts.append(
            ActiveCount.objects.filter(
                scope=scope, interval=interval, bucket__gte=low, bucket__lt=high
            )
            .annotate(what=Value(_PEOPLE, output_field=CharField()), count=F("n"))
            .values("bucket", "what", "count")
        )
    daily = list(counts[0].union(*counts[1:], *people, *parts, all=True))
    whole_rows = {
        what: [] for what in (*_EVENT_COUNTS, *_CLOSED_COUNTS, RESPONSE_MEDIAN, MERGE_MEDIAN)
    }
    for total in totals:
        if total.what in whole_rows:
            whole_rows[total.what].append({"bucket": total.bucket, "value": total.value})
    for kind, key in {**_EVENT_COUNTS, **_CLOSED_COUNTS, _PEOPLE: "active_contributors"}.items():
        counted = [{"bucket": r["bucket"], "n": int(r["value"])} for r in whole_rows.get(kind, [])]
        metrics[key] = fill([*(r for r in daily if r["what"] == kind), *counted], buckets=buckets)

    medians = per_range(
        lambda first, last: _response_medians(
            ContributionEvent.objects.filter(
                between("occurred_at", first, last), repository_id__in=ids
            ),
            interval,
        )
    )
    responses = [*medians[0].union(*medians[1:], all=True), *whole_rows[RESPONSE_MEDIAN]]
    metrics["median_first_response_hours"] = [
        _hours(v) for v in fill(responses, buckets=buckets, value="value", empty=None)
    ]
    medians = per_range(
        lambda first, last: _merge_medians(
            ClosedItem.objects.filter(between("closed_at", first, last), repository_id__in=ids),
            interval,
        )
    )
    merge_times = [*medians[0].union(*medians[1:], all=True), *whole_rows[MERGE_MEDIAN]]
    metrics["median_time_to_merge_hours"] = [
        _hours(v) for v in fill(merge_times, buckets=buckets, value="value", empty=None)
    ]
    return {
        "buckets": buckets,
        "labels": [bucket_label(b, interval) for b in buckets],
        "metrics": {key: metrics[key] for key, _ in ACTIVITY_METRICS},
    }


def activity_rows(*, activity: dict) -> list[dict]:
    """One row per bucket (the CSV of the activity page)."""
    rows = []
    for index, bucket in enumerate(activity["buckets"]):
        row = {"interval_start": bucket}
        row.update({key: values[index] for key, values in activity["metrics"].items()})
        rows.append(row)
    return rows


def activity_last_year(
    *, repository_ids: Sequence[int], since: dt.date, until: dt.date, interval: str
) -> dict:
    """The same metrics for the same period one year earlier (overlaid on the charts)."""
    return activity_by_interval(
        repository_ids=repository_ids,
        since=shift_year(since, -1),
        until=shift_year(until, -1),
        interval=interval,
    )
