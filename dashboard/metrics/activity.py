"""Activity per interval: issues, pull requests, commits, reviews, active contributors and
response times (docs/metrics.md, "Activity")."""

import datetime as dt
from collections.abc import Sequence

from django.db.models import CharField, Count, Value

from ..definitions.activity import (
    ACTIVITY_METRICS,
    CLOSED_COUNTS,
    EVENT_COUNTS,
    MERGE_MEDIAN,
    RESPONSE_MEDIAN,
    counts_by_bucket,
    merge_medians_by_bucket,
    response_medians_by_bucket,
)
from ..definitions.buckets import bucket_label, bucket_starts, fill, shift_year, trunc_date
from ..definitions.contributions import scope_key
from ..models import ActiveCount, ActiveDay, BucketTotal, ClosedItem, ContributionEvent, DailyCount
from .bucketed import between, period_split, union_by_range
from .cached import cached_until_rebuild

__all__ = ["ACTIVITY_METRICS", "activity_by_interval", "activity_last_year", "activity_rows"]

_PEOPLE = "people"  # not a DailyCount kind: the active contributors' rows of the union


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600.0, 1)


@cached_until_rebuild
def activity_by_interval(
    *, repository_ids: Sequence[int], since: dt.date, until: dt.date, interval: str
) -> dict:
    """Every activity metric per bucket: `{"buckets": [date…], "labels": […], "metrics":
    {key: [value per bucket]}}`.

    For a scope whose whole buckets are stored (every tracked project, an organisation) they
    come from BucketTotal and ActiveCount, and only the period's partial first and last
    buckets are aggregated here (DailyCount, ActiveDay, the events and closed items of those
    days); other scopes aggregate the whole period. 4 queries."""
    buckets = bucket_starts(since=since, until=until, interval=interval)
    ids = list(repository_ids)
    scope = scope_key(ids)
    split = period_split(since=since, until=until, unit=interval)
    totals: list[tuple[str, dt.date, float]] = []
    if split.whole:
        low, high = split.whole
        # Plain tuples: a year of weeks is hundreds of rows, and model instances cost more
        # to build than the read takes.
        totals = list(
            BucketTotal.objects.filter(
                scope=scope, interval=interval, bucket__gte=low, bucket__lt=high
            ).values_list("what", "bucket", "value")
        )
    ranges = split.edges if totals else [(since, until)]
    whole_people = []
    if totals:
        whole_people.append(
            ActiveCount.objects.filter(
                scope=scope, interval=interval, bucket__gte=low, bucket__lt=high
            )
            .annotate(what=Value(_PEOPLE, output_field=CharField()))
            .values("bucket", "what", "n")
        )
    daily = union_by_range(
        ranges,
        lambda first, last: counts_by_bucket(
            DailyCount.objects.filter(repository_id__in=ids, day__gte=first, day__lte=last),
            interval,
        ),
        *(
            ActiveDay.objects.filter(repository_id__in=ids, day__gte=first, day__lte=last)
            .annotate(
                bucket=trunc_date("day", interval), what=Value(_PEOPLE, output_field=CharField())
            )
            .values("bucket", "what")
            .annotate(n=Count("person_key", distinct=True))
            .order_by()
            for first, last in ranges
        ),
        *whole_people,
    )
    whole_rows: dict[str, list[dict]] = {}
    for what, bucket, value in totals:
        whole_rows.setdefault(what, []).append({"bucket": bucket, "value": value})
    metrics: dict[str, list] = {}
    for kind, key in {**EVENT_COUNTS, **CLOSED_COUNTS, _PEOPLE: "active_contributors"}.items():
        counted = [{"bucket": r["bucket"], "n": int(r["value"])} for r in whole_rows.get(kind, [])]
        metrics[key] = fill([*(r for r in daily if r["what"] == kind), *counted], buckets=buckets)

    responses = union_by_range(
        ranges,
        lambda first, last: response_medians_by_bucket(
            ContributionEvent.objects.filter(
                between("occurred_at", first, last), repository_id__in=ids
            ),
            interval,
        ),
    )
    merge_times = union_by_range(
        ranges,
        lambda first, last: merge_medians_by_bucket(
            ClosedItem.objects.filter(between("closed_at", first, last), repository_id__in=ids),
            interval,
        ),
    )
    for key, rows, what in (
        ("median_first_response_hours", responses, RESPONSE_MEDIAN),
        ("median_time_to_merge_hours", merge_times, MERGE_MEDIAN),
    ):
        found = [*rows, *whole_rows.get(what, [])]
        metrics[key] = [_hours(v) for v in fill(found, buckets=buckets, value="value", empty=None)]
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
