"""Roles and candidates: the committers page's derived tables.

- RoleSignal: each person's first merge, approval and association per project;
- ActivityMonth: contributions (and merges) per person, project and month: months active and
  last activity;
- CandidateTotal: everyone's all-time merged pull requests by difficulty, reviews given,
  issues answered, progress against the project's rule, months active and last activity per
  project (the promotion candidates of the page without `until`). Difficulty and progress
  depend on the project's rule, so a rule change recounts it (`candidate_totals_rebuild`).
"""

from django.db import connection
from django.db.models import Count, F, Max, Value
from django.db.models.functions import TruncMonth

from ingest.models import Comment, Issue, PullRequest, Review

from ..definitions.contributions import WRITE_ASSOCIATIONS, bot_logins, human
from ..definitions.difficulty import merged_work_by_author
from ..definitions.promotion import (
    first_by_actor,
    issues_answered,
    progress_expression,
    promotion_rules,
    reviews_given,
)
from ..models import ActivityMonth, CandidateTotal, ContributionEvent, RoleSignal
from . import Family

FAMILY = Family(
    name="roles",
    tables=("RoleSignal", "ActivityMonth", "CandidateTotal"),
    sources=(
        "ingest.PullRequest",
        "ingest.Review",
        "ingest.Issue",
        "ingest.Comment",
        "ContributionEvent",
        "PromotionRule",
    ),
    readers=("metrics.roles", "metrics.promotion"),
)

# (signal, queryset, actor field, time field, number field, link kind, what)
_ASSOCIATION_SOURCES = [
    (PullRequest.objects, "created_at", "number", "pull", "pull request"),
    (Issue.objects, "created_at", "number", "issues", "issue"),
    (Review.objects, "submitted_at", "pull_request__number", "pull", "review on"),
    (Comment.objects, "created_at", "issue_number", "issues", "comment on"),
]


def roles_rebuild(*, repository_ids: list[int]) -> int:
    """RoleSignal, ActivityMonth and CandidateTotal of some repositories (inside the caller's
    transaction); returns the RoleSignal rows written."""
    ids = list(repository_ids)
    bots = bot_logins()
    first: dict[tuple[int, str, str], tuple] = {}

    def keep(signal: str, rows, *, actor: str, kind: str, what: str) -> None:
        for row in rows:
            key = (row["repository_id"], row[f"{actor}__login"], signal)
            if key not in first or row["first_at"] < first[key][0]:
                first[key] = (row["first_at"], row["first_number"], kind, what)

    keep(
        "merge",
        first_by_actor(
            PullRequest.objects.filter(repository_id__in=ids),
            actor="merged_by",
            at="merged_at",
            number="number",
            before=None,
            bots=bots,
        ),
        actor="merged_by",
        kind="pull",
        what="",
    )
    keep(
        "approval",
        first_by_actor(
            Review.objects.filter(
                repository_id__in=ids, state="APPROVED", author_association__in=WRITE_ASSOCIATIONS
            ),
            actor="author",
            at="submitted_at",
            number="pull_request__number",
            before=None,
            bots=bots,
        ),
        actor="author",
        kind="pull",
        what="",
    )
    for signal, associations in (
        ("association", WRITE_ASSOCIATIONS),
        ("org_membership", ("MEMBER",)),
    ):
        for manager, at, number, kind, what in _ASSOCIATION_SOURCES:
            keep(
                signal,
                first_by_actor(
                    manager.filter(repository_id__in=ids, author_association__in=associations),
                    actor="author",
                    at=at,
                    number=number,
                    before=None,
                    bots=bots,
                ),
                actor="author",
                kind=kind,
                what=what,
            )
    rows = [
        RoleSignal(
            repository_id=rid,
            login=login,
            signal=signal,
            first_at=at,
            first_number=number,
            link_kind=kind,
            what=what,
        )
        for (rid, login, signal), (at, number, kind, what) in first.items()
    ]
    RoleSignal.objects.filter(repository_id__in=ids).delete()
    RoleSignal.objects.bulk_create(rows, batch_size=1000)
    _activity_months_rebuild(ids)
    candidate_totals_rebuild(repository_ids=ids)
    return len(rows)


