"""KPI-gaming flags (docs/metrics.md, "Flags"): floods of trivial pull requests, per account
and per project, and bursts of stars from fresh accounts.

Flood flags depend only on the project's own facts (its pull requests and its contributors'
first contributions there) and are rebuilt with the project. Star-burst flags ask whether a
stargazer contributed anywhere in the community, so every repository's are rebuilt each time
(one aggregate of stars per repository and day; stars of the few busy days read one by one).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from ingest.models import PullRequest, Star

from ..definitions.contributions import LOGIN_PREFIX, bot_logins, human
from ..definitions.flags import (
    ACCOUNTS_SHOWN,
    AUTHOR_MIN_COUNT,
    BASELINE_SPAN,
    FLOOD_WINDOW,
    FRESH_ACCOUNT,
    FRESH_MIN_SHARE,
    NEW_ACCOUNT,
    PR_FLOOD_AUTHOR,
    PR_FLOOD_PROJECT,
    PROJECT_MIN_COUNT,
    STAR_BASELINE_DAYS,
    STAR_BURST,
    TRIVIAL_MAX_FILES,
    TRIVIAL_MAX_LINES,
    flood_threshold,
    is_trivial_pull,
    rate_per_window,
    star_threshold,
)
from ..models import ContributionEvent, FirstContribution, Flag
from . import Family

FAMILY = Family(
    name="flags",
    tables=("Flag",),
    sources=("PullRequest", "Star", "Actor", "FirstContribution", "ContributionEvent"),
    readers=("metrics.flags",),
)


def flags_rebuild(*, repository_ids: list[int]) -> int:
    """The flood flags of these repositories and every repository's star-burst flags (inside
    the caller's transaction); returns the flags written."""
    ids = list(repository_ids)
    Flag.objects.filter(repository_id__in=ids).exclude(kind=STAR_BURST).delete()
    Flag.objects.filter(kind=STAR_BURST).delete()
    flags = pull_floods(repository_ids=ids) + star_bursts()
    Flag.objects.bulk_create(flags, batch_size=500)
    return len(flags)


# -- trivial pull request floods ----------------------------------------------------------


def pull_floods(*, repository_ids: list[int]) -> list[Flag]:
    """Flood flags (per account and per project) of these repositories, unsaved."""
    pulls: dict[int, list[tuple[datetime, int, str]]] = defaultdict(list)
    rows = (
        PullRequest.objects.filter(
            human("author", bot_logins()),
            repository_id__in=repository_ids,
            changed_files__lte=TRIVIAL_MAX_FILES,
            additions__lte=TRIVIAL_MAX_LINES,
            deletions__lte=TRIVIAL_MAX_LINES,
            author__isnull=False,
        )
        .values_list(
            "repository_id",
            "created_at",
            "number",
            "author__login",
            "title",
            "additions",
            "deletions",
            "changed_files",
        )
        .order_by("repository_id", "created_at", "number")
    )
    for repository_id, at, number, login, title, additions, deletions, files in rows.iterator(
        chunk_size=2000
    ):
        if is_trivial_pull(
            title=title, additions=additions, deletions=deletions, changed_files=files
        ):
            pulls[repository_id].append((at, number, login))
    if not pulls:
        return []
    firsts = {
        (repository_id, key[len(LOGIN_PREFIX) :].lower()): first_at
        for repository_id, key, first_at in FirstContribution.objects.filter(
            community=False,
            kind_group="any",
            repository_id__in=list(pulls),
            person_key__in=[
                LOGIN_PREFIX + login for items in pulls.values() for _, _, login in items
            ],
        ).values_list("repository_id", "person_key", "first_at")
    }
    flags: list[Flag] = []
    for repository_id, items in pulls.items():
        flags += _project_floods(repository_id, items, firsts)
    return flags


