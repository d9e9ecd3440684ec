"""Review load (docs/metrics.md, "Review load"): who reviews and merges, how the work is
shared, and the pull requests still waiting for a first review.

A maintainer of a project is someone with write access to it by the period's end, as the
role signals show it (`RoleSignal`: merged a pull request, approved one with write access,
or acted with association MEMBER, COLLABORATOR or OWNER). Reviews are those given on other
people's pull requests (`PromotionWork`), merges are who merged; bots never count.
"""

import heapq
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

from django.db import connection

from ingest.models import Repository

from ..definitions.buckets import period_bounds
from ..definitions.contributions import login_of_person_key
from ..models import ReviewWait, RoleSignal
from .cached import cached_in_scope, cached_until_rebuild
from .risks import WHOLE, work_counts

# RoleSignal signals that show write access.
WRITE_SIGNALS = ("merge", "approval", "association")
DAY_SECONDS = 24 * 60 * 60
OLDEST_KEPT = 1000  # the waiting summary keeps this many oldest openings (the list's cut)


def maintainers(*, repository_ids: Sequence[int], until: date) -> dict[str, set[int]]:
    """Lower-cased login → the chosen projects they had write access to by `until`'s end."""
    _, end = period_bounds(since=until, until=until)
    found: dict[str, set[int]] = defaultdict(set)
    for rid, login in (
        RoleSignal.objects.filter(
            repository_id__in=list(repository_ids), signal__in=WRITE_SIGNALS, first_at__lt=end
        )
        .values_list("repository_id", "login")
        .distinct()
    ):
        found[login.lower()].add(rid)
    return dict(found)


def _items(work: str, *, repository_ids: Sequence[int], since: date, until: date) -> list:
    """(project, login, month, items) of the period's reviews or merges: the risks
    selectors' read."""
    logins: dict[str, str] = {}
    found = []
    for rid, person, month, n in work_counts(
        work, repository_ids=repository_ids, since=since, until=until, interval=WHOLE
    ):
        login = logins.get(person)
        if login is None:
            login = logins[person] = login_of_person_key(person)
        found.append((rid, login, month, n))
    return found


@cached_in_scope
def _load(*, repository_ids: Sequence[int], since: date, until: date) -> dict:
    """Every review-load figure of the period from one read of its reviews and merges:
    `{"people": review_load_by_person's, "top": top_reviewer_share's, "top_by_project":
    top_reviewer_share_by_project's, "maintainer_months": maintainer_load_by_month's}`."""
    period = {"repository_ids": repository_ids, "since": since, "until": until}
    items = {work: _items(work, **period) for work in ("reviews", "merges")}
    write = maintainers(repository_ids=repository_ids, until=until)
    return {
        "people": _people(items, write),
        "top": _top_reviewer(_reviews_by_login(items["reviews"])),
        "top_by_project": _top_by_project(items["reviews"], repository_ids),
        "maintainer_months": _maintainer_months(items, write),
    }


def _people(items: dict[str, list], write: dict[str, set[int]]) -> list[dict]:
    people: dict[str, dict] = {}
    projects: dict[str, set[int]] = defaultdict(set)
    for work in ("reviews", "merges"):
        for rid, login, _, n in items[work]:
            lower = login.lower()
            person = people.get(lower)
            if person is None:
                person = people[lower] = {"login": login, "reviews": 0, "merges": 0}
            person[work] += n
            projects[lower].add(rid)
    reviews = sum(p["reviews"] for p in people.values())
    merges = sum(p["merges"] for p in people.values())
    rows = [
        {
            "login": p["login"],
            "maintainer": lower in write,
            "reviews": p["reviews"],
            "review_share": round(100 * p["reviews"] / reviews, 1) if reviews else None,
            "merges": p["merges"],
            "merge_share": round(100 * p["merges"] / merges, 1) if merges else None,
            "projects": len(projects[lower]),
        }
        for lower, p in people.items()
    ]
    return sorted(rows, key=lambda r: (-(r["reviews"] + r["merges"]), r["login"].lower()))


@cached_until_rebuild
def review_load_by_person(*, repository_ids: Sequence[int], since: date, until: date) -> list[dict]:
    """Who carries the load: per person who reviewed or merged in the period, most work
    first: `{"login", "maintainer" (bool), "reviews", "review_share", "merges",
    "merge_share" (percent of the period's reviews / merges), "projects"}`."""
    return _load(repository_ids=repository_ids, since=since, until=until)["people"]


