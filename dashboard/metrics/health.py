"""The health score per project (docs/metrics.md, "Health score").

Two steps, so that an admin's change of a weight shows on the next request while the costly
part stays cached: `health_measures_by_project` measures every input per project (cached until
the next rebuild of the derived data: the measures depend on the facts only), and
`health_by_project` applies the current weights and curves (`HealthWeight` rows over the
defaults of `dashboard.definitions.health`) to them on every call, which is one small query.
The absence factors and review wait are the risk selectors' (`metrics.risks`,
`metrics.review_load`), the flags the detectors' (`metrics.flags`); they are read, never
recomputed here.
"""

import datetime as dt
import hashlib
from collections.abc import Sequence

from django.db import connection
from django.db.models import Case, Count, F, Max, OuterRef, Subquery, When
from django.db.models.functions import TruncMonth

from ingest.models import Repository

from ..definitions.buckets import as_date, bucket_start, period_bounds
from ..definitions.health import curves_with_overrides, health_score
from ..definitions.sql import Median, SecondsBetween
from ..models import ContributionEvent, FirstContribution, HealthWeight
from .cached import cached_until_rebuild, derived_version
from .flags import flag_counts_by_project
from .review_load import review_wait_by_project
from .risks import absence_factors_by_project

RETENTION_DAYS = 90
RESPONSE_KINDS = {"issue": "response_issues", "pull_request": "response_prs"}


def _response_medians(*, ids: list[int], since: dt.date, until: dt.date) -> dict:
    """Per project and kind: the median hours to first response of the issues and pull
    requests opened in the period (as on the activity page, split by kind)."""
    start, end = period_bounds(since=since, until=until)
    if connection.vendor == "postgresql":
        medians = _response_medians_per_pair(ids=ids, start=start, end=end)
    else:
        medians = (
            ContributionEvent.objects.filter(
                repository_id__in=ids,
                kind__in=list(RESPONSE_KINDS),
                response_seconds__isnull=False,
                occurred_at__gte=start,
                occurred_at__lt=end,
            )
            .values("repository_id", "kind")
            .annotate(median=Median("response_seconds"))
            .order_by()
            .values_list("repository_id", "kind", "median")
        )
    found: dict[int, dict] = {}
    for rid, kind, median in medians:
        found.setdefault(rid, {})[RESPONSE_KINDS[kind]] = median / 3600.0
    return found


