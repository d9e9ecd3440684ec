"""One row per project for the overview (docs/metrics.md, "Overview")."""

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import TruncYear

from ingest.models import Repository

from ..definitions.buckets import (
    as_date,
    bucket_starts,
    fill,
    period_bounds,
    trunc_date,
)
from ..definitions.sql import Median
from ..models import ActiveDay, ContributionEvent, DailyCount, FirstContribution, MonthlyCount
from .bucketed import period_split, union_by_range
from .cached import cached_until_rebuild

ACTIVE_DAYS = 90
SPARK_MONTHS = 12


@cached_until_rebuild
def project_summaries(
    *, repository_ids: Sequence[int], since: dt.date, until: dt.date
) -> list[dict]:
    """Per project: active contributors (90 days to `until`), new contributors in `until`'s
    year and the year before, merged pull requests and median time to first response in
    since..until, open pull requests nobody has answered yet, last activity, and a monthly
    activity sparkline (12 months to `until`). Eight grouped queries, none per project."""
    ids = list(repository_ids)
    start, end = period_bounds(since=since, until=until)
    active_start, _ = period_bounds(since=until - dt.timedelta(days=ACTIVE_DAYS - 1), until=until)
    events = ContributionEvent.objects.filter(repository_id__in=ids, occurred_at__lt=end)

    def by_repo(queryset, **aggregates) -> dict[int, dict]:
        return {
            row["repository_id"]: row
            for row in queryset.values("repository_id").annotate(**aggregates).order_by()
        }

    # ActiveDay holds each person (not a bot) once per project and UTC day of contribution:
    # the same people as the events of those days, in fewer rows.
    active = by_repo(
        ActiveDay.objects.filter(
            repository_id__in=ids, day__gte=active_start.date(), day__lte=until
        ),
        n=Count("person_key", distinct=True),
    )
    # Only issues and pull requests have a response time: asking for it rather than for
    # their kinds reads the partial index of those rows alone (not every event's row).
    responses = by_repo(
        events.filter(response_seconds__isnull=False, occurred_at__gte=start),
        median=Median("response_seconds"),
    )
    this_year, last_year = until.year, until.year - 1
    year_start, _ = period_bounds(since=dt.date(last_year, 1, 1), until=until)
    new = {}
    for row in (
        FirstContribution.objects.filter(
            community=False,
            kind_group="default",
            repository_id__in=ids,
            first_at__gte=year_start,
            first_at__lt=end,
        )
        .annotate(year=TruncYear("first_at"))
        .values("repository_id", "year")
        .annotate(n=Count("*"))  # not Count("id"): read from the index alone, no row visited
        .order_by()
    ):
        new[(row["repository_id"], as_date(row["year"]).year)] = row["n"]
    # The daily rollup's pr_merged rows count every pull request by its merge day (UTC).
    merged: dict[int, dict] = {}
    for row in _daily_sums(repository_ids=ids, first=since, last=until, kinds=["pr_merged"]):
        merged.setdefault(row["repository_id"], {"n": 0})["n"] += row["n"]
    waiting = by_repo(
        ContributionEvent.objects.filter(repository_id__in=ids, kind="pull_request", waiting=True),
        n=Count("*"),  # from the partial index of the waiting items alone
    )
    months = _spark_months(until=until)
    spark_rows = _daily_sums(
        repository_ids=ids,
        first=months[0],
        last=until,
        by_month=True,
        humans=True,
        kinds=["commit", "pull_request", "issue", "review", "comment"],
    )
    spark_by_repo: dict[int, list[dict]] = {}
    for row in spark_rows:
        spark_by_repo.setdefault(row["repository_id"], []).append(row)
    rows = []
    # One backward step on the (repository, time) index per project, not a scan.
    latest = (
        events.filter(repository_id=OuterRef("id"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    for repo in (
        Repository.objects.filter(id__in=ids)
        .order_by("full_name")
        .annotate(last=Subquery(latest))
        .values("id", "full_name", "owner_login", "name", "description", "html_url", "last")
    ):
        rid = repo["id"]
        median = responses.get(rid, {}).get("median")
        rows.append(
            {
                "project": repo["full_name"],
                "owner": repo["owner_login"],
                "name": repo["name"],
                "description": repo["description"],
                "active_contributors_90d": active.get(rid, {}).get("n", 0),
                "new_contributors_this_year": new.get((rid, this_year), 0),
                "new_contributors_last_year": new.get((rid, last_year), 0),
                "merged_prs": merged.get(rid, {}).get("n", 0),
                "median_first_response_hours": None if median is None else round(median / 3600, 1),
                "open_prs_unanswered": waiting.get(rid, {}).get("n", 0),
                "last_activity": repo["last"],
                "sparkline": fill(spark_by_repo.get(rid, []), buckets=months),
            }
        )
    return rows


def _daily_sums(
    *,
    repository_ids: list[int],
    first: dt.date,
    last: dt.date,
    kinds: list[str],
    humans: bool = False,
    by_month: bool = False,
) -> list[dict]:
    """DailyCount's `n` of some kinds over the days first..last, per project (and month):
    whole calendar months from MonthlyCount, the days before and after them from DailyCount
    (a project's rows of different branches are to be added up; with `by_month` no month is
    split between branches)."""

    def shaped(queryset, field: str):
        queryset = queryset.filter(repository_id__in=repository_ids, kind__in=kinds)
        if humans:
            queryset = queryset.filter(is_bot=False)
        group = ["repository_id"]
        if by_month:
            queryset = queryset.annotate(bucket=trunc_date(field, "month"))
            group.append("bucket")
        return queryset.values(*group).annotate(n=Sum("n")).order_by()

    split = period_split(since=first, until=last, unit="month")
    whole = []
    if split.whole:
        low, high = split.whole
        whole.append(shaped(MonthlyCount.objects.filter(month__gte=low, month__lt=high), "month"))
    return union_by_range(
        split.edges,
        lambda a, b: shaped(DailyCount.objects.filter(day__gte=a, day__lte=b), "day"),
        *whole,
    )


def _spark_months(*, until: dt.date) -> list[dt.date]:
    """The first days of the SPARK_MONTHS months ending with `until`'s month."""
    index = until.year * 12 + until.month - 1 - (SPARK_MONTHS - 1)
    first = dt.date(index // 12, index % 12 + 1, 1)
    return bucket_starts(since=first, until=until, interval="month")


def sparkline_months(*, until: dt.date) -> list[str]:
    return [m.strftime("%Y-%m") for m in _spark_months(until=until)]
