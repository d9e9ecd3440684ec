"""What ingest last did and is doing: the latest run per scope, running syncs' progress,
checkpoints per scope, rate limit, rollup state, and the scopes a sync can be asked for."""

import datetime as dt
import math

from django.db.models import CharField, Count, F, Max, Min, Q, Value
from django.db.models.functions import Concat, Lower

from ingest.identity import BOT_LOGIN_SUFFIXES
from ingest.models import (
    Actor,
    IngestRun,
    Repository,
    SyncState,
    TrackedOrganization,
    TrackedRepository,
)

from ..definitions.buckets import bucket_label, bucket_starts, fill, period_bounds, trunc
from ..definitions.contributions import bot_logins
from ..models import DerivedState

RUN_COLUMNS = [
    ("scope", "Scope"),
    ("status", "Status"),
    ("trigger", "Trigger"),
    ("full", "Full reconcile"),
    ("started_at", "Started at"),
    ("finished_at", "Finished at"),
    ("items_written", "Items written"),
    ("requests", "API requests"),
    ("not_modified", "Not modified (304)"),
    ("rate_limit_waits", "Rate-limit waits"),
    ("error_count", "Errors"),
    ("problems", "What went wrong"),
    ("rate_limit_remaining", "Rate limit remaining"),
]


def _plain(errors) -> str:
    """Ingest stores plain-language messages; join them (objects keep their `message`)."""
    if not errors:
        return ""
    texts = []
    for error in errors if isinstance(errors, list) else [errors]:
        texts.append(str(error.get("message", error)) if isinstance(error, dict) else str(error))
    return "; ".join(texts)


# Bookkeeping rows that are not a scope's data: locks (resource `_lock`, and the derived
# data's `_derived` scope on SQLite) and the pending-rebuild rows older installations kept
# under `_rollups`. Anything whose scope or resource starts with "_" is internal.
INTERNAL_PREFIX = "_"


def _public(queryset):
    return queryset.exclude(scope__startswith=INTERNAL_PREFIX)


def latest_runs() -> list[dict]:
    """The latest ingest run of each scope (org:login or owner/name), newest first, then every
    tracked scope that was never synced (status "not synced yet")."""
    latest_ids = _public(IngestRun.objects).values("scope").annotate(last=Max("id")).values("last")
    rows = list(
        IngestRun.objects.filter(id__in=latest_ids)
        .order_by("-started_at")
        .values(*(key for key, _ in RUN_COLUMNS if key != "problems"), "errors")
    )
    for row in rows:
        row["problems"] = _plain(row.pop("errors"))
    seen = {row["scope"] for row in rows}
    rows += [
        {"scope": scope, "status": "not synced yet"} for scope in sync_scopes() if scope not in seen
    ]
    return rows


def sync_scopes() -> list[str]:
    """Every scope a sync can be asked for (one query): each active tracked organisation
    (`org:login`), then each tracked repository (listed under an organisation, or tracked on
    its own), by name."""
    orgs = (
        TrackedOrganization.objects.filter(active=True)
        .annotate(scope=Concat(Value("org:"), "login", output_field=CharField()))
        .order_by()
        .values_list("scope", flat=True)
    )
    # SQLite refuses a compound statement whose parts are ordered (the models' default order).
    listed = (
        Repository.objects.filter(tracked=True, archived=False)
        .order_by()
        .values_list("full_name", flat=True)
    )
    own = (
        TrackedRepository.objects.filter(active=True).order_by().values_list("full_name", flat=True)
    )
    scopes = set(orgs.union(listed, own))
    return sorted(scopes, key=lambda scope: (not scope.startswith("org:"), scope))


def running_syncs(*, now: dt.datetime) -> list[dict]:
    """The syncs running now, with what their last committed page recorded: items so far,
    requests, rate-limit budget left, the resource being read and, when GitHub said how many
    items it will read, an estimate of the time left for that resource (None: unknown)."""
    rows = list(
        _public(IngestRun.objects)
        .filter(status=IngestRun.Status.RUNNING)
        .order_by("started_at")
        .values(
            "scope",
            "started_at",
            "items_written",
            "requests",
            "rate_limit_remaining",
            "rate_limit_reset",
            "progress",
        )
    )
    return [_with_estimate(row, now=now) for row in rows]


def _with_estimate(row: dict, *, now: dt.datetime) -> dict:
    progress = row.pop("progress") or {}
    done, total = int(progress.get("done") or 0), progress.get("total")
    started = progress.get("resource_started_at")
    seconds_left = None
    if total is not None and started:
        elapsed = (now - dt.datetime.fromisoformat(started)).total_seconds()
        if done >= total:
            seconds_left = 0
        elif done > 0 and elapsed > 0:
            seconds_left = math.ceil((total - done) * elapsed / done)  # never 'about 0 s'
    resource = progress.get("resource") or "starting"
    row.update(
        resource=resource,
        step=progress.get("step"),
        steps=progress.get("steps"),
        done=done,
        total=total,
        seconds_left=seconds_left,
        estimate=_estimate_text(resource, done=done, total=total, seconds_left=seconds_left),
    )
    return row


