"""The ingest page: what the last syncs did, the rate limit, checkpoints, derived data."""

from ..forms import Filters
from ..metrics.ingest_status import (
    RUN_COLUMNS,
    bots_detected,
    derived_state,
    latest_runs,
    rate_limit,
    runs_by_week,
    sync_states,
)
from .base import Chart, Column, Page, Table

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
    runs = runs_by_week(until=filters.until)
    return Page(
        name="ingest",
        title="Ingest",
        intro="The latest run of each organisation or repository, newest first.",
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
                    Column("scope", "Scope"),
                    Column("resource", "Resource"),
                    Column("watermark", "Data up to", kind="datetime"),
                    Column("last_success_at", "Last success", kind="datetime"),
                ],
                rows=sync_states(),
                html_limit=500,
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
        charts=[
            Chart(
                id="chart-runs",
                title="Ingest runs per week, by outcome",
                spec={
                    "type": "bar",
                    "labels": runs["labels"],
                    "datasets": runs["datasets"],
                    "stacked": True,
                },
            )
        ],
        context={"rate_limit": rate_limit(), "derived": derived_state()},
        template="dashboard/ingest.html",
        docs_anchor="ingest",
    )