def _baseline(times: list[datetime], start: datetime, history_start: datetime) -> float:
    """The usual count per window: trivial pull requests in the year before `start`, as a rate
    per window (the project's history before `start`, if shorter, at least the minimum span)."""
    since = max(start - BASELINE_SPAN, history_start)
    count = bisect.bisect_left(times, start) - bisect.bisect_left(times, since)
    return rate_per_window(count, start - since)


def _bursts(
    times: list[datetime],
    *,
    eligible,
    threshold_at,
) -> list[tuple[int, int, int, float, int]]:
    """Runs of items (sorted `times`) where some window of FLOOD_WINDOW starting at an item
    holds at least its threshold of items: (first index, last index, index at which the count
    reached the threshold, baseline, threshold), overlapping windows merged into one run.
    `eligible(i)`: whether a window may start at item i; `threshold_at(i)`: (baseline,
    threshold) for a window starting there."""
    runs: list[tuple[int, int, int, float, int]] = []
    i = 0
    while i < len(times):
        if eligible(i):
            end = bisect.bisect_left(times, times[i] + FLOOD_WINDOW)
            baseline, threshold = threshold_at(i)
            if end - i >= threshold:
                first, last, reached = i, end - 1, i + threshold - 1
                # Extend while a later window that overlaps this run qualifies too.
                k = i + 1
                while k <= last:
                    if eligible(k):
                        k_end = bisect.bisect_left(times, times[k] + FLOOD_WINDOW)
                        if k_end - k >= threshold_at(k)[1]:
                            last = max(last, k_end - 1)
                    k += 1
                runs.append((first, last, reached, baseline, threshold))
                i = last + 1
                continue
        i += 1
    return runs


def _project_floods(
    repository_id: int,
    items: list[tuple[datetime, int, str]],
    firsts: dict[tuple[int, str], datetime],
) -> list[Flag]:
    all_times = [at for at, _, _ in items]
    history_start = all_times[0]

    def first_of(login: str, at: datetime) -> datetime:
        return firsts.get((repository_id, login.lower()), at)

    def threshold(times: list[datetime], minimum: int):
        def at(i: int) -> tuple[float, int]:
            baseline = _baseline(times, times[i], history_start)
            return baseline, flood_threshold(baseline, minimum=minimum)

        return at

    flags: list[Flag] = []
    # One account: its own trivial pull requests, against the project's rate of all of them.
    by_author: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
    for item in items:
        by_author[item[2]].append(item)
    for login, own in by_author.items():
        times = [at for at, _, _ in own]
        first_at = first_of(login, times[0])

        def project_threshold(i: int, times=times) -> tuple[float, int]:
            baseline = _baseline(all_times, times[i], history_start)
            return baseline, flood_threshold(baseline, minimum=AUTHOR_MIN_COUNT)

        for first, last, reached, baseline, limit in _bursts(
            times,
            eligible=lambda i, times=times, first_at=first_at: first_at >= times[i] - NEW_ACCOUNT,
            threshold_at=project_threshold,
        ):
            flags.append(
                _flood_flag(
                    repository_id,
                    PR_FLOOD_AUTHOR,
                    login,
                    own[first : last + 1],
                    own[reached],
                    baseline,
                    limit,
                )
            )
    # New accounts together: trivial pull requests whose author was new to the project then.
    fresh = [(at, n, login) for at, n, login in items if first_of(login, at) >= at - NEW_ACCOUNT]
    times = [at for at, _, _ in fresh]
    for first, last, reached, baseline, limit in _bursts(
        times, eligible=lambda i: True, threshold_at=threshold(times, PROJECT_MIN_COUNT)
    ):
        flags.append(
            _flood_flag(
                repository_id,
                PR_FLOOD_PROJECT,
                "",
                fresh[first : last + 1],
                fresh[reached],
                baseline,
                limit,
            )
        )
    return flags


