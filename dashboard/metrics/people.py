"""A person's contributions across projects, and a project's contributors."""

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from ingest.models import Actor

from ..definitions.buckets import as_date, bucket_label, bucket_starts, period_bounds, trunc
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
    counts = _period_counts(person_key=person_key, since=since, until=until, interval=None)
    return _by_project(person_key=person_key, until=until, counts=counts)


def person_contributions(
    *, person_key: str, since: dt.date, until: dt.date, interval: str
) -> tuple[list[dict], dict]:
    """`contributions_by_project`, and the person's contributions per `interval` bucket
    stacked by kind (chart-ready), from one read of the person's events of the period."""
    counts = _period_counts(person_key=person_key, since=since, until=until, interval=interval)
    return (
        _by_project(person_key=person_key, until=until, counts=counts),
        _by_interval(since=since, until=until, interval=interval, counts=counts),
    )


def _period_counts(
    *, person_key: str, since: dt.date, until: dt.date, interval: str | None
) -> list[dict]:
    """The person's contributions in since..until per project and kind (and `interval`
    bucket): only the period's events are read."""
    start, end = period_bounds(since=since, until=until)
    events = ContributionEvent.objects.filter(
        person_key=person_key, occurred_at__gte=start, occurred_at__lt=end
    )
    group = ["repository_id", "kind"]
    if interval is not None:
        events = events.annotate(bucket=trunc("occurred_at", interval))
        group.append("bucket")
    return list(events.values(*group).annotate(n=Count("id")).order_by())


def _by_project(*, person_key: str, until: dt.date, counts: list[dict]) -> list[dict]:
    _, end = period_bounds(since=until, until=until)
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
    period: dict[int, dict] = {}
    for row in counts:
        found = period.setdefault(
            row["repository_id"], {"total": 0, **{f"{kind}s": 0 for kind in KINDS}}
        )
        found["total"] += row["n"]
        if row["kind"] in KIND_TITLES:
            found[f"{row['kind']}s"] += row["n"]
    empty = {"total": 0, **{f"{kind}s": 0 for kind in KINDS}}
    rows = []
    for project in projects:
        found = period.get(project["repository_id"], empty)
        rows.append(
            {
                "project": project["repository__full_name"],
                **found,
                "first": project["first_at"],
                "last": project["last"],
            }
        )
    rows.sort(key=lambda row: (-row["total"], row["project"]))
    return rows


def _by_interval(*, since: dt.date, until: dt.date, interval: str, counts: list[dict]) -> dict:
    buckets = bucket_starts(since=since, until=until, interval=interval)
    by_kind: dict[str, dict[dt.date, int]] = {kind: {} for kind in KINDS}
    for row in counts:
        if row["kind"] in by_kind:
            bucket = as_date(row["bucket"])
            by_kind[row["kind"]][bucket] = by_kind[row["kind"]].get(bucket, 0) + row["n"]
    return {
        "labels": [bucket_label(b, interval) for b in buckets],
        "datasets": [
            {
                "label": KIND_TITLES[kind],
                "data": [by_kind[kind].get(b, 0) for b in buckets],
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


class _PerGroup(Subquery):
    """A subquery on the grouped columns only, left out of GROUP BY: the database runs it once
    per group (and only for the groups a LIMIT keeps), not once per aggregated row."""

    def get_group_by_cols(self):
        return []


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
            first=_PerGroup(first),
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
