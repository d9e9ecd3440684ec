"""New contributors: per interval, per year, their retention, who they are, who waits.

Reads the `FirstContribution` rollup. Without a project filter a newcomer is new to the
community (first contribution anywhere); with `repo`/`org` chosen, new to each chosen project
(docs/metrics.md, "New contributor").
"""

import datetime as dt
from collections.abc import Sequence

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf, TruncMonth, TruncYear

from ..definitions.buckets import as_date, bucket_label, bucket_starts, fill, period_bounds, trunc
from ..definitions.sql import SecondsBetween
from ..models import ContributionEvent, FirstContribution
from .cached import cached_until_rebuild

RETENTION_DAYS = (30, 90, 180)
MAX_STACKS = 8  # more projects than this are summed into "other projects" on the chart
KIND_LABELS = {
    "commit": "commit",
    "co_authored": "co-authored commit",
    "pull_request": "pull request",
    "issue": "issue",
    "review": "review",
    "comment": "comment",
}


def _firsts(*, repository_ids: Sequence[int], narrowed: bool, kind: str):
    return FirstContribution.objects.filter(
        community=not narrowed, kind_group=kind, repository_id__in=list(repository_ids)
    )


@cached_until_rebuild
def new_contributors_by_interval(
    *,
    repository_ids: Sequence[int],
    narrowed: bool,
    kind: str,
    since: dt.date,
    until: dt.date,
    interval: str,
    stack: str,
) -> dict:
    """`{"labels", "buckets", "total", "datasets": [{"label", "data"}]}` stacked by project
    (the project of the first contribution) or by the first contribution's kind."""
    buckets = bucket_starts(since=since, until=until, interval=interval)
    start, end = period_bounds(since=since, until=until)
    group = "repository__full_name" if stack == "project" else "first_kind"
    rows = list(
        _firsts(repository_ids=repository_ids, narrowed=narrowed, kind=kind)
        .filter(first_at__gte=start, first_at__lt=end)
        .annotate(bucket=trunc("first_at", interval))
        .values("bucket", group)
        .annotate(n=Count("*"))
        .order_by()
    )
    totals: dict[str, int] = {}
    for row in rows:
        totals[row[group]] = totals.get(row[group], 0) + row["n"]
    names = sorted(totals, key=lambda name: (-totals[name], name))
    shown, rest = names[:MAX_STACKS], set(names[MAX_STACKS:])
    datasets = [
        {
            "label": KIND_LABELS.get(name, name) if stack == "kind" else name,
            "data": fill((r for r in rows if r[group] == name), buckets=buckets),
        }
        for name in shown
    ]
    if rest:
        datasets.append(
            {
                "label": f"{len(rest)} other projects",
                "data": fill((r for r in rows if r[group] in rest), buckets=buckets),
            }
        )
    total = (
        [sum(values) for values in zip(*(d["data"] for d in datasets), strict=True)]
        if datasets
        else [0] * len(buckets)
    )
    return {
        "buckets": buckets,
        "labels": [bucket_label(b, interval) for b in buckets],
        "datasets": datasets,
        "total": total,
    }


@cached_until_rebuild
def new_contributors_by_year(
    *, repository_ids: Sequence[int], narrowed: bool, kind: str, until: dt.date
) -> list[dict]:
    """Every year up to `until`'s: newcomers, change from the year before (count and %)."""
    _, end = period_bounds(since=until, until=until)
    counts = {
        as_date(row["year"]).year: row["n"]
        for row in _firsts(repository_ids=repository_ids, narrowed=narrowed, kind=kind)
        .filter(first_at__lt=end)
        .annotate(year=TruncYear("first_at"))
        .values("year")
        .annotate(n=Count("*"))  # not Count("id"): from the index alone
        .order_by()
    }
    if not counts:
        return []
    rows = []
    for year in range(min(counts), until.year + 1):
        count = counts.get(year, 0)
        previous = counts.get(year - 1) if year > min(counts) else None
        change = None if previous is None else count - previous
        rows.append(
            {
                "year": year,
                "new_contributors": count,
                "change": change,
                "change_percent": None if not previous else round(100.0 * change / previous, 1),
                "complete": year < until.year or until >= dt.date(until.year, 12, 31),
            }
        )
    return rows


