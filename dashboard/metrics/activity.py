"""Activity per interval: issues, pull requests, commits, reviews, active contributors and
response times (docs/metrics.md, "Activity")."""

import datetime as dt
import hashlib
from collections.abc import Sequence

from django.db.models import CharField, Count, Exists, F, Q, Sum, Value

from ..models import ActiveCount, ActiveDay, ClosedItem, ContributionEvent, DailyCount
from .cached import cached_until_rebuild
from .series import (
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
_EVENT_COUNTS = {"issue": "issues_opened", "pull_request": "prs_opened", "commit": "commits",
                 "review": "reviews"}
_PEOPLE = "people"  # not a DailyCount kind: the active contributors' rows of the union
_CLOSED_COUNTS = {"issue_closed": "issues_closed", "pr_merged": "prs_merged",
                  "pr_closed_unmerged": "prs_closed_unmerged"}


def people_scope_key(repository_ids: Sequence[int]) -> str:
    """The name of a repository set in the ActiveCount rollup (order does not matter)."""
    ids = ",".join(str(i) for i in sorted({int(i) for i in repository_ids}))
    return hashlib.sha256(ids.encode()).hexdigest()


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600.0, 1)


@cached_until_rebuild
def activity_by_interval(*, repository_ids: Sequence[int], since: dt.date, until: dt.date,
                         interval: str) -> dict:
    """Every activity metric per bucket: `{"buckets": [date…], "labels": […], "metrics":
    {key: [value per bucket]}}` (4 queries over the rollups, each an indexed aggregate)."""
    buckets = bucket_starts(since=since, until=until, interval=interval)
    start, end = period_bounds(since=since, until=until)
    ids = list(repository_ids)
    metrics: dict[str, list] = {}

    events = ContributionEvent.objects.filter(
        repository_id__in=ids, occurred_at__gte=start, occurred_at__lt=end
    )
    # Counts come from the daily rollup (a few rows per project and day), and in the same
    # round trip the distinct people per bucket from the per-day people rollup (each person
    # once per project and day; UTC days in [since, until] are exactly the events' period).
    # Only the medians need the per-item rollups.
    counts = (
        DailyCount.objects.filter(repository_id__in=ids, day__gte=since, day__lte=until,
                                  kind__in=[*_EVENT_COUNTS, *_CLOSED_COUNTS])
        .annotate(bucket=trunc_date("day", interval), what=F("kind"))
        .values("bucket", "what").annotate(n=Sum("n")).order_by()
    )
    # Whole buckets of a scope the rollup has counted come from ActiveCount; the period's
    # partial first and last buckets (and every bucket of other scopes) from ActiveDay.
    scope = people_scope_key(ids)
    whole = [b for b in buckets
             if b >= since and bucket_next(b, interval) - dt.timedelta(days=1) <= until]
    days = ActiveDay.objects.filter(repository_id__in=ids, day__gte=since, day__lte=until)
    counted = ActiveCount.objects.filter(scope=scope, interval=interval)
    parts = []
    if whole:
        low, high = whole[0], bucket_next(whole[-1], interval)
        days = days.filter(~Q(day__gte=low, day__lt=high) | ~Exists(counted))
        parts.append(counted.filter(bucket__gte=low, bucket__lt=high)
                     .annotate(what=Value(_PEOPLE, output_field=CharField()), count=F("n"))
                     .values("bucket", "what", "count"))
    people = (
        days.annotate(bucket=trunc_date("day", interval),
                      what=Value(_PEOPLE, output_field=CharField()))
        .values("bucket", "what").annotate(n=Count("person_key", distinct=True)).order_by()
    )
    daily = list(counts.union(people, *parts, all=True))
    for kind, key in {**_EVENT_COUNTS, **_CLOSED_COUNTS, _PEOPLE: "active_contributors"}.items():
        metrics[key] = fill((r for r in daily if r["what"] == kind), buckets=buckets)

    # response_seconds is set on issues and pull requests only; the median covers bots'
    # items too, by the bucket they were opened in.
    responses = list(
        events.filter(response_seconds__isnull=False)
        .annotate(bucket=trunc("occurred_at", interval)).values("bucket")
        .annotate(response=Median("response_seconds")).order_by()
    )
    metrics["median_first_response_hours"] = [
        _hours(v) for v in fill(responses, buckets=buckets, value="response", empty=None)
    ]
    merge_times = list(
        ClosedItem.objects.filter(repository_id__in=ids, kind="pr_merged", closed_at__gte=start,
                                  closed_at__lt=end)
        .annotate(bucket=trunc("closed_at", interval)).values("bucket")
        .annotate(merge=Median("open_seconds")).order_by()
    )
    metrics["median_time_to_merge_hours"] = [
        _hours(v) for v in fill(merge_times, buckets=buckets, value="merge", empty=None)
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


def activity_last_year(*, repository_ids: Sequence[int], since: dt.date, until: dt.date,
                       interval: str) -> dict:
    """The same metrics for the same period one year earlier (overlaid on the charts)."""
    return activity_by_interval(
        repository_ids=repository_ids, since=shift_year(since, -1), until=shift_year(until, -1),
        interval=interval,
    )
