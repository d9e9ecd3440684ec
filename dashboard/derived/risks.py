"""Risk rollups (docs/metrics.md, "Risks"): each kind of work per project, person and month,
how long each pull request waited for its first review, each person's organisation, and
authored work per project, month and organisation.

RiskMonth and ReviewWait depend only on the project's own facts and are rebuilt with it.
PersonOrganisation is community-wide (a person's profile and e-mail domains span projects) and
is rebuilt whole on every rebuild, and OrganisationMonth with it (it reads PersonOrganisation
and every project's RiskMonth).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, DateField, Min, OuterRef, Subquery
from django.db.models.functions import Cast

from ingest.models import Actor, AffiliationOverride, PullRequest, Review

from ..definitions import organisations
from ..definitions.buckets import trunc
from ..definitions.risk_work import TIME_FIELDS, WORKS, bot_actor_ids, work_items
from ..models import (
    EmailDomainSpell,
    OrganisationMonth,
    PersonOrganisation,
    ReviewWait,
    RiskMonth,
)
from . import Family

FAMILY = Family(
    name="risks",
    tables=("RiskMonth", "ReviewWait", "PersonOrganisation", "OrganisationMonth"),
    sources=(
        "ContributionEvent",
        "PromotionWork",
        "EmailDomainSpell",
        "ingest.PullRequest",
        "ingest.Review",
        "ingest.Actor",
        "ingest.AffiliationOverride",
    ),
    readers=("metrics.risks", "metrics.review_load", "metrics.health"),
)


def risks_rebuild(*, repository_ids: list[int]) -> None:
    """RiskMonth and ReviewWait of these repositories, everyone's PersonOrganisation and
    every project's OrganisationMonth (inside the caller's transaction, after the events and
    role rollups they read)."""
    ids = list(repository_ids)
    risk_months_rebuild(repository_ids=ids)
    review_waits_rebuild(repository_ids=ids)
    person_organisations_rebuild()
    organisation_months_rebuild()


def risk_months_rebuild(*, repository_ids: list[int]) -> None:
    """Each kind of work summed per project, person and month: INSERT … SELECT of the same
    items the selectors read for a period's cut months (`definitions.risk_work`)."""
    ids = list(repository_ids)
    RiskMonth.objects.filter(repository_id__in=ids).delete()
    if not ids:
        return
    table = RiskMonth._meta.db_table
    with connection.cursor() as cursor:
        for work in WORKS:
            grouped = (
                work_items(work, repository_ids=ids)
                .annotate(in_month=Cast(trunc(TIME_FIELDS[work], "month"), DateField()))
                .values("repository_id", "person", "in_month")
                .annotate(n=Count("*"))
                .order_by()
            )
            select, params = grouped.query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {table} (work, repository_id, person, month, items) "
                f"SELECT %s, s.repository_id, s.person, s.in_month, s.n FROM ({select}) s",
                [work, *params],
            )


def review_waits_rebuild(*, repository_ids: list[int]) -> None:
    """Per pull request that can wait for a review: its opening and the end of its wait (the
    first review by anyone but its author and the bots, not pending, or its closing)."""
    ids = list(repository_ids)
    ReviewWait.objects.filter(repository_id__in=ids).delete()
    if not ids:
        return
    bots = bot_actor_ids()
    first_review = (
        Review.objects.filter(
            pull_request_id=OuterRef("pk"), author__isnull=False, submitted_at__isnull=False
        )
        .exclude(author_id=OuterRef("author_id"))
        .exclude(author_id__in=bots)
        .exclude(state="PENDING")
        .order_by()
        .values("pull_request_id")
        .annotate(first=Min("submitted_at"))
        .values("first")
    )
    pulls = (
        PullRequest.objects.filter(repository_id__in=ids, draft=False, author__isnull=False)
        .exclude(author_id__in=bots)
        .annotate(first_review=Subquery(first_review))
        .values("repository_id", "id", "created_at", "closed_at", "first_review")
        .order_by()
    )
    select, params = pulls.query.sql_with_params()
    # The earlier of two instants, either of which may be missing (still open, never reviewed).
    ended = (
        "CASE WHEN s.closed_at IS NULL THEN s.first_review "
        "WHEN s.first_review IS NULL OR s.closed_at < s.first_review THEN s.closed_at "
        "ELSE s.first_review END"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ReviewWait._meta.db_table} "
            "(repository_id, pull_request_id, opened_at, waited_until) "
            f"SELECT s.repository_id, s.id, s.created_at, {ended} FROM ({select}) s",
            params,
        )


def person_organisations_rebuild() -> int:
    """Everyone with any evidence of an organisation (a profile naming one, an e-mail domain
    spell, an admin's override): their profile's organisation, or `dated` when the answer
    can differ between days. Returns the rows written."""
    logins = (
        set(Actor.objects.exclude(company="", email="").values_list("login", flat=True))
        | set(EmailDomainSpell.objects.values_list("login", flat=True))
        | set(AffiliationOverride.objects.exclude(login="").values_list("login", flat=True))
    )
    evidence = organisations.organisation_evidence(logins=logins)
    PersonOrganisation.objects.all().delete()
    PersonOrganisation.objects.bulk_create(
        (
            PersonOrganisation(
                login=login,
                organisation="" if found.dated else found.profile,
                dated=found.dated,
            )
            for login, found in sorted(evidence.items())
        ),
        batch_size=5000,
    )
    return len(evidence)


def organisation_months_rebuild() -> None:
    """Every project's authored work per month and profile organisation: INSERT … SELECT
    from RiskMonth and PersonOrganisation (after both are rebuilt), the same sum the
    elephant factor makes of a period's cut months from the facts."""
    OrganisationMonth.objects.all().delete()
    authored = RiskMonth.objects.filter(work="authored").values_list(
        "repository_id", "person", "month", "items"
    )
    select, params = authored.query.sql_with_params()
    rows = f"SELECT r.repository_id, r.person, r.month, r.items AS n FROM ({select}) r"
    summed = organisations.profile_organisation_sums_sql(rows, by_month=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {OrganisationMonth._meta.db_table} "
            f"(repository_id, month, organisation, items) {summed}",
            params,
        )
