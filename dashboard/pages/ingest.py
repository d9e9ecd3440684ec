"""The ingest page: what the last syncs did, running syncs' progress, Sync now (staff), the
rate limit, checkpoints per scope, derived data."""

import functools

from django.utils import timezone

from ..forms import Filters
from ..metrics.ingest_status import (
    CHECKPOINT_COLUMNS,
    RUN_COLUMNS,
    bots_detected,
    derived_state,
    latest_runs,
    rate_limit,
    running_syncs,
    sync_scopes,
    sync_states,
    sync_states_by_scope,
)
from .base import Column, Page, Table
from .ingest_chart import runs_chart

KINDS = {
    "started_at": "datetime",
    "finished_at": "datetime",
    "items_written": "number",
    "requests": "number",
    "not_modified": "number",
    "rate_limit_waits": "number",
    "error_count": "number",
    "rate_limit_remaining": "number",
}


def ingest_page(*, filters: Filters) -> Page:
    return Page(
        name="ingest",
        title="Ingest",
        intro="The latest run of each organisation or repository, newest first, then those "
        "not synced yet. Times are UTC.",
        tables=[
            Table(
                id="runs",
                title="Latest run per scope",
                columns=[
                    Column(key, label, kind=KINDS.get(key, "text")) for key, label in RUN_COLUMNS
                ],
                rows=latest_runs(),
            ),
            Table(
                id="checkpoints",
                title="Checkpoints",
                columns=[
                    Column(key, label, kind="text" if key in ("scope", "resource") else "datetime")
                    for key, label in CHECKPOINT_COLUMNS
                ],
                rows=sync_states(),
                # One row per scope on the page; each resource's checkpoint in the CSV.
                preview=lambda: (
                    sync_states_by_scope(),
                    "One row per organisation or repository: the oldest 'data up to' of its "
                    "resources is what it is complete up to. The CSV has each resource's "
                    "checkpoint.",
                ),
            ),
            Table(
                id="bots",
                title="Accounts counted as bots (not contributors)",
                columns=[Column("login", "Login"), Column("reason", "Why")],
                rows=bots_detected,
                html_limit=500,
                note="A bot missing here? Add its login under Bot accounts in the admin; the "
                "derived data is rebuilt after the change.",
            ),
        ],
        charts=[runs_chart(filters=filters)],
        context={
            "rate_limit": rate_limit(),
            "derived": derived_state(),
            # Callables: the template computes them only where it shows them (HTML; scopes
            # for staff only), never for an export.
            "running": functools.partial(running_syncs, now=timezone.now()),
            "sync_scopes": sync_scopes,
        },
        template="dashboard/ingest.html",
        docs_anchor="ingest",
    )
