"""Dependency risks (docs/metrics.md, "Risks"): absence factors and elephant factors.

The absence (bus) factor of a body of work is the smallest number of people who together did
at least half of it (CHAOSS "Contributor Absence Factor"); it is counted apart for authored work (commits and pull requests
authored), reviews (given on other people's pull requests) and merges (who clicked merge).
The elephant factor is the same over organisations, for authored work, each contribution
counted for the organisation its author worked for on its day; people of unknown
organisation are shown beside it, never counted as an organisation. Bots never count.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Max, QuerySet, Sum

from ingest.models import AffiliationOverride, Repository

from ..definitions import organisations
from ..definitions.buckets import (
    as_date,
    bucket_label,
    bucket_next,
    bucket_start,
    bucket_starts,
    period_bounds,
    trunc,
    trunc_date,
)
from ..definitions.contributions import LOGIN_PREFIX, login_of_person_key
from ..definitions.risk_work import AUTHORED_KINDS, TIME_FIELDS, WORKS, bot_actor_ids, work_items
from ..models import ContributionEvent, OrganisationMonth, PersonOrganisation, RiskMonth
from .cached import cached_in_scope, cached_until_rebuild

# Re-exported: the risk figures' kinds of work, and the bot accounts the waits leave out.
__all__ = ["AUTHORED_KINDS", "WORKS", "bot_actor_ids"]

WORK_TITLES = {
    "authored": "authored work (commits and pull requests)",
    "reviews": "reviews given",
    "merges": "merges",
}
# A project's merges depend on one person when one person merged at least half of them
# (merges' absence factor 1), once the period has at least this many merges.
MERGE_DEPENDENCY_MIN_MERGES = 5
# Intervals whose buckets are made of whole months: their whole months are read from the
# monthly rollup.
MONTHLY_INTERVALS = ("month", "quarter", "year")


def _work(work: str, *, repository_ids: Sequence[int], since: date, until: date) -> QuerySet:
    """The period's items of one kind of work, each with `person` (its person key)."""
    start, end = period_bounds(since=since, until=until)
    return work_items(work, repository_ids=repository_ids, start=start, end=end)


def _whole_months(*, since: date, until: date) -> tuple[date, date] | None:
    """The first day of the period's first whole month and the first day after its last
    (None: no whole month)."""
    first = since if since.day == 1 else bucket_next(bucket_start(since, "month"), "month")
    after = until + timedelta(days=1)
    last = after if after.day == 1 else bucket_start(after, "month")
    if first is None or last is None or first >= last:
        return None
    return first, last


# Whole figures are read by month: the default interval, so the page's chart and every
# figure of the period share one read.
WHOLE = "month"


def work_counts(
    work: str, *, repository_ids: Sequence[int], since: date, until: date, interval: str
) -> list[tuple[int, str, date, int]]:
    """The period's items of one kind of work per project, person and bucket of `interval`:
    one grouped read that every figure of the work is summed from. Whole months are read from
    the monthly rollup (`RiskMonth`), the cut ones from the facts. Reviews and merges (a few
    thousand rows, summed by the risk and the review-load figures) are kept for the rest of
    the request (`cached_in_scope`: the figures summed from them are cached, the rows would
    cost more to pickle than to read again); authored work (tens of thousands) is read by the
    one computation that sums it."""
    period = {
        "work": work,
        "repository_ids": tuple(sorted(int(i) for i in repository_ids)),
        "since": since,
        "until": until,
        "interval": interval,
    }
    if work == "authored":
        return _work_counts(**period)
    return _work_counts_kept(**period)


