"""Contribution events and closed items: one row per authored contribution and per closing,
the facts every other derived table and most selectors start from."""

from django.db import connection

from ..definitions.contributions import bot_login_sql, bot_logins
from ..definitions.sql import seconds_between_sql
from ..models import ClosedItem, ContributionEvent
from . import Family

FAMILY = Family(
    name="events",
    tables=("ContributionEvent", "ClosedItem"),
    sources=(
        "ingest.Commit",
        "ingest.PullRequest",
        "ingest.Issue",
        "ingest.Review",
        "ingest.Comment",
        "ingest.Actor",
        "ingest.BotAccount",
    ),
    readers=(
        "metrics.overview",
        "metrics.activity",
        "metrics.newcomers",
        "metrics.people",
        "metrics.roles",
    ),
)

EVENTS = ContributionEvent._meta.db_table
CLOSED = ClosedItem._meta.db_table
_COLUMNS = (
    "person_key, login, name, repository_id, kind, occurred_at, is_bot, ref, "
    "response_seconds, merge_seconds, waiting"
)


def repo_clause(column: str, repository_ids: list[int]) -> tuple[str, list[int]]:
    """` AND column IN (…)` and its parameters."""
    marks = ", ".join(["%s"] * len(repository_ids))
    return f" AND {column} IN ({marks})", list(repository_ids)


def _event_selects(vendor: str) -> list[str]:
    """One SELECT per contribution kind, each yielding the rollup's columns.

    `{repo}` is replaced by the repository restriction. Rows without an author (deleted
    accounts) are not contributions of anyone and are left out.
    """
    response = seconds_between_sql(vendor=vendor, end="t.first_response_at", start="t.created_at")
    merge = seconds_between_sql(vendor=vendor, end="t.merged_at", start="t.created_at")
    login_bot = f"(COALESCE(a.is_bot, FALSE) OR {bot_login_sql('a.login')})"
    waiting = "(t.state = 'open' AND t.first_response_at IS NULL)"
    waiting_pr = "(t.state = 'open' AND t.first_response_at IS NULL AND t.draft = FALSE)"
    return [
        # A commit counts for ingest's author_key; an unkeyed commit falls back to its account.
        f"""SELECT COALESCE(NULLIF(t.author_key, ''), 'login:' || a.login),
                   CASE WHEN COALESCE(NULLIF(t.author_key, ''), 'login:' || a.login) LIKE 'login:%%'
                        THEN SUBSTR(COALESCE(NULLIF(t.author_key, ''), 'login:' || a.login), 7)
                        ELSE '' END,
                   t.author_name, t.repository_id, 'commit', t.authored_at,
                   (COALESCE(a.is_bot, FALSE) OR {bot_login_sql("t.author_key")}),
                   t.sha, NULL, NULL, FALSE
            FROM ingest_commit t LEFT JOIN ingest_actor a ON a.id = t.author_id
            WHERE (t.author_key <> '' OR t.author_id IS NOT NULL){{repo}}""",
        # A co-author counts on the commit's authored date, unless they are its author too.
        f"""SELECT DISTINCT COALESCE(NULLIF(c.author_key, ''), 'login:' || a.login),
                   CASE WHEN COALESCE(NULLIF(c.author_key, ''), 'login:' || a.login) LIKE 'login:%%'
                        THEN SUBSTR(COALESCE(NULLIF(c.author_key, ''), 'login:' || a.login), 7)
                        ELSE '' END,
                   c.name, c.repository_id, 'co_authored', t.authored_at,
                   (COALESCE(a.is_bot, FALSE) OR {bot_login_sql("c.author_key")}
                    OR {bot_login_sql("c.name")}),
                   t.sha, CAST(NULL AS DOUBLE PRECISION), CAST(NULL AS DOUBLE PRECISION), FALSE
            FROM ingest_commitcoauthor c JOIN ingest_commit t ON t.id = c.commit_id
                 LEFT JOIN ingest_actor a ON a.id = c.author_id
            WHERE (c.author_key <> '' OR c.author_id IS NOT NULL)
              AND COALESCE(NULLIF(c.author_key, ''), 'login:' || a.login) <> t.author_key
              {{repo}}""",
        f"""SELECT 'login:' || a.login, a.login, '', t.repository_id, 'pull_request', t.created_at,
                   {login_bot}, CAST(t.number AS VARCHAR(40)), {response}, {merge}, {waiting_pr}
            FROM ingest_pullrequest t JOIN ingest_actor a ON a.id = t.author_id
            WHERE 1 = 1{{repo}}""",
        f"""SELECT 'login:' || a.login, a.login, '', t.repository_id, 'issue', t.created_at,
                   {login_bot}, CAST(t.number AS VARCHAR(40)), {response}, NULL, {waiting}
            FROM ingest_issue t JOIN ingest_actor a ON a.id = t.author_id
            WHERE 1 = 1{{repo}}""",
        f"""SELECT 'login:' || a.login, a.login, '', t.repository_id, 'review', t.submitted_at,
                   {login_bot}, CAST(p.number AS VARCHAR(40)), NULL, NULL, FALSE
            FROM ingest_review t JOIN ingest_actor a ON a.id = t.author_id
                 JOIN ingest_pullrequest p ON p.id = t.pull_request_id
            WHERE t.submitted_at IS NOT NULL AND t.state <> 'PENDING'{{repo}}""",
        f"""SELECT 'login:' || a.login, a.login, '', t.repository_id, 'comment', t.created_at,
                   {login_bot}, CAST(t.issue_number AS VARCHAR(40)), NULL, NULL, FALSE
            FROM ingest_comment t JOIN ingest_actor a ON a.id = t.author_id
            WHERE 1 = 1{{repo}}""",
    ]


def events_rebuild(cursor, *, repository_ids: list[int]) -> None:
    where, params = repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {EVENTS} WHERE 1 = 1{where}", params)
    for select in _event_selects(connection.vendor):
        repo_where, repo_params = repo_clause("t.repository_id", repository_ids)
        cursor.execute(
            f"INSERT INTO {EVENTS} ({_COLUMNS}) {select.replace('{repo}', repo_where)}",
            repo_params,
        )
    bots = sorted({login.lower() for login in bot_logins()})
    if bots:
        # The configurable bot list (settings and admin) applies to every kind, commits too.
        marks = ", ".join(["%s"] * len(bots))
        cursor.execute(
            f"UPDATE {EVENTS} SET is_bot = TRUE WHERE LOWER(login) IN ({marks}){where}",
            [*bots, *params],
        )


def closed_rebuild(cursor, *, repository_ids: list[int]) -> None:
    where, params = repo_clause("repository_id", repository_ids)
    cursor.execute(f"DELETE FROM {CLOSED} WHERE 1 = 1{where}", params)
    vendor = connection.vendor
    closed = seconds_between_sql(vendor=vendor, end="t.closed_at", start="t.created_at")
    merged = seconds_between_sql(vendor=vendor, end="t.merged_at", start="t.created_at")
    repo_where, repo_params = repo_clause("t.repository_id", repository_ids)
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
