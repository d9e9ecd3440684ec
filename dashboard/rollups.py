"""Rebuild the dashboard's rollup tables from ingest's raw facts (run after each ingest).

`rollups_rebuild(repository_ids=None)` rebuilds everything; with ids it rebuilds the
rollups of those repositories only, then the community-wide first contributions from the
per-project ones (they span every repository). Everything is `INSERT … SELECT` in SQL
inside one transaction, so readers see either the old or the new rollups, never a
half-built table. Ingest calls this, or the
Celery task `dashboard.rebuild_rollups` (dashboard/tasks.py), after a sync.
"""

import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from ingest.models import BotAccount, Repository

from .metrics.activity import bucket_totals, people_scope_key
from .metrics.series import INTERVALS, trunc_date
from .metrics.sql import seconds_between_sql
from .models import (
    ActiveCount,
    ActiveDay,
    ActivityMonth,
    BucketTotal,
    CandidateTotal,
    ClosedItem,
    ContributionEvent,
    DailyCount,
    FirstContribution,
    MonthlyCount,
    RoleSignal,
    RollupState,
)
from .role_signals import role_signals_rebuild

EVENTS = ContributionEvent._meta.db_table
FIRSTS = FirstContribution._meta.db_table
CLOSED = ClosedItem._meta.db_table
DAILY = DailyCount._meta.db_table
MONTHLY = MonthlyCount._meta.db_table
ACTIVE = ActiveDay._meta.db_table
LASTS = "pulse_rollup_lasts"  # temporary, during a rebuild
# The committers page's rollups: without fresh statistics after a rebuild the planner took
# the candidate table for a tenth of its size and sorted it on disk.
ROLE_TABLES = tuple(m._meta.db_table for m in (ActivityMonth, CandidateTotal, RoleSignal))


def _utc_day_sql(vendor: str, column: str) -> str:
    if vendor == "postgresql":
        return f"CAST({column} AT TIME ZONE 'UTC' AS DATE)"
    return f"DATE({column})"  # SQLite stores UTC text


# Kind groups a newcomer can be counted by (see docs/metrics.md, "New contributor").
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "default": ("pull_request", "commit"),
    "any": ("commit", "pull_request", "issue", "review", "comment"),
    "commit": ("commit",),
    "pull_request": ("pull_request",),
    "issue": ("issue",),
    "review": ("review",),
    "comment": ("comment",),
}

_COLUMNS = (
    "person_key, login, repository_id, kind, occurred_at, is_bot, ref, "
    "response_seconds, merge_seconds, waiting"
)


def _repo_clause(column: str, repository_ids: list[int] | None) -> tuple[str, list[int]]:
    if repository_ids is None:
        return "", []
    marks = ", ".join(["%s"] * len(repository_ids))
    return f" AND {column} IN ({marks})", list(repository_ids)


def _event_selects(vendor: str) -> list[str]:
    """One SELECT per contribution kind, each yielding the rollup's columns.

    `{repo}` is replaced by the repository restriction. Rows without an author (deleted
    accounts) are not contributions of anyone and are left out.
    """
    response = seconds_between_sql(vendor=vendor, end="t.first_response_at", start="t.created_at")
    merge = seconds_between_sql(vendor=vendor, end="t.merged_at", start="t.created_at")
    login_bot = "(COALESCE(a.is_bot, FALSE) OR LOWER(a.login) LIKE '%%[bot]')"
    waiting = "(t.state = 'open' AND t.first_response_at IS NULL)"
    waiting_pr = "(t.state = 'open' AND t.first_response_at IS NULL AND t.draft = FALSE)"
    return [
        # A commit counts for ingest's author_key; an unkeyed commit falls back to its account.
        """SELECT COALESCE(NULLIF(t.author_key, ''), 'login:' || a.login),
                   CASE WHEN COALESCE(NULLIF(t.author_key, ''), 'login:' || a.login) LIKE 'login:%%'
                        THEN SUBSTR(COALESCE(NULLIF(t.author_key, ''), 'login:' || a.login), 7)
                        ELSE '' END,
                   t.repository_id, 'commit', t.authored_at,
                   (COALESCE(a.is_bot, FALSE) OR LOWER(t.author_key) LIKE '%%[bot]%%'),
                   t.sha, NULL, NULL, FALSE
            FROM ingest_commit t LEFT JOIN ingest_actor a ON a.id = t.author_id
            WHERE (t.author_key <> '' OR t.author_id IS NOT NULL){repo}""",
        f"""SELECT 'login:' || a.login, a.login, t.repository_id, 'pull_request', t.created_at,
                   {login_bot}, CAST(t.number AS VARCHAR(40)), {response}, {merge}, {waiting_pr}
            FROM ingest_pullrequest t JOIN ingest_actor a ON a.id = t.author_id
            WHERE 1 = 1{{repo}}""",
        f"""SELECT 'login:' || a.login, a.login, t.repository_id, 'issue', t.created_at,
                   {login_bot}, CAST(t.number AS VARCHAR(40)), {response}, NULL, {waiting}
            FROM ingest_issue t JOIN ingest_actor a ON a.id = t.author_id
            WHERE 1 = 1{{repo}}""",
        f"""SELECT 'login:' || a.login, a.login, t.repository_id, 'review', t.submitted_at,
                   {login_bot}, CAST(p.number AS VARCHAR(40)), NULL, NULL, FALSE
            FROM ingest_review t JOIN ingest_actor a ON a.id = t.author_id
                 JOIN ingest_pullrequest p ON p.id = t.pull_request_id
            WHERE t.submitted_at IS NOT NULL AND t.state <> 'PENDING'{{repo}}""",
        f"""SELECT 'login:' || a.login, a.login, t.repository_id, 'comment', t.created_at,
                   {login_bot}, CAST(t.issue_number AS VARCHAR(40)), NULL, NULL, FALSE
            FROM ingest_comment t JOIN ingest_actor a ON a.id = t.author_id
            WHERE 1 = 1{{repo}}""",
    ]


