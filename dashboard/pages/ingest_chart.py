"""The ingest page's chart: runs per week by outcome, success green and failure red."""

import datetime as dt

from ingest.models import IngestRun

from ..definitions.buckets import bucket_starts
from ..forms import Filters
from ..metrics.ingest_status import runs_by_week
from .base import Chart
from .charts import bucketed_spec, colour_series, empty_reason, period_title

RUN_DAYS = 84


def runs_chart(*, filters: Filters) -> Chart:
    """Runs per week over the twelve weeks to `until`; "not ingested yet" before any run."""
    runs = runs_by_week(until=filters.until, days=RUN_DAYS)
    since = filters.until - dt.timedelta(days=RUN_DAYS - 1)
    period = {"since": since, "until": filters.until, "interval": "week"}
    spec = bucketed_spec(
        {
            "type": "bar",
            "labels": runs["labels"],
            "datasets": colour_series(runs["datasets"], ["succeeded", "partial", "failed"]),
            "stacked": True,
            "y_title": "runs",
        },
        bucket_starts(**period),
        **period,
    )
    return Chart(
        id="chart-runs",
        title=period_title("Ingest runs by outcome", **period),
        spec=spec,
        empty_reason=empty_reason(spec, has_scope=IngestRun.objects.exists),
    )