def _top_reviewer(counts: Counter) -> dict:
    total = sum(counts.values())
    if not total:
        return {"login": None, "reviews": 0, "total": 0, "share": None}
    login, n = min(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return {"login": login, "reviews": n, "total": total, "share": round(100 * n / total, 1)}


def _reviews_by_login(reviews: list) -> Counter:
    counts: Counter = Counter()
    for _, login, _, n in reviews:
        counts[login] += n
    return counts


def _top_by_project(reviews: list, repository_ids: Sequence[int]) -> dict[int, dict]:
    counts: dict[int, Counter] = {int(rid): Counter() for rid in repository_ids}
    for rid, login, _, n in reviews:
        counts[rid][login] += n
    return {rid: _top_reviewer(found) for rid, found in counts.items()}


@cached_until_rebuild
def top_reviewer_share(*, repository_ids: Sequence[int], since: date, until: date) -> dict:
    """The person who gave the most reviews in the period and their share of all reviews:
    `{"login" (None: no reviews), "reviews", "total", "share" (percent)}`."""
    return _load(repository_ids=repository_ids, since=since, until=until)["top"]


@cached_until_rebuild
def top_reviewer_share_by_project(
    *, repository_ids: Sequence[int], since: date, until: date
) -> dict[int, dict]:
    """`top_reviewer_share`'s figures per chosen project (repository id → figures)."""
    return _load(repository_ids=repository_ids, since=since, until=until)["top_by_project"]


def _maintainer_months(items: dict[str, list], write: dict[str, set[int]]) -> list[dict]:
    found: dict[tuple[date, str], dict] = {}
    for work in ("reviews", "merges"):
        for _, login, month, n in items[work]:
            if login.lower() not in write:
                continue
            row = found.setdefault(
                (month, login.lower()), {"month": month, "login": login, "reviews": 0, "merges": 0}
            )
            row[work] += n
    return sorted(
        found.values(),
        key=lambda r: (r["month"], -(r["reviews"] + r["merges"]), r["login"].lower()),
    )


@cached_until_rebuild
def maintainer_load_by_month(
    *, repository_ids: Sequence[int], since: date, until: date
) -> list[dict]:
    """Per maintainer (write access to one of the chosen projects by `until`) and calendar
    month of the period with any: `{"month", "login", "reviews", "merges"}`, by month then
    most work first."""
    return _load(repository_ids=repository_ids, since=since, until=until)["maintainer_months"]


def _waiting(*, repository_ids: Sequence[int], until: date):
    """Pull requests (not drafts, by people) open at `until`'s end with no review yet by
    anyone but their author and the bots (the `ReviewWait` rollup: opened before, and their
    wait not ended before, that instant)."""
    still, ended_later = _waiting_parts(repository_ids=repository_ids, until=until)
    return still | ended_later


def _waiting_parts(*, repository_ids: Sequence[int], until: date) -> tuple:
    """`_waiting`'s two parts, each one index range: those still waiting, and those whose
    wait ended at or after `until`'s end."""
    _, end = period_bounds(since=until, until=until)
    opened = ReviewWait.objects.filter(repository_id__in=list(repository_ids), opened_at__lt=end)
    return opened.filter(waited_until__isnull=True), opened.filter(waited_until__gte=end)


def _as_of(until: date) -> datetime:
    """Ages are measured at `until`'s end, or now when that is still to come."""
    _, end = period_bounds(since=until, until=until)
    return min(end, datetime.now(UTC))


def _pull_request_pages(repository_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Repository id → (full name, web address)."""
    return {
        pk: (full_name, (html_url or f"https://github.com/{full_name}").rstrip("/"))
        for pk, full_name, html_url in Repository.objects.filter(
            pk__in=list(repository_ids)
        ).values_list("pk", "full_name", "html_url")
    }


def waiting_rows(*, repository_ids: Sequence[int], until: date, limit: int | None = None):
    """The pull requests waiting for a first review at `until`, oldest first, lazily (a
    page shows a few, its CSV streams them all): `{"project", "number", "title", "author",
    "opened_at", "age_days", "url"}`."""
    as_of = _as_of(until)
    pages = _pull_request_pages(repository_ids)
    found = (
        _waiting(repository_ids=repository_ids, until=until)
        .order_by("opened_at", "repository_id", "pull_request__number")
        .values_list(
            "repository_id",
            "pull_request__number",
            "pull_request__title",
            "pull_request__author__login",
            "opened_at",
        )
    )
    if limit is not None:
        # The summary knows the oldest openings: only pull requests opened by the limit's
        # one are read (an index range), not every waiting one sorted.
        oldest = review_wait_summary(
            repository_ids=tuple(sorted(int(i) for i in repository_ids)), until=until
        )["oldest_opened"]
        if 0 < limit <= len(oldest):
            found = found.filter(opened_at__lte=oldest[limit - 1])
        found = found[:limit]
    for rid, number, title, author, opened in found.iterator(chunk_size=2000):
        yield {
            "project": pages[rid][0],
            "number": number,
            "title": title,
            "author": author,
            "opened_at": opened,
            "age_days": round(max(0.0, (as_of - opened).total_seconds()) / DAY_SECONDS, 1),
            "url": f"{pages[rid][1]}/pull/{number}",
        }


@cached_until_rebuild
def prs_waiting_first_review(
    *, repository_ids: Sequence[int], until: date, limit: int | None = None
) -> list[dict]:
    """The pull requests waiting for a first review at `until`, oldest first (the first
    `limit` of them when given): `{"project", "number", "title", "author", "opened_at",
    "age_days", "url"}`."""
    return list(waiting_rows(repository_ids=repository_ids, until=until, limit=limit))


def _wait_figures(ages: list[float]) -> dict:
    return {
        "count": len(ages),
        "median_age_days": round(statistics.median(ages), 1) if ages else None,
        "oldest_age_days": round(max(ages), 1) if ages else None,
    }


@cached_until_rebuild
def review_wait_summary(*, repository_ids: Sequence[int], until: date) -> dict:
    """`{"all": review_wait's figures, "projects": {repository id: the same}, "oldest_opened":
    the earliest openings (up to OLDEST_KEPT)}`, from one read of the waiting pull requests."""
    as_of = _as_of(until)
    if connection.vendor == "postgresql":
        _, end = period_bounds(since=until, until=until)
        if not ReviewWait.objects.filter(
            repository_id__in=list(repository_ids), waited_until__gte=end
        ).exists():
            # Nobody's wait ended after `until` (the usual case, `until` being today): the
            # waiting ones are those still waiting, read in opening order from the index.
            return _backlog_summary_in_sql(repository_ids=repository_ids, end=end, as_of=as_of)
        still, ended_later = _waiting_parts(repository_ids=repository_ids, until=until)
        columns = ("repository_id", "opened_at")
        both = still.values(*columns).union(ended_later.values(*columns), all=True)
        return _wait_summary_in_sql(both, repository_ids=repository_ids, as_of=as_of)
    waiting = _waiting(repository_ids=repository_ids, until=until)
    ages: dict[int, list[float]] = {int(rid): [] for rid in repository_ids}
    opened_times = []
    for rid, opened in waiting.values_list("repository_id", "opened_at"):
        ages[rid].append(max(0.0, (as_of - opened).total_seconds()) / DAY_SECONDS)
        opened_times.append(opened)
    return {
        "oldest_opened": heapq.nsmallest(OLDEST_KEPT, opened_times),
        "all": _wait_figures([age for found in ages.values() for age in found]),
        "projects": {rid: _wait_figures(found) for rid, found in ages.items()},
    }


def _backlog_summary_in_sql(
    *, repository_ids: Sequence[int], end: datetime, as_of: datetime
) -> dict:
    """`review_wait_summary`'s figures on PostgreSQL when every waiting pull request is still
    waiting: per project its count, then its first and middle openings from its index range,
    and of all of them together the middle and the oldest openings from one walk of the
    opening-ordered index, which stops there (a median needs no sort of the whole backlog)."""
    table = ReviewWait._meta.db_table
    still = "w.waited_until IS NULL AND w.opened_at < %(end)s"
    ids = [int(i) for i in repository_ids]
    in_project = f"SELECT w.opened_at FROM {table} w WHERE w.repository_id = p.repository_id AND {still} ORDER BY w.opened_at"
    per_project = f"""
        SELECT p.repository_id, c.n,
               (SELECT ARRAY_AGG(x.opened_at) FROM ({in_project} LIMIT 1) x),
               (SELECT ARRAY_AGG(x.opened_at) FROM (
                   {in_project} OFFSET GREATEST((c.n - 1) / 2, 0) LIMIT 2 - c.n %% 2) x)
        FROM unnest(%(ids)s::bigint[]) AS p(repository_id)
        CROSS JOIN LATERAL (
            SELECT COUNT(*) AS n FROM {table} w WHERE w.repository_id = p.repository_id AND {still}
        ) c"""
    every = (
        f"SELECT w.opened_at FROM {table} w "
        f"WHERE w.repository_id = ANY(%(ids)s::bigint[]) AND {still} ORDER BY w.opened_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(per_project, {"ids": ids, "end": end})
        projects = {
            rid: (n, first or [], middle or []) for rid, n, first, middle in cursor.fetchall()
        }
        total = sum(n for n, _, _ in projects.values())
        cursor.execute(f"{every} LIMIT %(kept)s", {"ids": ids, "end": end, "kept": OLDEST_KEPT})
        oldest = [row[0] for row in cursor.fetchall()]
        skip = max((total - 1) // 2, 0)
        if total <= OLDEST_KEPT:
            middle = oldest[skip : skip + 2 - total % 2]
        else:
            cursor.execute(
                f"{every} OFFSET %(skip)s LIMIT %(take)s",
                {"ids": ids, "end": end, "skip": skip, "take": 2 - total % 2},
            )
            middle = [row[0] for row in cursor.fetchall()]
    now = as_of.timestamp()

    def figures(count: int, first: list[datetime], middle: list[datetime]) -> dict:
        if not count:
            return _wait_figures([])
        median_opened = sum(m.timestamp() for m in middle) / len(middle)
        return {
            "count": count,
            "median_age_days": round(max(0.0, now - median_opened) / DAY_SECONDS, 1),
            "oldest_age_days": round(max(0.0, (as_of - first[0]).total_seconds()) / DAY_SECONDS, 1),
        }

    return {
        "oldest_opened": oldest,
        "all": figures(total, oldest[:1], middle),
        "projects": {rid: figures(*found) for rid, found in projects.items()},
    }


def _wait_summary_in_sql(waiting, *, repository_ids: Sequence[int], as_of: datetime) -> dict:
    """The same figures aggregated by PostgreSQL per project and overall in one pass (a big
    backlog is tens of thousands of pull requests): the median age is `as_of` less the
    median opening, the oldest `as_of` less the first."""
    select, params = waiting.query.sql_with_params()
    sql = f"""
        SELECT repository_id, GROUPING(repository_id), COUNT(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', opened_at)),
               MIN(opened_at),
               CASE WHEN GROUPING(repository_id) = 1
                    THEN (ARRAY_AGG(opened_at ORDER BY opened_at))[1:{OLDEST_KEPT}] END
        FROM ({select}) AS waiting
        GROUP BY GROUPING SETS ((repository_id), ())"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    now = as_of.timestamp()

    def figures(count: int, median_epoch: float | None, first: datetime | None) -> dict:
        if not count:
            return _wait_figures([])
        return {
            "count": count,
            "median_age_days": round(max(0.0, now - median_epoch) / DAY_SECONDS, 1),
            "oldest_age_days": round(max(0.0, (as_of - first).total_seconds()) / DAY_SECONDS, 1),
        }

    summary = {
        "oldest_opened": [],
        "all": _wait_figures([]),
        "projects": {int(rid): _wait_figures([]) for rid in repository_ids},
    }
    for rid, whole, count, median_epoch, first, oldest in found:
        if whole:
            summary["all"] = figures(count, median_epoch, first)
            summary["oldest_opened"] = list(oldest or [])
        else:
            summary["projects"][rid] = figures(count, median_epoch, first)
    return summary


def review_wait(*, repository_ids: Sequence[int], until: date) -> dict:
    """Pull requests waiting for a first review at `until`: `{"count", "median_age_days",
    "oldest_age_days"}` (ages None when none wait)."""
    ids = tuple(sorted(int(i) for i in repository_ids))
    return review_wait_summary(repository_ids=ids, until=until)["all"]


def review_wait_by_project(*, repository_ids: Sequence[int], until: date) -> dict[int, dict]:
    """`review_wait`'s figures per chosen project (repository id → figures)."""
    ids = tuple(sorted(int(i) for i in repository_ids))
    return review_wait_summary(repository_ids=ids, until=until)["projects"]
