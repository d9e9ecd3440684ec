"""KPI-gaming flags (docs/metrics.md, "Flags"), with links to their evidence on GitHub.

The flags are found when the derived data is rebuilt (`Flag` rows); these selectors read them
for some projects and days. `since`/`until` are inclusive UTC days.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from django.db.models import Count, Q

from ingest.models import Repository

from ..definitions.flags import FLAG_KINDS, PR_FLOOD_AUTHOR, PR_FLOOD_PROJECT
from ..models import Flag
from .cached import cached_until_rebuild
from .roles import github_web_url

__all__ = ["FLAG_KINDS", "flag_counts_by_project", "flags_raised", "flags_raised_on"]


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _end(day: date) -> datetime:
    return _start(day) + timedelta(days=1)


def flags_raised(
    *,
    repository_ids: Sequence[int],
    since: date,
    until: date,
    kinds: Sequence[str] | None = None,
) -> list[dict]:
    """Flags whose window overlaps [since, until], newest window first, with links."""
    rows = _flags(
        repository_ids=sorted(repository_ids),
        since=since,
        until=until,
        kinds=sorted(kinds) if kinds is not None else None,
        by="window",
    )
    return [_linked(row) for row in rows]


def flags_raised_on(*, repository_ids: Sequence[int], since: date, until: date) -> list[dict]:
    """Flags first raised (the count reached the threshold) on a day in [since, until]."""
    rows = _flags(
        repository_ids=sorted(repository_ids), since=since, until=until, kinds=None, by="raised"
    )
    return [_linked(row) for row in rows]


@cached_until_rebuild
def flag_counts_by_project(
    *, repository_ids: Sequence[int], since: date, until: date
) -> dict[int, int]:
    """Repository id -> flags whose window overlaps [since, until] (projects without any left
    out)."""
    return dict(
        Flag.objects.filter(
            repository_id__in=list(repository_ids),
            window_start__lt=_end(until),
            window_end__gte=_start(since),
        )
        .values_list("repository_id")
        .annotate(n=Count("id"))
        .values_list("repository_id", "n")
    )


@cached_until_rebuild
def _flags(
    *,
    repository_ids: list[int],
    since: date,
    until: date,
    kinds: list[str] | None,
    by: str,
) -> list[dict]:
    if by == "raised":
        when = Q(raised_at__gte=_start(since), raised_at__lt=_end(until))
    else:
        when = Q(window_start__lt=_end(until), window_end__gte=_start(since))
    flags = Flag.objects.filter(when, repository_id__in=repository_ids)
    if kinds is not None:
        flags = flags.filter(kind__in=kinds)
    names = dict(Repository.objects.filter(pk__in=repository_ids).values_list("pk", "full_name"))
    return [
        {
            "id": flag.pk,
            "repository_id": flag.repository_id,
            "project": names.get(flag.repository_id, ""),
            "kind": flag.kind,
            "kind_label": FLAG_KINDS.get(flag.kind, flag.kind),
            "subject": flag.subject,
            "window_start": flag.window_start.astimezone(UTC).date(),
            "window_end": flag.window_end.astimezone(UTC).date(),
            "raised_on": flag.raised_at.astimezone(UTC).date(),
            "count": flag.count,
            "baseline": flag.baseline,
            "threshold": flag.threshold,
            "evidence": flag.evidence,
        }
        for flag in flags.order_by("-window_end", "repository_id", "kind", "subject")
    ]


def _summary(row: dict) -> str:
    days = f"{row['window_start']:%Y-%m-%d} to {row['window_end']:%Y-%m-%d}"
    usual = f"usually {row['baseline']:.1f}"
    if row["kind"] == PR_FLOOD_AUTHOR:
        return (
            f"{row['subject']}, new to the project, opened {row['count']} trivial pull requests "
            f"({days}); the flag is raised at {row['threshold']} in 30 days ({usual} there)."
        )
    if row["kind"] == PR_FLOOD_PROJECT:
        people = len({e["login"] for e in row["evidence"]})
        return (
            f"{row['count']} trivial pull requests from {people} new accounts ({days}); the "
            f"flag is raised at {row['threshold']} in 30 days ({usual} there)."
        )
    fresh = next((e["fresh"] for e in row["evidence"] if "accounts" in e), 0)
    return (
        f"{row['count']} stars ({days}), {fresh} from fresh accounts; the flag is raised at "
        f"{row['threshold']} stars a day ({usual} a day)."
    )


def _linked(row: dict) -> dict:
    """The row with its one-sentence summary and links to the evidence on GitHub."""
    web = github_web_url()
    project = f"{web}/{row['project']}"
    row = dict(row)
    if row["kind"] in (PR_FLOOD_AUTHOR, PR_FLOOD_PROJECT):
        evidence = [
            {"label": f"#{e['number']}", "url": f"{project}/pull/{e['number']}"}
            for e in row["evidence"]
        ]
        if row["subject"]:
            query = quote(f"is:pr author:{row['subject']}")
            url = f"{project}/pulls?q={query}"
        else:
            url = f"{project}/pulls"
    else:
        evidence = []
        for e in row["evidence"]:
            if "day" in e:
                evidence.append(
                    {
                        "label": f"{e['day']}: {e['stars']} stars ({e['fresh']} fresh)",
                        "url": f"{project}/stargazers",
                    }
                )
            else:
                evidence += [{"label": login, "url": f"{web}/{login}"} for login in e["accounts"]]
        url = f"{project}/stargazers"
    row["summary"] = _summary(row)
    row["url"] = url
    row["evidence"] = evidence
    return row