def _response_medians_per_pair(
    *, ids: list[int], start: dt.datetime, end: dt.datetime
) -> list[tuple[int, str, float]]:
    """PostgreSQL: one range of the `event_response` index per project and kind, each pair's
    median taken over its own rows: grouping them all at once sorts every row of the period
    first (tens of thousands), which costs more than the reads."""
    sql = f"""
        SELECT p.repository_id, k.kind, m.median
        FROM unnest(%s::bigint[]) AS p(repository_id)
        CROSS JOIN unnest(%s::text[]) AS k(kind)
        CROSS JOIN LATERAL (
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY e.response_seconds) AS median
            FROM {ContributionEvent._meta.db_table} e
            WHERE e.repository_id = p.repository_id AND e.kind = k.kind
              AND e.response_seconds IS NOT NULL
              AND e.occurred_at >= %s AND e.occurred_at < %s
        ) m
        WHERE m.median IS NOT NULL"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(ids), list(RESPONSE_KINDS), start, end])
        return cursor.fetchall()


def _retention_by_project(
    *, ids: list[int], since: dt.date, until: dt.date
) -> dict[int, tuple[float | None, int]]:
    """Per project: the share (percent) of its newcomers of the period, in the months already
    RETENTION_DAYS old at `until`, who contributed to it again that long after their first
    contribution, and how many newcomers that is. It is the newcomers page's retention
    (`metrics.newcomers.newcomer_retention_by_month`, narrowed to the project, kind
    "default"), pooled over those months from its rounded monthly shares, read for every
    project at once."""
    start, end = period_bounds(since=since, until=until)
    # Only the months already RETENTION_DAYS old at `until` have a share: those before the
    # month of the day after `until` less RETENTION_DAYS.
    old_enough = bucket_start(until + dt.timedelta(days=1 - RETENTION_DAYS), "month")
    firsts = FirstContribution.objects.filter(
        community=False,
        kind_group="default",
        repository_id__in=ids,
        first_at__gte=start,
        first_at__lt=min(end, period_bounds(since=old_enough, until=old_enough)[0]),
    )
    # As the newcomers page: the stored last contribution when it falls before the period's
    # end, else the last one before it, looked up.
    events = ContributionEvent.objects.filter(
        person_key=OuterRef("person_key"),
        repository_id=OuterRef("repository_id"),
        occurred_at__lt=end,
    )
    last = Case(
        When(last_at__lt=end, then=F("last_at")),
        default=Subquery(events.order_by("-occurred_at").values("occurred_at")[:1]),
    )
    inner = firsts.annotate(
        month=TruncMonth("first_at"), gap=SecondsBetween(last, F("first_at"))
    ).values("repository_id", "month", "gap")
    inner_sql, inner_params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.repository_id, t.month, COUNT(*), "
            f"SUM(CASE WHEN t.gap >= {RETENTION_DAYS * 86400} THEN 1 ELSE 0 END) "
            f"FROM ({inner_sql}) t GROUP BY t.repository_id, t.month",
            inner_params,
        )
        fetched = cursor.fetchall()
    month_field = FirstContribution._meta.get_field("first_at")
    pooled: dict[int, list[float]] = {}
    for rid, month, newcomers, retained_n in fetched:
        if isinstance(month, str):  # SQLite hands back text
            month = month_field.to_python(month)
        month = as_date(month)
        next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        if next_month - dt.timedelta(days=1) + dt.timedelta(days=RETENTION_DAYS) > until:
            continue  # not RETENTION_DAYS old yet: no share
        share = round(100.0 * int(retained_n or 0) / newcomers, 1)
        found = pooled.setdefault(rid, [0.0, 0.0])
        found[0] += newcomers
        found[1] += round(newcomers * share / 100.0)
    return {
        rid: (100.0 * retained / newcomers, int(newcomers))
        for rid, (newcomers, retained) in pooled.items()
        if newcomers
    }


@cached_until_rebuild
def health_measures_by_project(
    *, repository_ids: Sequence[int], since: dt.date, until: dt.date
) -> list[dict]:
    """Per project (by name): `{"repository_id", "project", "owner", "name", "measures":
    {input key: value or None, and details}}`, the values in the inputs' units."""
    ids = list(repository_ids)
    if not ids:
        return []
    # The risk selectors get `repository_ids` as the pages pass it (a tuple), so that their
    # cached results are shared with the risk tables of the same page.
    responses = _response_medians(ids=ids, since=since, until=until)
    absence = {
        row["repository_id"]: row
        for row in absence_factors_by_project(
            repository_ids=repository_ids, since=since, until=until
        )
    }
    waits = review_wait_by_project(repository_ids=repository_ids, until=until)
    flags = flag_counts_by_project(repository_ids=repository_ids, since=since, until=until)
    retentions = _retention_by_project(ids=ids, since=since, until=until)
    rows = []
    for repo in (
        Repository.objects.filter(id__in=ids)
        .order_by("full_name")
        .values("id", "full_name", "owner_login", "name")
    ):
        rid = repo["id"]
        retention, retention_newcomers = retentions.get(rid, (None, 0))
        factors = absence.get(rid, {})
        wait = waits.get(rid) or {}
        measures = {
            "absence_merges": factors.get("merges"),
            "absence_reviews": factors.get("reviews"),
            "absence_authored": factors.get("authored"),
            # Nothing waiting is no wait at all (the best value), not a missing one.
            "review_wait": (wait.get("median_age_days") or 0.0) if wait else None,
            "review_wait_count": wait.get("count", 0),
            "gaming_flags": flags.get(rid, 0),
            "response_issues": responses.get(rid, {}).get("response_issues"),
            "response_prs": responses.get(rid, {}).get("response_prs"),
            "newcomer_retention": retention,
            "newcomer_retention_count": retention_newcomers,
        }
        rows.append(
            {
                "repository_id": rid,
                "project": repo["full_name"],
                "owner": repo["owner_login"],
                "name": repo["name"],
                "measures": measures,
            }
        )
    return rows


def health_curves() -> dict:
    """The weights and curves in force: the defaults with the admin's rows over them."""
    rows = HealthWeight.objects.values("key", "weight", "good", "bad")
    return curves_with_overrides({row["key"]: row for row in rows})


def health_by_project(
    *, repository_ids: Sequence[int], since: dt.date, until: dt.date
) -> list[dict]:
    """Per project: `{"repository_id", "project", "owner", "name", "score" (0-100 or None),
    "grade", "colour", "reasons": [{"key", "input", "value", "unit", "sub_score", "weight",
    "effect", "reason"}]}`, reasons sorted by effect (largest loss first)."""
    curves = health_curves()
    result = []
    for row in health_measures_by_project(repository_ids=repository_ids, since=since, until=until):
        result.append(
            {
                **{k: row[k] for k in ("repository_id", "project", "owner", "name")},
                **health_score(measures=row["measures"], curves=curves),
            }
        )
    return result


def health_stamp(*, project: str, since: dt.date, until: dt.date) -> str:
    """A short fingerprint of everything a project's score depends on (the derived data's
    version, the admin's weights, the period): the badge's ETag, so a conditional request is
    answered without measuring anything."""
    weights = HealthWeight.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    identity = repr(
        (project.lower(), since, until, derived_version(), weights["n"], weights["last"])
    )
    return hashlib.sha256(identity.encode()).hexdigest()[:32]
