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

from django.db.models import Count, Max

from ingest.models import Repository

from ..definitions.buckets import period_bounds
from ..definitions.health import curves_with_overrides, health_score
from ..definitions.sql import Median
from ..models import ContributionEvent, HealthWeight
from .cached import cached_until_rebuild, derived_version
from .flags import flag_counts_by_project
from .newcomers import newcomer_retention_by_month
from .review_load import review_wait_by_project
from .risks import absence_factors_by_project

RETENTION_DAYS = 90
RESPONSE_KINDS = {"issue": "response_issues", "pull_request": "response_prs"}


def _response_medians(*, ids: list[int], since: dt.date, until: dt.date) -> dict:
    """Per project and kind: the median hours to first response of the issues and pull
    requests opened in the period (as on the activity page, split by kind)."""
    start, end = period_bounds(since=since, until=until)
    found: dict[int, dict] = {}
    for row in (
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
    ):
        found.setdefault(row["repository_id"], {})[RESPONSE_KINDS[row["kind"]]] = (
            row["median"] / 3600.0
        )
    return found


def _retention(*, repository_id: int, since: dt.date, until: dt.date) -> tuple[float | None, int]:
    """The share (percent) of the project's newcomers of the period, in the months already
    RETENTION_DAYS old at `until`, who contributed again that long after their first
    contribution (the newcomers page's retention, pooled over those months); and how many
    newcomers that is."""
    newcomers = retained = 0.0
    for month in newcomer_retention_by_month(
        repository_ids=[repository_id], narrowed=True, kind="default", since=since, until=until
    ):
        share = month[f"retained_{RETENTION_DAYS}d"]
        if share is None:
            continue
        newcomers += month["newcomers"]
        retained += round(month["newcomers"] * share / 100.0)
    if not newcomers:
        return None, 0
    return 100.0 * retained / newcomers, int(newcomers)


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
    rows = []
    for repo in (
        Repository.objects.filter(id__in=ids)
        .order_by("full_name")
        .values("id", "full_name", "owner_login", "name")
    ):
        rid = repo["id"]
        retention, retention_newcomers = _retention(repository_id=rid, since=since, until=until)
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
