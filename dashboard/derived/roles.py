"""Roles and candidates: the committers page's derived tables.

- RoleSignal: each person's first merge, approval and association per project;
- ActivityMonth: contributions (and merges) per person, project and month: months active and
  last activity;
- PromotionWork: every merged pull request (with its difficulty under the project's rule),
  review given on someone else's pull request and comment on someone else's issue, dated, so
  the candidates of any window are counted from one range of it; PromotionMonth: the same
  summed per person, project and month (a window's whole months). Difficulty depends on the
  project's rule, so a rule change recounts both (`promotion_work_rebuild`);
- EmailDomainSpell: community-wide, each person's first and last commit at each organisation's
  e-mail domain (affiliation at the time).
"""

from django.db import connection
from django.db.models import Count, F, Max, Min, Value
from django.db.models.functions import TruncMonth

from ingest.models import Comment, Commit, Issue, PullRequest, Review

from ..definitions.affiliation import organisation_domain
from ..definitions.contributions import LOGIN_PREFIX, WRITE_ASSOCIATIONS, bot_logins
from ..definitions.promotion import (
    MONTH_COLUMNS,
    WORK_COLUMNS,
    answer_work,
    first_by_actor,
    merged_work,
    promotion_rules,
    review_work,
    work_by_month,
)
from ..models import (
    ActivityMonth,
    ContributionEvent,
    EmailDomainSpell,
    PromotionMonth,
    PromotionWork,
    RoleSignal,
)
from . import Family

FAMILY = Family(
    name="roles",
    tables=("RoleSignal", "ActivityMonth", "PromotionWork", "PromotionMonth", "EmailDomainSpell"),
    sources=(
        "ingest.PullRequest",
        "ingest.Review",
        "ingest.Issue",
        "ingest.Comment",
        "ingest.Commit",
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
    """RoleSignal, ActivityMonth and PromotionWork of some repositories, and every
    EmailDomainSpell (inside the caller's transaction); returns the RoleSignal rows written."""
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
    promotion_work_rebuild(repository_ids=ids)
    email_domain_spells_rebuild()
    return len(rows)


def promotion_work_rebuild(*, repository_ids: list[int]) -> int:
    """PromotionWork and PromotionMonth of some repositories (their facts or their rule
    changed), by INSERT … SELECT of the definitions' querysets; returns PromotionWork rows."""
    ids = list(repository_ids)
    PromotionWork.objects.filter(repository_id__in=ids).delete()
    if not ids:
        return 0
    bots = bot_logins()
    table = PromotionWork._meta.db_table
    columns = ", ".join(WORK_COLUMNS)
    with connection.cursor() as cursor:
        for work in (
            merged_work(repository_ids=ids, rules=promotion_rules(repository_ids=ids), bots=bots),
            review_work(repository_ids=ids, bots=bots),
            answer_work(repository_ids=ids, bots=bots),
        ):
            select, params = work.query.sql_with_params()
            cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
    promotion_months_rebuild(repository_ids=ids)
    return PromotionWork.objects.filter(repository_id__in=ids).count()


def promotion_months_rebuild(*, repository_ids: list[int]) -> None:
    """PromotionMonth of some repositories, from their PromotionWork."""
    ids = list(repository_ids)
    PromotionMonth.objects.filter(repository_id__in=ids).delete()
    select, params = work_by_month(
        PromotionWork.objects.filter(repository_id__in=ids)
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PromotionMonth._meta.db_table} ({', '.join(MONTH_COLUMNS)}) {select}",
            params,
        )


def email_domain_spells_rebuild() -> int:
    """EmailDomainSpell for everyone, from all commits keyed to a login (community-wide: a
    person's addresses span projects); returns rows written."""
    spells: dict[tuple[str, str], list] = {}
    for key, email, first, last, n in (
        Commit.objects.filter(author_key__startswith=LOGIN_PREFIX)
        .exclude(author_email="")
        .values("author_key", "author_email")
        .annotate(first=Min("authored_at"), last=Max("authored_at"), n=Count("pk"))
        .order_by()
        .values_list("author_key", "author_email", "first", "last", "n")
    ):
        domain = organisation_domain(email)
        if not domain:
            continue
        login = key[len(LOGIN_PREFIX) :].lower()
        spell = spells.get((login, domain))
        if spell is None:
            spells[(login, domain)] = [first, last, n]
        else:
            spell[0], spell[1], spell[2] = min(spell[0], first), max(spell[1], last), spell[2] + n
    EmailDomainSpell.objects.all().delete()
    EmailDomainSpell.objects.bulk_create(
        (
            EmailDomainSpell(login=login, domain=domain, first_at=first, last_at=last, commits=n)
            for (login, domain), (first, last, n) in sorted(spells.items())
        ),
        batch_size=2000,
    )
    return len(spells)


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