def _work_counts(
    *, work: str, repository_ids: tuple[int, ...], since: date, until: date, interval: str
) -> list[tuple[int, str, date, int]]:
    months = _whole_months(since=since, until=until) if interval in MONTHLY_INTERVALS else None
    if months is None:
        return _read_grouped(
            _grouped(
                _work(work, repository_ids=repository_ids, since=since, until=until),
                TIME_FIELDS[work],
                interval,
            )
        )
    first, last = months
    # The whole months from the rollup, the cut first and last months from the facts.
    stored = RiskMonth.objects.filter(
        work=work, repository_id__in=list(repository_ids), month__gte=first, month__lt=last
    )
    if interval == "month":
        found = _read_grouped(stored.values_list("repository_id", "person", "month", "items"))
    else:
        found = _read_grouped(
            stored.annotate(bucket=trunc_date("month", interval))
            .values("repository_id", "person", "bucket")
            .annotate(n=Sum("items"))
            .order_by()
            .values_list("repository_id", "person", "bucket", "n")
        )
    start, end = period_bounds(since=since, until=until)
    first_at, last_at = period_bounds(since=first, until=last - timedelta(days=1))
    cut = [
        _grouped(
            work_items(work, repository_ids=repository_ids, start=cut_start, end=cut_end),
            TIME_FIELDS[work],
            interval,
        )
        for cut_start, cut_end in ((start, first_at), (last_at, end))
        if cut_start < cut_end
    ]
    # Both cut months in one statement.
    edges = _read_grouped(cut[0].union(*cut[1:], all=True)) if cut else []
    if not edges:
        return found
    if interval == "month":  # a cut month is no whole month: no bucket is in both
        return found + edges
    summed: Counter = Counter()
    for rid, person, bucket, n in found + edges:
        summed[(rid, person, bucket)] += n
    return [(rid, person, bucket, n) for (rid, person, bucket), n in summed.items()]


_work_counts_kept = cached_in_scope(_work_counts)


def _grouped(items: QuerySet, field: str, interval: str) -> QuerySet:
    return (
        items.annotate(bucket=trunc(field, interval))
        .values("repository_id", "person", "bucket")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("repository_id", "person", "bucket", "n")
    )


def _read_grouped(grouped: QuerySet) -> list[tuple[int, str, date, int]]:
    """(project, person, bucket, items) rows: tens of thousands, read by the cursor, each
    distinct bucket converted once (SQLite gives it as text, PostgreSQL as a date or a
    timestamp)."""
    select, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        found = cursor.fetchall()
    buckets = {
        raw: date.fromisoformat(raw[:10]) if isinstance(raw, str) else as_date(raw)
        for raw in {row[2] for row in found}
    }
    if all(raw is bucket for raw, bucket in buckets.items()):
        return found  # the database gave dates already (a rollup's months)
    return [(rid, person, buckets[raw], n) for rid, person, raw, n in found]


def _majority(counts: dict[str, int]) -> tuple[list[tuple[str, int]], int]:
    """The fewest people (most items first; ties by key) whose items make up at least half of
    all (CHAOSS: added up, most first, until they reach 50%), and the total."""
    total = sum(counts.values())
    # How many, from the counts alone (sorting plain numbers), then who: those above the
    # last one's count, and of those at it the first by key.
    size, running, last = 0, 0, 0
    for n in sorted(counts.values(), reverse=True):
        if 2 * running >= total:
            break
        size, running, last = size + 1, running + n, n
    if not size:
        return [], total
    above = sorted(((p, n) for p, n in counts.items() if n > last), key=lambda x: (-x[1], x[0]))
    at_last = sorted(p for p, n in counts.items() if n == last)[: size - len(above)]
    return above + [(p, last) for p in at_last], total


def _shown_names(person_keys: Iterable[str]) -> dict[str, str]:
    """How people without a GitHub login are shown: their git name (never an address)."""
    unnamed = sorted({key for key in person_keys if not login_of_person_key(key)})
    if not unnamed:
        return {}
    return dict(
        ContributionEvent.objects.filter(person_key__in=unnamed)
        .values("person_key")
        .annotate(name=Max("name"))
        .values_list("person_key", "name")
    )


def _named(factors: Iterable[dict]) -> None:
    """Shows the factors' people without a login by their git name."""
    factors = list(factors)
    names = _shown_names(p["person_key"] for f in factors for p in f["people"] if not p["login"])
    for found in factors:
        for person in found["people"]:
            if not person["login"]:
                person["person"] = names.get(person["person_key"]) or person["person_key"]


def _factor(work: str, counts: dict[str, int]) -> dict:
    chosen, total = _majority(counts)
    return {
        "work": work,
        "factor": len(chosen) or None,
        "total": total,
        "people_count": len(counts),
        "people": [
            {
                "person_key": person,
                "login": login_of_person_key(person),
                "person": login_of_person_key(person) or person,
                "count": n,
                "share": round(100 * n / total, 1),
            }
            for person, n in chosen
        ],
    }


