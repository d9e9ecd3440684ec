"""The activity page: trends per interval, with the same period last year overlaid."""

from ..forms import Filters
from ..metrics.activity import (
    ACTIVITY_METRICS,
    activity_by_interval,
    activity_last_year,
    activity_rows,
)
from .base import Chart, Column, Page, Table
from .charts import (
    bucket_links,
    bucketed_spec,
    colour_series,
    empty_reason,
    ingested,
    period_title,
)

CHART_GROUPS = [
    ("chart-issues", "Issues", ["issues_opened", "issues_closed"], "issues"),
    (
        "chart-prs",
        "Pull requests",
        ["prs_opened", "prs_merged", "prs_closed_unmerged"],
        "pull requests",
    ),
    ("chart-commits", "Commits and reviews", ["commits", "reviews"], "commits, reviews"),
    ("chart-people", "Active contributors", ["active_contributors"], "people"),
    (
        "chart-times",
        "Response times (median)",
        ["median_first_response_hours", "median_time_to_merge_hours"],
        "hours",
    ),
]
LABELS = dict(ACTIVITY_METRICS)


def activity_charts(
    *,
    current: dict,
    previous: dict,
    filters: Filters,
    path: str = "/activity/",
    prefix: str = "",
    **link_changes,
) -> list[Chart]:
    """One chart per group of measures over the page's period; each bucket opens `path`
    filtered to it (with `link_changes` to the filters). The year-earlier twin of each series
    is dotted in the same colour."""
    period = {"since": filters.since, "until": filters.until, "interval": filters.interval}
    links = bucket_links(path, filters.params, current["buckets"], **period, **link_changes)
    has_scope = ingested(filters.repository_ids)
    charts = []
    for chart_id, title, keys, y_title in CHART_GROUPS:
        datasets, measures = [], []
        for key in keys:
            datasets.append({"label": LABELS[key], "data": current["metrics"][key]})
            datasets.append(
                {
                    "label": f"{LABELS[key]}, a year earlier",
                    "data": previous["metrics"][key],
                    "dash": True,
                }
            )
            measures += [key, key]
        spec = bucketed_spec(
            {
                "type": "line",
                "labels": current["labels"],
                "datasets": colour_series(datasets, measures),
                "y_title": y_title,
            },
            current["buckets"],
            links=links,
            **period,
        )
        charts.append(
            Chart(
                id=prefix + chart_id,
                title=period_title(title, **period) + " (dotted: a year earlier)",
                spec=spec,
                empty_reason=empty_reason(
                    {**spec, "datasets": spec["datasets"][::2]}, has_scope=has_scope
                ),
            )
        )
    return charts


def activity_table(*, current: dict) -> Table:
    columns = [Column("interval_start", "Interval start", kind="date")] + [
        Column(key, label, kind="hours" if key.endswith("hours") else "number")
        for key, label in ACTIVITY_METRICS
    ]
    return Table(
        id="activity",
        title="Per interval",
        columns=columns,
        rows=activity_rows(activity=current),
        html_limit=1000,
    )


def activity_page(*, filters: Filters) -> Page:
    args = {
        "repository_ids": filters.repository_ids,
        "since": filters.since,
        "until": filters.until,
        "interval": filters.interval,
    }
    current = activity_by_interval(**args)
    previous = activity_last_year(**args)
    return Page(
        name="activity",
        title="Activity",
        intro=(
            f"Per {filters.interval}, {filters.since.isoformat()} to "
            f"{filters.until.isoformat()}; dotted lines: the same period a year earlier; a dashed"
            " end marks a period not over yet. Click a point to open that period."
        ),
        tables=[activity_table(current=current)],
        charts=activity_charts(current=current, previous=previous, filters=filters),
        docs_anchor="activity",
    )
