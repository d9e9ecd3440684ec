"""Activity per interval: issues, pull requests, commits, reviews, active contributors and
response times (docs/metrics.md, "Activity")."""

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Q, Sum

from ..models import ClosedItem, ContributionEvent, DailyCount
from .cached import cached_until_rebuild
from .series import (
    bucket_label,
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
_CLOSED_COUNTS = {"issue_closed": "issues_closed", "pr_merged": "prs_merged",
                  "pr_closed_unmerged": "prs_closed_unmerged"}


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600.0, 1)


@cached_until_rebuild
def activity_by_interval(*, repository_ids: Sequence[int], since: dt.date, until: dt.date,
                         interval: str) -> dict:
    """Every activity metric per bucket: `{"buckets": [date…], "labels": […], "metrics":
    {key: [value per bucket]}}` (3 queries over the rollups, each an indexed aggregate)."""
    buckets = bucket_starts(since=since, until=until, interval=interval)
    start, end = period_bounds(since=since, until=until)
    ids = list(repository_ids)
    metrics: dict[str, list] = {}

    events = ContributionEvent.objects.filter(
        repository_id__in=ids, occurred_at__gte=start, occurred_at__lt=end
    )
    # Counts come from the daily rollup (a few rows per project and day); only the distinct
    # people and the medians need the per-item rollups.
    daily = list(
        DailyCount.objects.filter(repository_id__in=ids, day__gte=since, day__lte=until,
                                  kind__in=[*_EVENT_COUNTS, *_CLOSED_COUNTS])
        .annotate(bucket=trunc_date("day", interval))
        .values("bucket", "kind").annotate(n=Sum("n")).order_by()
    )
    for kind, key in {**_EVENT_COUNTS, **_CLOSED_COUNTS}.items():
        metrics[key] = fill((r for r in daily if r["kind"] == kind), buckets=buckets)

    # One pass for both: response_seconds is set on issues and pull requests only (the
    # median ignores NULLs), and the response median covers bots' items too, by the bucket
    # they were opened in, while contributors are people only.
    people = list(
        events.annotate(bucket=trunc("occurred_at", interval)).values("bucket")
        .annotate(n=Count("person_key", distinct=True, filter=Q(is_bot=False)),
                  response=Median("response_seconds"))
        .order_by()
    )
    metrics["active_contributors"] = fill(people, buckets=buckets)
    metrics["median_first_response_hours"] = [
        _hours(v) for v in fill(people, buckets=buckets, value="response", empty=None)
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
