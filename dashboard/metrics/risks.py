"""Dependency risks (docs/metrics.md, "Risks"): absence factors and elephant factors.

The absence (bus) factor of a body of work is the smallest number of people who together did
more than half of it; it is counted apart for authored work (commits and pull requests
authored), reviews (given on other people's pull requests) and merges (who clicked merge).
The elephant factor is the same over organisations, for authored work, each contribution
counted for the organisation its author worked for on its day; people of unknown
organisation are shown beside it, never counted as an organisation. Bots never count.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from django.db import connection
from django.db.models import CharField, Count, F, IntegerField, Max, QuerySet, Value
from django.db.models.functions import Concat

from ingest.models import PullRequest, Repository

from ..definitions import organisations
from ..definitions.buckets import as_date, bucket_label, bucket_starts, period_bounds, trunc
from ..definitions.contributions import bot_logins, human, login_of_person_key
from ..models import ContributionEvent, PromotionWork
from .cached import cached_until_rebuild

WORKS = ("authored", "reviews", "merges")
WORK_TITLES = {
    "authored": "authored work (commits and pull requests)",
    "reviews": "reviews given",
    "merges": "merges",
}
AUTHORED_KINDS = ("commit", "pull_request")
# A project's merges depend on one person when one person merged more than half of them
# (merges' absence factor 1), once the period has at least this many merges.
MERGE_DEPENDENCY_MIN_MERGES = 5


def _work(work: str, *, repository_ids: Sequence[int], since: date, until: date) -> QuerySet:
    """The period's items of one kind of work, each with `person` (its person key)."""
    start, end = period_bounds(since=since, until=until)
    ids = list(repository_ids)
    if work == "authored":
        return ContributionEvent.objects.filter(
            repository_id__in=ids,
            is_bot=False,
            kind__in=AUTHORED_KINDS,
            occurred_at__gte=start,
            occurred_at__lt=end,
        ).annotate(person=F("person_key"))
    login_key = Value("login:", output_field=CharField())
    if work == "reviews":
        # PromotionWork's reviews: on someone else's pull request, bots left out.
        return PromotionWork.objects.filter(
            repository_id__in=ids, kind=PromotionWork.REVIEW, at__gte=start, at__lt=end
        ).annotate(person=Concat(login_key, F("login"), output_field=CharField()))
    if work == "merges":
        return (
            PullRequest.objects.filter(
                repository_id__in=ids,
                merged_at__gte=start,
                merged_at__lt=end,
                merged_by__isnull=False,
            )
            .filter(human("merged_by", bot_logins()))
            .annotate(person=Concat(login_key, F("merged_by__login"), output_field=CharField()))
        )
    raise ValueError(f"unknown work {work!r}; one of {', '.join(WORKS)}")


def _time_field(work: str) -> str:
    return {"authored": "occurred_at", "reviews": "at", "merges": "merged_at"}[work]