def _configured_bot_logins() -> list[str]:
    logins = {login.lower() for login in settings.PULSE_BOT_LOGINS}
    logins.update(login.lower() for login in BotAccount.objects.values_list("login", flat=True))
    return sorted(logins)


def _events_rebuild(cursor, repository_ids: list[int] | None) -> None:
    where, params = _repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {EVENTS} WHERE 1 = 1{where}", params)
    for select in _event_selects(connection.vendor):
        repo_where, repo_params = _repo_clause("t.repository_id", repository_ids)
        cursor.execute(
            f"INSERT INTO {EVENTS} ({_COLUMNS}) {select.replace('{repo}', repo_where)}",
            repo_params,
        )
    bots = _configured_bot_logins()
    if bots:
        # The configurable bot list (settings and admin) applies to every kind, commits too.
        marks = ", ".join(["%s"] * len(bots))
        cursor.execute(
            f"UPDATE {EVENTS} SET is_bot = TRUE WHERE LOWER(login) IN ({marks}){where}",
            [*bots, *params],
        )


def _closed_rebuild(cursor, repository_ids: list[int] | None) -> None:
    where, params = _repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {CLOSED} WHERE 1 = 1{where}", params)
    vendor = connection.vendor
    closed = seconds_between_sql(vendor=vendor, end="t.closed_at", start="t.created_at")
    merged = seconds_between_sql(vendor=vendor, end="t.merged_at", start="t.created_at")
    repo_where, repo_params = _repo_clause("t.repository_id", repository_ids)
    for select in (
        f"""SELECT t.repository_id, 'issue_closed', t.closed_at, {closed}
            FROM ingest_issue t WHERE t.closed_at IS NOT NULL{repo_where}""",
        f"""SELECT t.repository_id, 'pr_merged', t.merged_at, {merged}
            FROM ingest_pullrequest t WHERE t.merged_at IS NOT NULL{repo_where}""",
        f"""SELECT t.repository_id, 'pr_closed_unmerged', t.closed_at, {closed}
            FROM ingest_pullrequest t
            WHERE t.closed_at IS NOT NULL AND t.merged_at IS NULL{repo_where}""",
    ):
        cursor.execute(
            f"INSERT INTO {CLOSED} (repository_id, kind, closed_at, open_seconds) {select}",
            repo_params,
        )


def _daily_rebuild(cursor, repository_ids: list[int] | None) -> None:
    where, params = _repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {DAILY} WHERE 1 = 1{where}", params)
    event_day = _utc_day_sql(connection.vendor, "occurred_at")
    closed_day = _utc_day_sql(connection.vendor, "closed_at")
    cursor.execute(
        f"""INSERT INTO {DAILY} (repository_id, day, kind, is_bot, n)
            SELECT repository_id, {event_day}, kind, is_bot, COUNT(*) FROM {EVENTS}
            WHERE 1 = 1{where} GROUP BY repository_id, {event_day}, kind, is_bot""",
        params,
    )
    cursor.execute(
        f"""INSERT INTO {DAILY} (repository_id, day, kind, is_bot, n)
            SELECT repository_id, {closed_day}, kind, FALSE, COUNT(*) FROM {CLOSED}
            WHERE 1 = 1{where} GROUP BY repository_id, {closed_day}, kind""",
        params,
    )