def _factors(work: str, groups: dict) -> dict:
    """`_factor` of each group's per-person counts, the named people's names read once."""
    found = {key: _factor(work, counts) for key, counts in groups.items()}
    _named(found.values())
    return found


def _by(rows: list[tuple], key) -> dict:
    groups: dict = defaultdict(Counter)
    for row in rows:
        groups[key(row)][row[1]] += row[3]
    return groups


def merge_dependency(*, merges_factor: int | None, merges_total: int) -> bool:
    """The rule for "merges depend on one person" (docs/metrics.md, "Merge dependency")."""
    return merges_factor == 1 and merges_total >= MERGE_DEPENDENCY_MIN_MERGES


def _series(found: dict, buckets: list[date], interval: str) -> dict:
    return {
        "labels": [bucket_label(b, interval) for b in buckets],
        "buckets": buckets,
        "values": [found[b]["factor"] if b in found else None for b in buckets],
        "totals": [found[b]["total"] if b in found else 0 for b in buckets],
    }


def _project_rows(names: dict[int, str], per_work: dict[str, dict]) -> list[dict]:
    rows = []
    for rid, name in names.items():
        row = {"repository_id": rid, "project": name}
        for work in WORKS:
            found = per_work[work].get(rid)
            row[work] = found["factor"] if found else None
            row[f"{work}_total"] = found["total"] if found else 0
            row[f"{work}_people"] = (
                ", ".join(f"{p['person']} ({p['share']:g}%)" for p in found["people"])
                if found
                else ""
            )
        merges = per_work["merges"].get(rid)
        top = merges["people"][0] if merges and merges["people"] else None
        row["top_merger"] = top["login"] if top else ""
        row["top_merger_share"] = top["share"] if top else None
        row["merge_dependency"] = merge_dependency(
            merges_factor=row["merges"], merges_total=row["merges_total"]
        )
        rows.append(row)
    return sorted(rows, key=lambda r: r["project"].lower())


def _project_names(repository_ids: Sequence[int]) -> dict[int, str]:
    return dict(
        Repository.objects.filter(pk__in=list(repository_ids)).values_list("pk", "full_name")
    )


@cached_until_rebuild
def absence_factor(*, repository_ids: Sequence[int], since: date, until: date, work: str) -> dict:
    """The absence factor of one kind of work over the chosen projects together:
    `{"work", "factor" (None: no such work), "total", "people_count", "people": [{person_key,
    login, person, count, share (percent of total)}]}`, the people being the factor's."""
    rows = work_counts(
        work, repository_ids=repository_ids, since=since, until=until, interval=WHOLE
    )
    return _factors(work, {0: _by(rows, lambda r: 0).get(0, Counter())})[0]


@cached_until_rebuild
def absence_factor_by_interval(
    *, repository_ids: Sequence[int], since: date, until: date, interval: str, work: str
) -> dict:
    """Per bucket of the period: `{"labels", "buckets" (first days), "values" (the factor,
    None for a bucket without such work), "totals"}`."""
    rows = work_counts(
        work, repository_ids=repository_ids, since=since, until=until, interval=interval
    )
    found = _factors(work, _by(rows, lambda r: r[2]))
    return _series(found, bucket_starts(since=since, until=until, interval=interval), interval)


def absence_factors_by_project(
    *, repository_ids: Sequence[int], since: date, until: date
) -> list[dict]:
    """One row per project (all chosen ones, by name): the three absence factors (None: no
    such work), the work's totals (`<work>_total`) and people (`<work>_people`, as text), the
    top merger and their share, and `merge_dependency` (`risks_overview`'s, by month: the
    risks page's default, so its figures are computed once for both)."""
    return risks_overview(repository_ids=repository_ids, since=since, until=until, interval=WHOLE)[
        "projects"
    ]


