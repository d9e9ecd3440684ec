"""Activity figures per time bucket (docs/metrics.md, "Activity"): which counts there are,
and the grouped queries that give them. The rollup of whole buckets (`dashboard.derived.
counts`) and the activity selector (`dashboard.metrics.activity`) run the same ones, so a
bucket's figures are the same whichever table answers it."""

from django.db.models import F, QuerySet, Sum

from ..definitions.sql import Median
from .buckets import trunc, trunc_date

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
# DailyCount kinds counted, and the metric each one is.
EVENT_COUNTS = {
    "issue": "issues_opened",
    "pull_request": "prs_opened",
    "commit": "commits",
    "review": "reviews",
}
CLOSED_COUNTS = {
    "issue_closed": "issues_closed",
    "pr_merged": "prs_merged",
    "pr_closed_unmerged": "prs_closed_unmerged",
}
# BucketTotal `what` of the two medians (the counts use the DailyCount kinds).
RESPONSE_MEDIAN, MERGE_MEDIAN = "response_median", "merge_median"


def counts_by_bucket(daily: QuerySet, interval: str) -> QuerySet:
    """Per bucket and kind (`what`): the daily rollup's contributions and closures (`n`)."""
    return (
        daily.filter(kind__in=[*EVENT_COUNTS, *CLOSED_COUNTS])
        .annotate(bucket=trunc_date("day", interval), what=F("kind"))
        .values("bucket", "what")
        .annotate(n=Sum("n"))
        .order_by()
    )


def response_medians_by_bucket(events: QuerySet, interval: str) -> QuerySet:
    """Per bucket: the median seconds to first response of issues and pull requests opened in
    it (`value`). Only they have a response time; bots' items count, as GitHub shows them."""
    return (
        events.filter(response_seconds__isnull=False)
        .annotate(bucket=trunc("occurred_at", interval))
        .values("bucket")
        .annotate(value=Median("response_seconds"))
        .order_by()
    )


def merge_medians_by_bucket(closed: QuerySet, interval: str) -> QuerySet:
    """Per bucket: the median seconds from opening to merge of pull requests merged in it."""
    return (
        closed.filter(kind="pr_merged")
        .annotate(bucket=trunc("closed_at", interval))
        .values("bucket")
        .annotate(value=Median("open_seconds"))
        .order_by()
    )
