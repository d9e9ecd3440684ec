"""Activity per interval: issues, pull requests, commits, reviews, active contributors and
response times (docs/metrics.md, "Activity")."""

import datetime as dt
from collections.abc import Sequence

from django.db.models import Case, Count, F, Q, When

from ingest.models import Issue, PullRequest

from ..models import ContributionEvent
from .series import bucket_label, bucket_starts, fill, period_bounds, shift_year, trunc
from .sql import Median, SecondsBetween

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


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600.0, 1)


def activity_by_interval(*, repository_ids: Sequence[int], since: dt.date, until: dt.date,
                         interval: str) -> dict:
    """Every activity metric per bucket: `{"buckets": [date…], "labels": […], "metrics":
    {key: [value per bucket]}}` (5 queries, each an indexed aggregate)."""
    buckets = bucket_starts(since=since, until=until, interval=interval)
    start, end = period_bounds(since=since, until=until)
    ids = list(repository_ids)
    metrics: dict[str, list] = {}

    events = ContributionEvent.objects.filter(
        repository_id__in=ids, occurred_at__gte=start, occurred_at__lt=end
    )
    by_kind = list(
        events.filter(kind__in=list(_EVENT_COUNTS))
        .annotate(bucket=trunc("occurred_at", interval))
        .values("bucket", "kind").annotate(n=Count("id")).order_by()
    )
    for kind, key in _EVENT_COUNTS.items():
        metrics[key] = fill((r for r in by_kind if r["kind"] == kind), buckets=buckets)

    people = list(
        events.filter(is_bot=False).annotate(bucket=trunc("occurred_at", interval))
        .values("bucket").annotate(n=Count("person_key", distinct=True)).order_by()
    )
    metrics["active_contributors"] = fill(people, buckets=buckets)
    # The response median covers issues and pull requests by anyone (bots' ones too), by the
    # bucket they were opened in; contributors above are people only.
    responses = list(
        events.filter(kind__in=["issue", "pull_request"])
        .annotate(bucket=trunc("occurred_at", interval))
        .values("bucket").annotate(response=Median("response_seconds")).order_by()
    )
    metrics["median_first_response_hours"] = [
        _hours(v) for v in fill(responses, buckets=buckets, value="response", empty=None)
    ]

    closed_prs = list(
        PullRequest.objects.filter(repository_id__in=ids, closed_at__gte=start, closed_at__lt=end)
        .annotate(bucket=trunc("closed_at", interval)).values("bucket")
        .annotate(
            merged=Count("id", filter=Q(merged_at__isnull=False)),
            unmerged=Count("id", filter=Q(merged_at__isnull=True)),
            merge=Median(Case(When(merged_at__isnull=False,
                                   then=SecondsBetween(F("merged_at"), F("created_at"))))),
        ).order_by()
    )
    metrics["prs_merged"] = fill(closed_prs, buckets=buckets, value="merged")
    metrics["prs_closed_unmerged"] = fill(closed_prs, buckets=buckets, value="unmerged")
    metrics["median_time_to_merge_hours"] = [
        _hours(v) for v in fill(closed_prs, buckets=buckets, value="merge", empty=None)
    ]
    closed_issues = (
        Issue.objects.filter(repository_id__in=ids, closed_at__gte=start, closed_at__lt=end)
        .annotate(bucket=trunc("closed_at", interval)).values("bucket")
        .annotate(n=Count("id")).order_by()
    )
    metrics["issues_closed"] = fill(closed_issues, buckets=buckets)
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
