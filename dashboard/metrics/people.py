"""A person's contributions across projects, and a project's contributors."""

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from ingest.models import Actor

from ..definitions.buckets import bucket_label, bucket_starts, fill, period_bounds, trunc
from ..models import ContributionEvent, FirstContribution

KINDS = ["commit", "co_authored", "pull_request", "issue", "review", "comment"]
KIND_TITLES = {
    "commit": "Commits",
    "co_authored": "Co-authored commits",
    "pull_request": "Pull requests",
    "issue": "Issues",
    "review": "Reviews",
    "comment": "Comments",
}


def person_resolve(*, login: str) -> dict | None:
    """The person behind a login (`{"login", "name", "company", "affiliation", "is_bot"}`),
    from the account or, for a login only seen on commits, from the rollup; None if unknown."""
    actor = (
        Actor.objects.filter(login__iexact=login)
        .values("login", "name", "company", "affiliation", "is_bot", "type")
        .first()
    )
    if actor:
        return actor
    seen = ContributionEvent.objects.filter(person_key=f"login:{login}").values("login").first()
    if seen:
        return {
            "login": seen["login"],
            "name": "",
            "company": "",
            "affiliation": "unknown",
            "is_bot": False,
            "type": "",
        }
    return None


def contributions_by_project(*, person_key: str, since: dt.date, until: dt.date) -> list[dict]:
    """Per project the person ever contributed to (up to `until`): contributions of each kind
    in since..until, and their first and last contribution there."""
    start, end = period_bounds(since=since, until=until)
    # First per project comes from the rollup, last from one backward index step per
    # project, counts from the period's events only: a prolific person's whole history is
    # never scanned.
    latest = (
        ContributionEvent.objects.filter(
            person_key=person_key, repository_id=OuterRef("repository_id"), occurred_at__lt=end
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    projects = list(
        FirstContribution.objects.filter(
            community=False, kind_group="any", person_key=person_key, first_at__lt=end
        )
        .annotate(last=Subquery(latest))
        .values("repository_id", "repository__full_name", "first_at", "last")
    )
    counts = {
        row["repository_id"]: row
        for row in ContributionEvent.objects.filter(
            person_key=person_key, occurred_at__gte=start, occurred_at__lt=end
        )
        .values("repository_id")
        .annotate(
            total=Count("id"),
            **{f"{kind}s": Count("id", filter=Q(kind=kind)) for kind in KINDS},
        )
        .order_by()
    }
    empty = {"total": 0, **{f"{kind}s": 0 for kind in KINDS}}
    rows = []
    for project in projects:
        period = counts.get(project["repository_id"], empty)
        rows.append(
            {
                "project": project["repository__full_name"],
                "total": period["total"],
                **{f"{kind}s": period[f"{kind}s"] for kind in KINDS},
                "first": project["first_at"],
                "last": project["last"],
            }
        )
    rows.sort(key=lambda row: (-row["total"], row["project"]))
    return rows


def person_activity_by_interval(
    *, person_key: str, since: dt.date, until: dt.date, interval: str
) -> dict:
    """Contributions per bucket stacked by kind, chart-ready."""
    buckets = bucket_starts(since=since, until=until, interval=interval)
    start, end = period_bounds(since=since, until=until)
    rows = list(
        ContributionEvent.objects.filter(
            person_key=person_key, occurred_at__gte=start, occurred_at__lt=end
        )
        .annotate(bucket=trunc("occurred_at", interval))
        .values("bucket", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "labels": [bucket_label(b, interval) for b in buckets],
        "datasets": [
            {
                "label": KIND_TITLES[kind],
                "data": fill((r for r in rows if r["kind"] == kind), buckets=buckets),
            }
            for kind in KINDS
        ],
    }


def first_contribution(*, person_key: str) -> dict | None:
    """The person's first contribution of any kind anywhere in the community."""
    return (
        FirstContribution.objects.filter(community=True, kind_group="any", person_key=person_key)
        .values(
            "first_at", "first_kind", "first_ref", "repository__full_name", "repository__html_url"
        )
        .first()
    )


CONTRIBUTOR_COLUMNS = [
    ("person", "Person"),
    ("person_key", "Person key"),
    ("login", "GitHub login"),
    ("total", "Contributions"),
    *((f"{kind}s", KIND_TITLES[kind]) for kind in KINDS),
    ("first", "First contribution"),
    ("last", "Last contribution"),
]


def contributors_of_projects(
    *, repository_ids: Sequence[int], since: dt.date, until: dt.date
) -> QuerySet:
    """People (not bots) who contributed in since..until, most contributions first, with their
    first contribution in these projects (ever) and their last (up to `until`, so within the
    period). Only the period's events are aggregated; a lazy `.values()` QuerySet."""
    start, end = period_bounds(since=since, until=until)
    ids = list(repository_ids)
    first = (
        FirstContribution.objects.filter(
            community=False,
            kind_group="any",
            person_key=OuterRef("person_key"),
            repository_id__in=ids,
        )
        .order_by("first_at")
        .values("first_at")[:1]
    )
    return (
        ContributionEvent.objects.filter(
            repository_id__in=ids, is_bot=False, occurred_at__gte=start, occurred_at__lt=end
        )
        .values("person_key", "login")
        .annotate(
            # Shown as: the login, else the git name (never an e-mail address).
            person=Coalesce(NullIf(F("login"), Value("")), Max("name")),
            total=Count("id"),
            **{f"{kind}s": Count("id", filter=Q(kind=kind)) for kind in KINDS},
            first=Subquery(first),
            last=Max("occurred_at"),
        )
        .order_by("-total", "person_key")
        .values(
            "person",
            "person_key",
            "login",
            "total",
            *(f"{kind}s" for kind in KINDS),
            "first",
            "last",
        )
    )