def _monthly_rebuild(cursor, repository_ids: list[int] | None) -> None:
    where, params = _repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {MONTHLY} WHERE 1 = 1{where}", params)
    month = (
        "CAST(DATE_TRUNC('month', day) AS DATE)"
        if connection.vendor == "postgresql"
        else "DATE(day, 'start of month')"
    )
    cursor.execute(
        f"""INSERT INTO {MONTHLY} (repository_id, month, kind, is_bot, n)
            SELECT repository_id, {month}, kind, is_bot, SUM(n) FROM {DAILY}
            WHERE 1 = 1{where} GROUP BY repository_id, {month}, kind, is_bot""",
        params,
    )


def _active_rebuild(cursor, repository_ids: list[int] | None) -> None:
    where, params = _repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {ACTIVE} WHERE 1 = 1{where}", params)
    event_day = _utc_day_sql(connection.vendor, "occurred_at")
    cursor.execute(
        f"""INSERT INTO {ACTIVE} (repository_id, day, person_key)
            SELECT DISTINCT repository_id, {event_day}, person_key FROM {EVENTS}
            WHERE is_bot = FALSE{where}""",
        params,
    )


def _active_counts_rebuild() -> None:
    """Distinct people (ActiveCount) and the other activity figures (BucketTotal) per whole
    bucket of each interval for every tracked repository and for each organisation (the page
    scopes without a repository choice); a few thousand rows."""
    ActiveCount.objects.all().delete()
    BucketTotal.objects.all().delete()
    scopes = [list(Repository.objects.filter(tracked=True).values_list("id", flat=True))]
    by_org: dict[str, list[int]] = {}
    for rid, owner in Repository.objects.values_list("id", "owner_login"):
        by_org.setdefault(owner.lower(), []).append(rid)
    scopes.extend(by_org.values())
    done = set()
    for ids in scopes:
        key = people_scope_key(ids)
        if not ids or key in done:
            continue
        done.add(key)
        for interval in INTERVALS:
            ActiveCount.objects.bulk_create(
                ActiveCount(scope=key, interval=interval, bucket=row["bucket"], n=row["n"])
                for row in ActiveDay.objects.filter(repository_id__in=ids)
                .annotate(bucket=trunc_date("day", interval))
                .values("bucket")
                .annotate(n=Count("person_key", distinct=True))
                .order_by()
            )
            BucketTotal.objects.bulk_create(
                BucketTotal(scope=key, interval=interval, bucket=bucket, what=what, value=value)
                for bucket, what, value in bucket_totals(repository_ids=ids, interval=interval)
            )


