"""One row per project for the overview (docs/metrics.md, "Overview")."""

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import TruncYear

from ingest.models import PullRequest, Repository

from ..models import ContributionEvent, DailyCount, FirstContribution
from .cached import cached_until_rebuild
from .series import as_date, bucket_starts, fill, period_bounds, trunc_date
from .sql import Median

ACTIVE_DAYS = 90
SPARK_MONTHS = 12


@cached_until_rebuild
def project_summaries(*, repository_ids: Sequence[int], since: dt.date, until: dt.date
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

    active = by_repo(events.filter(is_bot=False, occurred_at__gte=active_start),
                     n=Count("person_key", distinct=True))
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
            community=False, kind_group="default", repository_id__in=ids,
            first_at__gte=year_start, first_at__lt=end,
        ).annotate(year=TruncYear("first_at")).values("repository_id", "year")
        .annotate(n=Count("id")).order_by()
    ):
        new[(row["repository_id"], as_date(row["year"]).year)] = row["n"]
    merged = by_repo(
        PullRequest.objects.filter(repository_id__in=ids, merged_at__gte=start,
                                   merged_at__lt=end),
        n=Count("id"),
    )
    waiting = by_repo(
        ContributionEvent.objects.filter(repository_id__in=ids, kind="pull_request",
                                         waiting=True),
        n=Count("id"),
    )
    months = _spark_months(until=until)
    spark_rows = list(
        DailyCount.objects.filter(repository_id__in=ids, is_bot=False,
                                  kind__in=["commit", "pull_request", "issue", "review",
                                            "comment"],
                                  day__gte=months[0], day__lte=until)
        .annotate(bucket=trunc_date("day", "month"))
        .values("repository_id", "bucket").annotate(n=Sum("n")).order_by()
    )
    spark_by_repo: dict[int, list[dict]] = {}
    for row in spark_rows:
        spark_by_repo.setdefault(row["repository_id"], []).append(row)
    rows = []
    # One backward step on the (repository, time) index per project, not a scan.
    latest = events.filter(repository_id=OuterRef("id")).order_by("-occurred_at").values(
        "occurred_at")[:1]
    for repo in Repository.objects.filter(id__in=ids).order_by("full_name").annotate(
        last=Subquery(latest)
    ).values("id", "full_name", "owner_login", "name", "description", "html_url", "last"):
        rid = repo["id"]
        median = responses.get(rid, {}).get("median")
        rows.append({
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
        })
    return rows


def _spark_months(*, until: dt.date) -> list[dt.date]:
    """The first days of the SPARK_MONTHS months ending with `until`'s month."""
    index = until.year * 12 + until.month - 1 - (SPARK_MONTHS - 1)
    first = dt.date(index // 12, index % 12 + 1, 1)
    return bucket_starts(since=first, until=until, interval="month")


def sparkline_months(*, until: dt.date) -> list[str]:
    return [m.strftime("%Y-%m") for m in _spark_months(until=until)]

