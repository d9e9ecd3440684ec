"""The activity page: trends per interval, with the same period last year overlaid."""

from ..forms import Filters
from ..metrics.activity import (
    ACTIVITY_METRICS,
    activity_by_interval,
    activity_last_year,
    activity_rows,
)
from .base import Chart, Column, Page, Table

CHART_GROUPS = [
    ("chart-issues", "Issues", ["issues_opened", "issues_closed"], ""),
    ("chart-prs", "Pull requests", ["prs_opened", "prs_merged", "prs_closed_unmerged"], ""),
    ("chart-commits", "Commits and reviews", ["commits", "reviews"], ""),
    ("chart-people", "Active contributors", ["active_contributors"], ""),
    (
        "chart-times",
        "Response times (median, hours)",
        ["median_first_response_hours", "median_time_to_merge_hours"],
        "hours",
    ),
]
LABELS = dict(ACTIVITY_METRICS)


def activity_charts(*, current: dict, previous: dict, prefix: str = "") -> list[Chart]:
    charts = []
    for chart_id, title, keys, y_title in CHART_GROUPS:
        datasets = []
        for key in keys:
            datasets.append({"label": LABELS[key], "data": current["metrics"][key]})
            datasets.append(
                {
                    "label": f"{LABELS[key]}, a year earlier",
                    "data": previous["metrics"][key],
                    "dash": True,
                }
            )
        charts.append(
            Chart(
                id=prefix + chart_id,
                title=title,
                spec={
                    "type": "line",
                    "labels": current["labels"],
                    "datasets": datasets,
                    "y_title": y_title,
                },
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
            f"{filters.until.isoformat()}; dashed lines: the same period a year earlier."
        ),
        tables=[activity_table(current=current)],
        charts=activity_charts(current=current, previous=previous),
        docs_anchor="activity",
    )