@cached_until_rebuild
def risks_overview(
    *, repository_ids: Sequence[int], since: date, until: date, interval: str
) -> dict:
    """Everything the risks page shows of absence and elephant factors, from one grouped read
    per kind of work (by month; another for the trend when `interval` is not the month):
    `{"absence": {work: absence_factor's}, "trend": {work: absence_factor_by_interval's},
    "projects": absence_factors_by_project's, "elephant": elephant_factor's,
    "elephant_projects": {repository id: elephant figures}}`."""
    buckets = bucket_starts(since=since, until=until, interval=interval)
    period = {"repository_ids": repository_ids, "since": since, "until": until}
    absence, trend, per_work = {}, {}, {}
    authored = []
    for work in WORKS:
        rows = work_counts(work, **period, interval=WHOLE)
        if work == "authored":
            authored = rows
        # Sums per person in plain int dictionaries: a Counter's missing keys go through
        # Python, and a year has tens of thousands of people.
        whole: dict = defaultdict(int)
        per_project: dict = defaultdict(lambda: defaultdict(int))
        per_bucket: dict = defaultdict(lambda: defaultdict(int))
        for rid, person, bucket, n in rows:
            whole[person] += n
            per_project[rid][person] += n
            per_bucket[bucket][person] += n
        if interval != WHOLE:
            per_bucket = defaultdict(lambda: defaultdict(int))
            for _, person, bucket, n in work_counts(work, **period, interval=interval):
                per_bucket[bucket][person] += n
        absence[work] = _factor(work, whole)
        in_buckets = {b: _factor(work, c) for b, c in per_bucket.items()}
        per_work[work] = {rid: _factor(work, c) for rid, c in per_project.items()}
        _named([absence[work], *in_buckets.values(), *per_work[work].values()])
        trend[work] = _series(in_buckets, buckets, interval)
    names = _project_names(repository_ids)
    organisations_per_project = _organisation_counts(authored, **period)
    together: Counter = Counter()
    for counts in organisations_per_project.values():
        together.update(counts)
    return {
        "absence": absence,
        "trend": trend,
        "projects": _project_rows(names, per_work),
        "elephant": _elephant(together),
        "elephant_projects": {
            rid: _elephant(organisations_per_project.get(rid, Counter())) for rid in names
        },
    }


# --- elephant factor ------------------------------------------------------------------------


def _organisation_counts(
    rows: list[tuple[int, str, date, int]],
    *,
    repository_ids: Sequence[int],
    since: date,
    until: date,
) -> dict[int, Counter]:
    """Authored work per project and organisation (UNKNOWN: not known), each item counted for
    its author's organisation on its day: the whole months from the OrganisationMonth rollup,
    the cut first and last months summed alike from the facts, and the people whose
    organisation can differ between days read day by day. `rows` are the period's authored
    rows (work_counts'), whose people are the period's authors."""
    dated_logins = set(
        PersonOrganisation.objects.filter(dated=True).values_list("login", flat=True)
    )
    if _overridden_logins() - dated_logins:
        # An override saved since the last rebuild counts at once: the rollup still holds
        # that person under their profile's organisation.
        return _organisation_counts_live(
            rows, repository_ids=repository_ids, since=since, until=until
        )
    ids = list(repository_ids)
    counts: dict[int, Counter] = defaultdict(Counter)
    start, end = period_bounds(since=since, until=until)
    cuts = [(start, end)]
    months = _whole_months(since=since, until=until)
    if months is not None:
        first, last = months
        for rid, organisation, n in (
            OrganisationMonth.objects.filter(
                repository_id__in=ids, month__gte=first, month__lt=last
            )
            .values("repository_id", "organisation")
            .annotate(n=Sum("items"))
            .order_by()
            .values_list("repository_id", "organisation", "n")
        ):
            counts[rid][organisation] += n
        first_at, last_at = period_bounds(since=first, until=last - timedelta(days=1))
        cuts = [(start, first_at), (last_at, end)]
    # The cut months' items per project and person, both cuts in one statement (one join).
    selects, params = [], []
    for cut_start, cut_end in cuts:
        if cut_start < cut_end:
            items = (
                work_items("authored", repository_ids=ids, start=cut_start, end=cut_end)
                .values("repository_id", "person")
                .annotate(n=Count("*"))
                .order_by()
            )
            select, cut_params = items.query.sql_with_params()
            selects.append(select)
            params += cut_params
    if selects:
        summed = organisations.profile_organisation_sums_sql(
            " UNION ALL ".join(selects), by_month=False
        )
        with connection.cursor() as cursor:
            cursor.execute(summed, params)
            for rid, organisation, n in cursor.fetchall():
                counts[rid][organisation] += n
    if dated_logins:
        cut = len(LOGIN_PREFIX)
        dated = {
            key
            for key in {row[1] for row in rows}
            if key.startswith(LOGIN_PREFIX) and key[cut:].lower() in dated_logins
        }
        _count_day_by_day(counts, dated, repository_ids=ids, since=since, until=until)
    return counts