def _estimate_text(resource: str, *, done: int, total: int | None, seconds_left: int | None):
    if total is None:
        return f"unknown: GitHub does not say how many {resource} this sync will read"
    if seconds_left is None:
        return f"unknown until the first page of {resource} is written"
    if seconds_left < 60:
        left = f"{seconds_left} s"
    else:
        left = f"{seconds_left // 60} min {seconds_left % 60} s"
    return f"about {left} left for {resource}; the steps after it are not estimated"


def rate_limit() -> dict | None:
    """The remaining GitHub budget as the most recent run that saw it reported."""
    return (
        IngestRun.objects.filter(rate_limit_remaining__isnull=False)
        .order_by("-started_at")
        .values("rate_limit_remaining", "rate_limit_reset", "started_at")
        .first()
    )


CHECKPOINT_COLUMNS = [
    ("scope", "Scope"),
    ("resource", "Resource"),
    ("watermark", "Data up to (oldest)"),
    ("last_success_at", "Last success (newest)"),
    ("oldest_success_at", "Last success (oldest)"),
]


def sync_states():
    """Every checkpoint (one per scope and resource; internal rows left out), for the CSV."""
    return (
        _public(SyncState.objects)
        .exclude(resource__startswith=INTERNAL_PREFIX)
        .annotate(oldest_success_at=F("last_success_at"))
        .order_by("scope", "resource")
        .values(*(key for key, _ in CHECKPOINT_COLUMNS))
    )


def sync_states_by_scope() -> list[dict]:
    """One row per scope: how many resources it checkpoints, the oldest "data up to" of them
    (what the scope is complete up to), its newest and oldest last success."""
    grouped = (
        _public(SyncState.objects)
        .exclude(resource__startswith=INTERNAL_PREFIX)
        .values("scope")
        .annotate(
            resources=Count("id"),
            oldest_watermark=Min("watermark"),
            newest_success=Max("last_success_at"),
            oldest_success=Min("last_success_at"),
        )
        .order_by("scope")
    )
    return [
        {
            "scope": row["scope"],
            "resource": f"{row['resources']} resources",
            "watermark": row["oldest_watermark"],
            "last_success_at": row["newest_success"],
            "oldest_success_at": row["oldest_success"],
        }
        for row in grouped
    ]


def derived_state() -> dict | None:
    """When the derived data was last rebuilt, how long it took, its version and events."""
    return DerivedState.objects.values("version", "rebuilt_at", "rows", "seconds").first()


def runs_by_week(*, until: dt.date, days: int = 84) -> dict:
    """Ingest runs per week over the last `days` days, stacked by outcome (chart-ready)."""
    since = until - dt.timedelta(days=days - 1)
    days_list = bucket_starts(since=since, until=until, interval="week")
    start, end = period_bounds(since=days_list[0], until=until)
    rows = list(
        IngestRun.objects.filter(started_at__gte=start, started_at__lt=end)
        .annotate(bucket=trunc("started_at", "week"))
        .values("bucket")
        .annotate(
            ok=Count("id", filter=Q(status__in=["success", "skipped"])),
            partial=Count("id", filter=Q(status__in=["partial", "running"])),
            failed=Count("id", filter=Q(status="failed")),
        )
        .order_by()
    )
    return {
        "labels": [bucket_label(d, "week") for d in days_list],
        "datasets": [
            {"label": "succeeded", "data": fill(rows, buckets=days_list, value="ok")},
            {"label": "partial / running", "data": fill(rows, buckets=days_list, value="partial")},
            {"label": "failed", "data": fill(rows, buckets=days_list, value="failed")},
        ],
    }


def bots_detected() -> list[dict]:
    """Every account counted as a bot, and why (GitHub's type, the login's ending, the
    configured list), so an admin can correct the list (admin: Bot accounts). Ingest flags
    accounts by the same rule (`ingest.identity.is_bot`); the configured list is read here too,
    for logins added since their accounts were last written."""
    configured = {login.lower() for login in bot_logins()}
    rows = []
    for login, kind in (
        Actor.objects.annotate(lower=Lower("login"))
        .filter(Q(is_bot=True) | Q(lower__in=configured))
        .order_by("login")
        .values_list("login", "type")
    ):
        lowered = login.lower()
        if kind == Actor.Type.BOT:
            why = "GitHub account type Bot"
        elif lowered in configured:
            why = "on the configured bot list"
        elif lowered.endswith(BOT_LOGIN_SUFFIXES):
            why = "login ends in " + next(s for s in BOT_LOGIN_SUFFIXES if lowered.endswith(s))
        else:
            why = "marked a bot at ingest"
        rows.append({"login": login, "reason": why})
    return rows