def _factor_people(grouped: QuerySet) -> list[tuple]:
    """From a grouped query selecting `g`, `person`, `n`: per group, the people who make up
    more than half of the group's total, most first: (g, person, n, total, people)."""
    select, params = grouped.query.sql_with_params()
    sql = f"""
        WITH counted AS ({select}),
        ranked AS (
            SELECT g, person, n,
                   SUM(n) OVER (PARTITION BY g ORDER BY n DESC, person
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
                   SUM(n) OVER (PARTITION BY g) AS total,
                   COUNT(*) OVER (PARTITION BY g) AS people
            FROM counted
        )
        SELECT g, person, n, total, people FROM ranked
        WHERE 2 * (running - n) <= total
        ORDER BY g, n DESC, person"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (g, person, int(n), int(total), int(people))
            for g, person, n, total, people in cursor.fetchall()
        ]


def _grouped(work: str, items: QuerySet, group) -> QuerySet:
    return (
        items.annotate(g=group)
        .values("g", "person")
        .annotate(n=Count("pk"))
        .order_by()
        .values("g", "person", "n")
    )


def _shown_names(person_keys: Iterable[str]) -> dict[str, str]:
    """How people without a GitHub login are shown: their git name (never an address)."""
    unnamed = [key for key in person_keys if not login_of_person_key(key)]
    if not unnamed:
        return {}
    return dict(
        ContributionEvent.objects.filter(person_key__in=unnamed)
        .values("person_key")
        .annotate(name=Max("name"))
        .values_list("person_key", "name")
    )


def _person_rows(rows: list[tuple], names: dict[str, str]) -> list[dict]:
    return [
        {
            "person_key": person,
            "login": login_of_person_key(person),
            "person": login_of_person_key(person) or names.get(person) or person,
            "count": n,
            "share": round(100 * n / total, 1),
        }
        for _, person, n, total, _ in rows
    ]


@cached_until_rebuild
def absence_factor(*, repository_ids: Sequence[int], since: date, until: date, work: str) -> dict:
    """The absence factor of one kind of work over the chosen projects together:
    `{"work", "factor" (None: no such work), "total", "people_count", "people": [{person_key,
    login, person, count, share (percent of total)}]}`, the people being the factor's."""
    items = _work(work, repository_ids=repository_ids, since=since, until=until)
    rows = _factor_people(_grouped(work, items, Value(0, output_field=IntegerField())))
    names = _shown_names(row[1] for row in rows)
    return {
        "work": work,
        "factor": len(rows) or None,
        "total": int(rows[0][3]) if rows else 0,
        "people_count": int(rows[0][4]) if rows else 0,
        "people": _person_rows(rows, names),
    }


@cached_until_rebuild
def absence_factor_by_interval(
    *, repository_ids: Sequence[int], since: date, until: date, interval: str, work: str
) -> dict:
    """Per bucket of the period: `{"labels", "buckets" (first days), "values" (the factor,
    None for a bucket without such work), "totals"}`."""
    items = _work(work, repository_ids=repository_ids, since=since, until=until)
    rows = _factor_people(_grouped(work, items, trunc(_time_field(work), interval)))
    factor: Counter = Counter()
    totals: dict[date, int] = {}
    for g, _, _, total, _ in rows:
        # Raw SQL skips Django's converters: SQLite gives the bucket as text.
        bucket = date.fromisoformat(g[:10]) if isinstance(g, str) else as_date(g)
        factor[bucket] += 1
        totals[bucket] = total
    buckets = bucket_starts(since=since, until=until, interval=interval)
    return {
        "labels": [bucket_label(b, interval) for b in buckets],
        "buckets": buckets,
        "values": [factor.get(b) for b in buckets],
        "totals": [totals.get(b, 0) for b in buckets],
    }


def merge_dependency(*, merges_factor: int | None, merges_total: int) -> bool:
    """The rule for "merges depend on one person" (docs/metrics.md, "Merge dependency")."""
    return merges_factor == 1 and merges_total >= MERGE_DEPENDENCY_MIN_MERGES


@cached_until_rebuild
def absence_factors_by_project(
    *, repository_ids: Sequence[int], since: date, until: date
) -> list[dict]:
    """One row per project (all chosen ones, by name): the three absence factors (None: no
    such work), the work's totals, the top merger and their share, and `merge_dependency`."""
    names = dict(
        Repository.objects.filter(pk__in=list(repository_ids)).values_list("pk", "full_name")
    )
    rows = {
        rid: {
            "repository_id": rid,
            "project": name,
            **{work: None for work in WORKS},
            **{f"{work}_total": 0 for work in WORKS},
            **{f"{work}_people": "" for work in WORKS},
            "top_merger": "",
            "top_merger_share": None,
            "merge_dependency": False,
        }
        for rid, name in names.items()
    }
    for work in WORKS:
        items = _work(work, repository_ids=repository_ids, since=since, until=until)
        people = _factor_people(_grouped(work, items, F("repository_id")))
        shown = _shown_names(row[1] for row in people)
        by_project: dict[int, list[tuple]] = defaultdict(list)
        for row in people:
            by_project[row[0]].append(row)
        for rid, found in by_project.items():
            row = rows.get(rid)
            if row is None:
                continue
            row[work] = len(found)
            row[f"{work}_total"] = int(found[0][3])
            row[f"{work}_people"] = ", ".join(
                f"{p['person']} ({p['share']:g}%)" for p in _person_rows(found, shown)
            )
            if work == "merges":
                row["top_merger"] = login_of_person_key(found[0][1])
                row["top_merger_share"] = round(100 * found[0][2] / found[0][3], 1)
    for row in rows.values():
        row["merge_dependency"] = merge_dependency(
            merges_factor=row["merges"], merges_total=row["merges_total"]
        )
    return sorted(rows.values(), key=lambda r: r["project"].lower())