def _overridden_logins() -> set[str]:
    """The lower-cased logins an admin's override names, as they are now."""
    return {
        login.lower()
        for login in AffiliationOverride.objects.exclude(login="").values_list("login", flat=True)
    }


def _count_day_by_day(
    counts: dict[int, Counter],
    person_keys: set[str],
    *,
    repository_ids: Sequence[int],
    since: date,
    until: date,
) -> None:
    """Adds these people's authored items to `counts`, each for their organisation on its
    day (the evidence read as it is now)."""
    if not person_keys:
        return
    logins = {login_of_person_key(key).lower() for key in person_keys}
    evidence = organisations.organisation_evidence(logins=logins)
    items = _work("authored", repository_ids=repository_ids, since=since, until=until)
    for rid, key, day, n in (
        items.filter(person_key__in=sorted(person_keys))
        .annotate(day=trunc("occurred_at", "day"))
        .values("repository_id", "person_key", "day")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("repository_id", "person_key", "day", "n")
    ):
        found = evidence.get(login_of_person_key(key).lower())  # None: an override removed
        counts[rid][
            organisations.organisation_on(day=as_date(day), evidence=found)
            if found is not None
            else organisations.UNKNOWN
        ] += n


def _organisation_counts_live(
    rows: list[tuple[int, str, date, int]],
    *,
    repository_ids: Sequence[int],
    since: date,
    until: date,
) -> dict[int, Counter]:
    """`_organisation_counts` from the period's authored `rows` and each author's profile
    organisation, not from the rollup (which predates an override saved since)."""
    cut = len(LOGIN_PREFIX)  # login_of_person_key, inlined: tens of thousands of people
    lower = {
        key: key[cut:].lower() if key.startswith(LOGIN_PREFIX) else ""
        for key in {row[1] for row in rows}
    }
    profiles, dated_logins = _organisations(set(lower.values()) - {""})
    dated = {key for key, login in lower.items() if login in dated_logins}
    unknown = organisations.UNKNOWN
    # Each person's organisation once (None: read day by day below), then one pass.
    organisation_of = {
        key: None if key in dated else profiles.get(login) or unknown
        for key, login in lower.items()
    }
    summed: dict = defaultdict(int)  # (project, organisation) -> items
    for rid, key, _, n in rows:
        organisation = organisation_of[key]
        if organisation is not None:
            summed[(rid, organisation)] += n
    counts: dict[int, Counter] = defaultdict(Counter)
    for (rid, organisation), n in summed.items():
        counts[rid][organisation] = n
    _count_day_by_day(counts, dated, repository_ids=repository_ids, since=since, until=until)
    return counts


def _organisations(logins: set[str]) -> tuple[dict[str, str], set[str]]:
    """Of these lower-cased logins: the organisation of those whose answer is the same every
    day (their profile's, from the rollup), and those whose answer can differ between days
    (e-mail domain spells or an admin's override, the overrides read as they are now)."""
    if not logins:
        return {}, set()
    rows = PersonOrganisation.objects.all()
    if len(logins) <= organisations.MATCH_BY_LOGIN:
        rows = rows.filter(login__in=sorted(logins))
    select, params = rows.values_list("login", "organisation", "dated").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        found = cursor.fetchall()
    profiles = {login: organisation for login, organisation, is_dated in found if not is_dated}
    dated = {login for login, _, is_dated in found if is_dated and login in logins}
    return profiles, dated | (_overridden_logins() & logins)


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
        if 2 * running >= known:
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
    "organisations_count", "organisations": [{organisation, count, share (percent of known)}]}`
    (`risks_overview`'s)."""
    return risks_overview(repository_ids=repository_ids, since=since, until=until, interval=WHOLE)[
        "elephant"
    ]


@cached_until_rebuild
def elephant_factors_by_project(
    *, repository_ids: Sequence[int], since: date, until: date
) -> list[dict]:
    """One row per chosen project: `{"repository_id", "project", "factor", "unknown_share",
    "organisations_count", "organisations" (the factor's, as text)}`."""
    overview = risks_overview(
        repository_ids=repository_ids, since=since, until=until, interval=WHOLE
    )
    names = _project_names(repository_ids)
    rows = []
    for rid, name in names.items():
        found = overview["elephant_projects"][rid]
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