def _flood_flag(repository_id, kind, subject, run, reached, baseline, threshold) -> Flag:
    return Flag(
        repository_id=repository_id,
        kind=kind,
        subject=subject,
        window_start=run[0][0],
        window_end=run[-1][0],
        raised_at=reached[0],
        count=len(run),
        baseline=round(baseline, 3),
        threshold=threshold,
        evidence=[
            {"number": number, "login": login, "at": at.isoformat()} for at, number, login in run
        ],
    )


# -- star bursts --------------------------------------------------------------------------


def star_bursts() -> list[Flag]:
    """Every repository's star-burst flags, unsaved."""
    daily: dict[int, dict[date, int]] = defaultdict(dict)
    for repository_id, day, n in (
        Star.objects.annotate(day=TruncDate("starred_at", tzinfo=UTC))
        .values_list("repository_id", "day")
        .annotate(n=Count("id"))
        .values_list("repository_id", "day", "n")
    ):
        daily[repository_id][day] = n
    flags: list[Flag] = []
    for repository_id, days in daily.items():
        for run, baseline, limit in _burst_days(days):
            flag = _star_flag(repository_id, run, days, baseline, limit)
            if flag is not None:
                flags.append(flag)
    return flags


def _burst_days(days: dict[date, int]) -> list[tuple[list[date], float, int]]:
    """Runs of consecutive days each with at least its threshold of stars: (days, the first
    day's baseline per day, its threshold)."""
    ordered = sorted(days)
    high: list[tuple[date, float, int]] = []
    for day in ordered:
        if days[day] < star_threshold(0):
            continue  # below the floor whatever the baseline
        before = sum(days.get(day - timedelta(days=k), 0) for k in range(1, STAR_BASELINE_DAYS + 1))
        baseline = before / STAR_BASELINE_DAYS
        limit = star_threshold(baseline)
        if days[day] >= limit:
            high.append((day, baseline, limit))
    runs: list[tuple[list[date], float, int]] = []
    for day, baseline, limit in high:
        if runs and runs[-1][0][-1] == day - timedelta(days=1):
            runs[-1][0].append(day)
        else:
            runs.append(([day], baseline, limit))
    return runs


def _star_flag(
    repository_id: int, run: list[date], days: dict[date, int], baseline: float, limit: int
) -> Flag | None:
    start = datetime.combine(run[0], time.min, tzinfo=UTC)
    end = datetime.combine(run[-1], time.min, tzinfo=UTC) + timedelta(days=1)
    stars = list(
        Star.objects.filter(repository_id=repository_id, starred_at__gte=start, starred_at__lt=end)
        .order_by("starred_at", "actor_id")
        .values_list("starred_at", "actor__login", "actor__created_at")
    )
    logins = {login for _, login, _ in stars}
    active = set(
        ContributionEvent.objects.filter(Q(login__in=logins)).values_list("login", flat=True)
    )
    fresh_days: dict[date, int] = defaultdict(int)
    fresh_logins: list[str] = []
    for at, login, created in stars:
        if created is not None and at - created <= FRESH_ACCOUNT and login not in active:
            fresh_days[at.astimezone(UTC).date()] += 1
            fresh_logins.append(login)
    if not stars or len(fresh_logins) < FRESH_MIN_SHARE * len(stars):
        return None
    first_day = [s for s in stars if s[0] < start + timedelta(days=1)]
    return Flag(
        repository_id=repository_id,
        kind=STAR_BURST,
        subject="",
        window_start=stars[0][0],
        window_end=stars[-1][0],
        raised_at=first_day[min(limit, len(first_day)) - 1][0],
        count=len(stars),
        baseline=round(baseline, 3),
        threshold=limit,
        evidence=[
            {"day": day.isoformat(), "stars": days[day], "fresh": fresh_days.get(day, 0)}
            for day in run
        ]
        + [{"accounts": fresh_logins[:ACCOUNTS_SHOWN], "fresh": len(fresh_logins)}],
    )