def candidate_totals_rebuild(*, repository_ids: list[int]) -> int:
    """Recount CandidateTotal for some repositories (the same queries as an as-of page, over
    all time, for everyone); returns rows written."""
    ids = list(repository_ids)
    bots = bot_logins()
    totals: dict[tuple[int, int], CandidateTotal] = {}

    def total(rid: int, author_id: int, login: str) -> CandidateTotal:
        if (rid, author_id) not in totals:
            totals[(rid, author_id)] = CandidateTotal(
                repository_id=rid, author_id=author_id, login=login
            )
        return totals[(rid, author_id)]

    for row in merged_work_by_author(
        repository_ids=ids,
        before=None,
        rules=promotion_rules(repository_ids=ids),
        bots=human("author", bots),
    ):
        item = total(row["repository_id"], row["author_id"], row["author__login"])
        item.merged, item.hard = row["merged"], row["hard"]
        item.medium, item.easy = row["medium"], row["easy"]
    for rid, author_id, login, n in reviews_given(repository_ids=ids, before=None, bots=bots):
        total(rid, author_id, login).reviews = n
    for rid, author_id, login, n in issues_answered(repository_ids=ids, before=None, bots=bots):
        total(rid, author_id, login).answers = n
    CandidateTotal.objects.filter(repository_id__in=ids).delete()
    CandidateTotal.objects.bulk_create(totals.values(), batch_size=2000)
    # Progress by the same SQL expression an as-of page ranks with.
    CandidateTotal.objects.filter(repository_id__in=ids).update(
        progress=progress_expression(rules=promotion_rules(repository_ids=ids))
    )
    _candidate_activity_update(ids)
    return len(totals)


def _candidate_activity_update(ids: list[int]) -> None:
    """Months active and last activity of every CandidateTotal row, from ActivityMonth (the
    figures `dashboard.metrics.roles.activity_by_person` gives: authored months counted,
    merges counted for recency only), in one UPDATE … FROM (PostgreSQL, SQLite 3.33+)."""
    if not ids:
        return
    table, months = CandidateTotal._meta.db_table, ActivityMonth._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} SET months_active = a.n, last_at = a.last
                FROM (SELECT repository_id, login,
                             COUNT(DISTINCT CASE WHEN merges THEN NULL ELSE month END) AS n,
                             MAX(last_at) AS last
                      FROM {months} WHERE repository_id IN ({marks})
                      GROUP BY repository_id, login) a
                WHERE {table}.repository_id = a.repository_id AND {table}.login = a.login""",
            list(ids),
        )


def _activity_months_rebuild(ids: list[int]) -> None:
    """INSERT … SELECT of the ORM's own grouped queries, so the months never pass through
    Python (the month truncation is the database's, as everywhere else)."""
    ActivityMonth.objects.filter(repository_id__in=ids).delete()
    contributions = (
        ContributionEvent.objects.filter(repository_id__in=ids, is_bot=False)
        .exclude(login="")
        .values("repository_id", "login", month=TruncMonth("occurred_at"))
        .annotate(contributions=Count("pk"), last_at=Max("occurred_at"), merges=Value(False))
        .order_by()
    )
    merges = (
        PullRequest.objects.filter(
            repository_id__in=ids, merged_by__isnull=False, merged_at__isnull=False
        )
        .values("repository_id", login=F("merged_by__login"), month=TruncMonth("merged_at"))
        .annotate(contributions=Count("pk"), last_at=Max("merged_at"), merges=Value(True))
        .order_by()
    )
    table = ActivityMonth._meta.db_table
    with connection.cursor() as cursor:
        for grouped in (contributions, merges):
            select, params = grouped.query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {table} (repository_id, login, month, contributions, last_at, "
                f"merges) {select}",
                params,
            )