# --- elephant factor ------------------------------------------------------------------------


def _organisation_counts(
    *, repository_ids: Sequence[int], since: date, until: date
) -> dict[int, Counter]:
    """Authored work per project and organisation (UNKNOWN: not known), each item counted for
    its author's organisation on its day."""
    items = _work("authored", repository_ids=repository_ids, since=since, until=until)
    per_person = list(
        items.values("repository_id", "person_key")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("repository_id", "person_key", "n")
    )
    evidence = organisations.organisation_evidence(
        logins={login_of_person_key(key) for _, key, _ in per_person} - {""}
    )
    dated = {
        key
        for _, key, _ in per_person
        if (found := evidence.get(login_of_person_key(key).lower())) is not None and found.dated
    }
    counts: dict[int, Counter] = defaultdict(Counter)
    for rid, key, n in per_person:
        if key in dated:
            continue
        found = evidence.get(login_of_person_key(key).lower())
        counts[rid][found.profile if found is not None else organisations.UNKNOWN] += n
    if dated:
        # Only people whose organisation changes over time are read day by day.
        for rid, key, day, n in (
            items.filter(person_key__in=sorted(dated))
            .annotate(day=trunc("occurred_at", "day"))
            .values("repository_id", "person_key", "day")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("repository_id", "person_key", "day", "n")
        ):
            found = evidence[login_of_person_key(key).lower()]
            counts[rid][organisations.organisation_on(day=as_date(day), evidence=found)] += n
    return counts


def _elephant(counts: Counter) -> dict:
    total = sum(counts.values())
    unknown = counts.get(organisations.UNKNOWN, 0)
    known = total - unknown
    ranked = sorted(
        ((org, n) for org, n in counts.items() if org != organisations.UNKNOWN),
        key=lambda pair: (-pair[1], pair[0]),
    )
    chosen, running = [], 0
    for org, n in ranked:
        if 2 * running > known:
            break
        chosen.append({"organisation": org, "count": n, "share": round(100 * n / known, 1)})
        running += n
    return {
        "factor": len(chosen) or None,
        "total": total,
        "known": known,
        "unknown": unknown,
        "unknown_share": round(100 * unknown / total, 1) if total else None,
        "organisations_count": len(ranked),
        "organisations": chosen,
    }


@cached_until_rebuild
def elephant_factor(*, repository_ids: Sequence[int], since: date, until: date) -> dict:
    """The elephant factor of the chosen projects together: `{"factor" (None: no authored work
    of known organisation), "total", "known", "unknown", "unknown_share" (percent of total),
    "organisations_count", "organisations": [{organisation, count, share (percent of known)}]}`."""
    per_project = _organisation_counts(repository_ids=repository_ids, since=since, until=until)
    together: Counter = Counter()
    for counts in per_project.values():
        together.update(counts)
    return _elephant(together)


@cached_until_rebuild
def elephant_factors_by_project(
    *, repository_ids: Sequence[int], since: date, until: date
) -> list[dict]:
    """One row per chosen project: `{"repository_id", "project", "factor", "unknown_share",
    "organisations_count", "organisations" (the factor's, as text)}`."""
    names = dict(
        Repository.objects.filter(pk__in=list(repository_ids)).values_list("pk", "full_name")
    )
    per_project = _organisation_counts(repository_ids=repository_ids, since=since, until=until)
    rows = []
    for rid, name in names.items():
        found = _elephant(per_project.get(rid, Counter()))
        rows.append(
            {
                "repository_id": rid,
                "project": name,
                "factor": found["factor"],
                "unknown_share": found["unknown_share"],
                "organisations_count": found["organisations_count"],
                "organisations": ", ".join(
                    f"{o['organisation']} ({o['share']:g}%)" for o in found["organisations"]
                ),
            }
        )
    return sorted(rows, key=lambda r: r["project"].lower())