def _firsts_rebuild(cursor, *, repository_ids: list[int] | None) -> None:
    """Per-project first contributions of these repositories, from the events, each with the
    person's latest contribution of any kind there (`last_at`, for retention). The latest ones
    are aggregated once into a temporary table for every kind group's insert to join, so the
    rows are written once, never updated (an update would leave the table twice its size)."""
    where, params = _repo_clause("repository_id", repository_ids)
    cursor.execute(f"DROP TABLE IF EXISTS {LASTS}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {LASTS} AS
            SELECT person_key, repository_id, MAX(occurred_at) AS last FROM {EVENTS}
            WHERE 1 = 1{where} GROUP BY person_key, repository_id""",
        params,
    )
    cursor.execute(f"DELETE FROM {FIRSTS} WHERE community = FALSE{where}", params)
    event_where = where.replace("repository_id", "e.repository_id")
    for group, kinds in KIND_GROUPS.items():
        kind_marks = ", ".join(["%s"] * len(kinds))
        if connection.vendor == "postgresql":
            # DISTINCT ON is PostgreSQL's cheapest "first row per group" (one sort, no window).
            select = f"""SELECT DISTINCT ON (e.person_key, e.repository_id) FALSE, %s,
                           e.person_key, e.login, e.repository_id, e.occurred_at, e.kind, e.ref,
                           e.waiting
                    FROM {EVENTS} e
                    WHERE e.is_bot = FALSE AND e.kind IN ({kind_marks}){event_where}
                    ORDER BY e.person_key, e.repository_id, e.occurred_at, e.id"""
        else:
            select = f"""SELECT FALSE, %s, person_key, login, repository_id, occurred_at, kind,
                       ref, waiting
                FROM (
                    SELECT e.person_key, e.login, e.repository_id, e.occurred_at, e.kind, e.ref,
                           e.waiting, ROW_NUMBER() OVER (
                               PARTITION BY e.person_key, e.repository_id
                               ORDER BY e.occurred_at, e.id) AS rn
                    FROM {EVENTS} e
                    WHERE e.is_bot = FALSE AND e.kind IN ({kind_marks}){event_where}
                ) ranked
                WHERE rn = 1"""
        cursor.execute(
            f"""INSERT INTO {FIRSTS}
                    (community, kind_group, person_key, login, repository_id, first_at,
                     first_kind, first_ref, first_waiting, last_at)
                SELECT f.*, l.last FROM ({select}) f
                LEFT JOIN {LASTS} l ON l.person_key = f.person_key
                                   AND l.repository_id = f.repository_id""",
            [group, *kinds, *params],
        )
    cursor.execute(f"DROP TABLE {LASTS}")


def _community_firsts_rebuild(cursor) -> None:
    """Community-wide first contributions: each person's earliest per-project first (ties:
    the lower repository id). Read from the per-project rows, far fewer than the events, so
    an ingest of one repository does not re-sort every contribution of the community."""
    cursor.execute(f"DELETE FROM {FIRSTS} WHERE community = TRUE")
    columns = (
        "kind_group, person_key, login, repository_id, first_at, first_kind, first_ref, "
        "first_waiting"
    )
    if connection.vendor == "postgresql":
        select = f"""SELECT DISTINCT ON (kind_group, person_key) TRUE, {columns}
            FROM {FIRSTS} WHERE community = FALSE
            ORDER BY kind_group, person_key, first_at, repository_id"""
    else:
        select = f"""SELECT TRUE, {columns} FROM (
                SELECT {columns}, ROW_NUMBER() OVER (
                    PARTITION BY kind_group, person_key ORDER BY first_at, repository_id) AS rn
                FROM {FIRSTS} WHERE community = FALSE
            ) ranked WHERE rn = 1"""
    # A newcomer's latest contribution to the community is anywhere in it (bots' flags aside,
    # as retention counts them).
    cursor.execute(
        f"""INSERT INTO {FIRSTS} (community, {columns}, last_at)
            SELECT f.*, l.last FROM ({select}) f
            LEFT JOIN (SELECT person_key, MAX(occurred_at) AS last FROM {EVENTS}
                       GROUP BY person_key) l ON l.person_key = f.person_key"""
    )


def rollups_rebuild(*, repository_ids: list[int] | None = None) -> int:
    """Rebuild the rollups (all, or those of some repositories); returns the event rows."""
    started = time.monotonic()
    ids = None if repository_ids is None else sorted({int(i) for i in repository_ids})
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The first-contribution passes sort the whole events table; in memory, please.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        _events_rebuild(cursor, ids)
        _closed_rebuild(cursor, ids)
        _daily_rebuild(cursor, ids)
        _monthly_rebuild(cursor, ids)
        _active_rebuild(cursor, ids)
        _active_counts_rebuild()
        _firsts_rebuild(cursor, repository_ids=ids)
        _community_firsts_rebuild(cursor)
        rows = ContributionEvent.objects.count()
        RollupState.objects.update_or_create(
            name="contributions",
            defaults={
                "rebuilt_at": timezone.now(),
                "rows": rows,
                "seconds": time.monotonic() - started,
            },
        )
    # dashB: each person's first merge / approval / association per project (committers page).
    role_signals_rebuild(repository_ids=ids)
    if connection.vendor == "postgresql":
        # Fresh statistics so the planner uses the indexes on tables that just changed, and
        # (VACUUM, outside a transaction only) a visibility map so covering indexes are read
        # without touching the table.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for table in (EVENTS, FIRSTS, CLOSED, DAILY, MONTHLY, ACTIVE, *ROLE_TABLES):
                cursor.execute(f"{command} {table}")
    if not connection.in_atomic_block:
        # Only once the new rollups are visible to others (not inside a caller's transaction).
        from .pages.warm import default_views_warm  # pages import the selectors, built on us

        default_views_warm()
    return rows