@cached_until_rebuild
def newcomer_retention_by_month(
    *, repository_ids: Sequence[int], narrowed: bool, kind: str, since: dt.date, until: dt.date
) -> list[dict]:
    """Per month of first contribution: newcomers, and the share who contributed again (any
    kind, in scope) N or more days after their first contribution, for N in 30/90/180.
    A share is None while the month's newest newcomer is younger than N days at `until`."""
    if not repository_ids:  # before the first ingest: no SQL to write for "in ()"
        return []
    start, end = period_bounds(since=since, until=until)
    firsts = _firsts(repository_ids=repository_ids, narrowed=narrowed, kind=kind).filter(
        first_at__gte=start, first_at__lt=end
    )
    # "Active again at least N days after the first contribution" is "the last contribution
    # up to `until` is at least N days after the first": one indexed max per newcomer, computed
    # once in an inner query and compared in the outer one (the ORM would repeat it per N).
    events = ContributionEvent.objects.filter(
        person_key=OuterRef("person_key"), occurred_at__lt=end
    )
    if narrowed:
        events = events.filter(repository_id=OuterRef("repository_id"))
    # The rollup's stored last contribution answers whenever it falls before the period's
    # end (always for a period ending today); only older periods look the events up (SQL's
    # CASE runs the subquery for those rows only).
    last = Case(
        When(last_at__lt=end, then=F("last_at")),
        default=Subquery(events.order_by("-occurred_at").values("occurred_at")[:1]),
    )
    inner = firsts.annotate(
        month=TruncMonth("first_at"), gap=SecondsBetween(last, F("first_at"))
    ).values("month", "gap")
    inner_sql, inner_params = inner.query.sql_with_params()
    counts = ", ".join(
        f"SUM(CASE WHEN t.gap >= {days * 86400} THEN 1 ELSE 0 END)" for days in RETENTION_DAYS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.month, COUNT(*), {counts} FROM ({inner_sql}) t "
            "GROUP BY t.month ORDER BY t.month",
            inner_params,
        )
        fetched = cursor.fetchall()
    month_field = FirstContribution._meta.get_field("first_at")
    rows = []
    for month, newcomers, *back in fetched:
        if isinstance(month, str):  # SQLite hands back text
            month = month_field.to_python(month)
        rows.append(
            {
                "month": month,
                "newcomers": newcomers,
                **{f"n_{days}": int(n or 0) for days, n in zip(RETENTION_DAYS, back, strict=True)},
            }
        )
    result = []
    for row in rows:
        month = as_date(row["month"])
        next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out = {"month": month, "newcomers": row["newcomers"]}
        for days in RETENTION_DAYS:
            mature = next_month - dt.timedelta(days=1) + dt.timedelta(days=days) <= until
            out[f"retained_{days}d"] = (
                round(100.0 * row[f"n_{days}"] / row["newcomers"], 1) if mature else None
            )
        result.append(out)
    return result


def _shown_as():
    """SQL: how a person is shown: their login, else their git name (never an e-mail)."""
    return Coalesce(NullIf(F("login"), Value("")), F("name"), output_field=CharField())


def _github_link():
    """SQL: the web address of the first contribution (commit, pull request or issue)."""
    base = Coalesce(
        NullIf(F("repository__html_url"), Value("")),
        Concat(Value("https://github.com/"), F("repository__full_name")),
    )
    path = Case(
        When(first_kind__in=["commit", "co_authored"], then=Value("/commit/")),
        When(first_kind__in=["pull_request", "review"], then=Value("/pull/")),
        default=Value("/issues/"),
        output_field=CharField(),
    )
    return Concat(base, path, F("first_ref"), output_field=CharField())


NEWCOMER_COLUMNS = [
    ("first_at", "First contribution at"),
    ("person", "Person"),
    ("person_key", "Person key"),
    ("login", "GitHub login"),
    ("project", "Project"),
    ("first_kind", "Kind"),
    ("url", "First contribution"),
]


def newcomers_list(
    *, repository_ids: Sequence[int], narrowed: bool, kind: str, since: dt.date, until: dt.date
) -> QuerySet:
    """Newcomers of the period, newest first (one row per newcomer and project): a lazy
    `.values()` QuerySet, so a page fetches what it shows and an export streams the rest."""
    start, end = period_bounds(since=since, until=until)
    return (
        _firsts(repository_ids=repository_ids, narrowed=narrowed, kind=kind)
        .filter(first_at__gte=start, first_at__lt=end)
        .annotate(person=_shown_as(), project=F("repository__full_name"), url=_github_link())
        .values("first_at", "person", "person_key", "login", "project", "first_kind", "url")
        .order_by("-first_at", "person_key")
    )


def newcomers_waiting(
    *, repository_ids: Sequence[int], narrowed: bool, kind: str, since: dt.date, until: dt.date
) -> list[dict]:
    """Newcomers of the period whose first issue or pull request is open with no response
    (as of the last rollup rebuild), oldest first."""
    start, end = period_bounds(since=since, until=until)
    return list(
        _firsts(repository_ids=repository_ids, narrowed=narrowed, kind=kind)
        .filter(first_at__gte=start, first_at__lt=end, first_waiting=True)
        .annotate(person=_shown_as(), project=F("repository__full_name"), url=_github_link())
        .values("first_at", "person", "person_key", "login", "project", "first_kind", "url")
        .order_by("first_at")[:500]
    )
