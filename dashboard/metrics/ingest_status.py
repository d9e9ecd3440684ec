"""What ingest last did: the latest run per scope, checkpoints, rate limit, rollup state."""

import datetime as dt

from django.db.models import Count, Max, Q
from django.db.models.functions import Lower

from ingest.identity import BOT_LOGIN_SUFFIXES
from ingest.models import Actor, IngestRun, SyncState

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


def latest_runs() -> list[dict]:
    """The latest ingest run of each scope (org or owner/name), newest first."""
    latest_ids = IngestRun.objects.values("scope").annotate(last=Max("id")).values("last")
    rows = list(
        IngestRun.objects.filter(id__in=latest_ids)
        .order_by("-started_at")
        .values(*(key for key, _ in RUN_COLUMNS if key != "problems"), "errors")
    )
    for row in rows:
        row["problems"] = _plain(row.pop("errors"))
    return rows


def rate_limit() -> dict | None:
    """The remaining GitHub budget as the most recent run that saw it reported."""
    return (
        IngestRun.objects.filter(rate_limit_remaining__isnull=False)
        .order_by("-started_at")
        .values("rate_limit_remaining", "rate_limit_reset", "started_at")
        .first()
    )


def sync_states() -> list[dict]:
    return list(
        SyncState.objects.order_by("scope", "resource").values(
            "scope", "resource", "watermark", "last_success_at"
        )
    )


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
