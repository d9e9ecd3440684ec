"""The overview page: the community at a glance, one row per project."""

import datetime as dt

from django.urls import reverse

from ..forms import Filters
from ..metrics.overview import ACTIVE_DAYS, project_summaries, sparkline_months
from ..metrics.roles import committers_by_project
from .base import Chart, Column, Page, Table
from .charts import colour_series, empty_reason, ingested, link, period_text


def _project_url(row: dict) -> str:
    return reverse("project", kwargs={"owner": row["owner"], "name": row["name"]})


def overview_page(*, filters: Filters) -> Page:
    # Copies: the summaries are a cached selector's result, never changed in place.
    rows = [
        dict(row)
        for row in project_summaries(
            repository_ids=filters.repository_ids, since=filters.since, until=filters.until
        )
    ]
    # Roles as they stood at the end of `until` (the roles selector's as_of is exclusive).
    committers = {
        row["project"]: row
        for row in committers_by_project(
            repository_ids=list(filters.repository_ids),
            as_of=filters.until + dt.timedelta(days=1),
        )
    }
    for row in rows:
        held = committers.get(row["project"], {})
        row["committers"] = held.get("committers", 0)
        row["external_committers"] = held.get("external_committers", 0)
    year = filters.until.year
    columns = [
        Column("project", "Project", href=_project_url),
        Column("active_contributors_90d", "Active contributors (90 days)", kind="number"),
        Column("new_contributors_this_year", f"New contributors {year}", kind="number"),
        Column("new_contributors_last_year", f"New contributors {year - 1}", kind="number"),
        Column("committers", "Committers", kind="number"),
        Column("external_committers", "of them external", kind="number"),
        Column("merged_prs", "Merged pull requests", kind="number"),
        Column("median_first_response_hours", "Median first response (hours)", kind="hours"),
        Column("open_prs_unanswered", "Open PRs awaiting a first response", kind="number"),
        Column("last_activity", "Last activity", kind="datetime"),
        Column("sparkline", "Activity, last 12 months", kind="spark"),
    ]
    has_scope = ingested(filters.repository_ids)
    active = sorted(rows, key=lambda r: -r["active_contributors_90d"])[:15]
    active_from = filters.until - dt.timedelta(days=ACTIVE_DAYS - 1)
    active_spec = {
        "type": "bar",
        "labels": [r["project"] for r in active],
        "datasets": colour_series(
            [
                {
                    "label": "active contributors",
                    "data": [r["active_contributors_90d"] for r in active],
                }
            ],
            ["active_contributors"],
        ),
        "horizontal": True,
        "y_title": "people",
        "links": [
            link(_project_url(r), filters.params, repo=None, since=active_from.isoformat())
            for r in active
        ],
    }
    newest = sorted(rows, key=lambda r: -r["new_contributors_this_year"])[:15]
    year_from = max(dt.date(year, 1, 1), dt.date(1970, 1, 1))
    new_spec = {
        "type": "bar",
        "labels": [r["project"] for r in newest],
        "datasets": colour_series(
            [
                {
                    "label": "new contributors",
                    "data": [r["new_contributors_this_year"] for r in newest],
                }
            ],
            ["new_contributors"],
        ),
        "horizontal": True,
        "y_title": "people",
        "links": [
            link(
                "/newcomers/",
                filters.params,
                repo=[r["project"]],
                org=None,
                since=year_from.isoformat(),
                interval="month",
            )
            for r in newest
        ],
    }
    charts = [
        Chart(
            id="chart-active",
            title=f"Active contributors in the 90 days {period_text(active_from, filters.until)} "
            "(top 15 projects)",
            spec=active_spec,
            empty_reason=empty_reason(active_spec, has_scope=has_scope),
        ),
        Chart(
            id="chart-new",
            title=f"New contributors {period_text(year_from, filters.until)} (top 15 projects)",
            spec=new_spec,
            empty_reason=empty_reason(new_spec, has_scope=has_scope),
            note="New to each project; a bar opens that project's newcomers.",
        ),
    ]
    return Page(
        name="overview",
        title="Community overview",
        intro=(
            f"{len(rows)} projects. Merged pull requests and response times cover "
            f"{filters.since.isoformat()} to {filters.until.isoformat()}; active "
            f"contributors the 90 days to {filters.until.isoformat()}. Click a column "
            f"heading to sort."
        ),
        tables=[
            Table(id="projects", title="Projects", columns=columns, rows=rows, html_limit=1000)
        ],
        charts=charts,
        context={"spark_months": sparkline_months(until=filters.until)},
        docs_anchor="overview",
    )
