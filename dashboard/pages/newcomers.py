"""The newcomers page: who made a first contribution, when, whether they came back."""

import datetime as dt

from ..definitions.contributions import KIND_GROUPS
from ..forms import Filters
from ..metrics.newcomers import (
    NEWCOMER_COLUMNS,
    RETENTION_DAYS,
    new_contributors_by_interval,
    new_contributors_by_year,
    newcomer_retention_by_month,
    newcomers_list,
    newcomers_waiting,
)
from .base import Chart, Column, Page, Table
from .charts import (
    bucket_links,
    bucketed_spec,
    colour_series,
    empty_reason,
    ingested,
    period_title,
    stacked_measures,
)

TOO_RECENT = "Too recent to tell: these months' newcomers have not yet had 30 days to come back."

KIND_GROUP_TITLES = {
    "default": "pull request or commit (authored or co-authored)",
    "any": "any contribution",
    "commit": "commit (authored or co-authored)",
    "pull_request": "pull request",
    "issue": "issue",
    "review": "review",
    "comment": "comment",
}


def newcomer_columns() -> list[Column]:
    labels = dict(NEWCOMER_COLUMNS)
    return [
        Column("first_at", labels["first_at"], kind="datetime"),
        Column(
            "login",
            labels["login"],
            href=lambda r: f"/people/{r['login']}/" if r.get("login") else None,
        ),
        Column("person", labels["person"]),
        Column("person_key", labels["person_key"]),
        Column("project", labels["project"]),
        Column("first_kind", labels["first_kind"]),
        Column("url", labels["url"], href="url"),
    ]


def newcomers_page(*, filters: Filters) -> Page:
    scope = {
        "repository_ids": filters.repository_ids,
        "narrowed": filters.narrowed,
        "kind": filters.kind_group,
    }
    period = {"since": filters.since, "until": filters.until}

    # Each part is computed only when the requested format shows it (the selectors cache
    # their results, so the chart and the table of the same numbers cost one computation).
    def per_interval():
        return new_contributors_by_interval(
            **scope, **period, interval=filters.interval, stack=filters.stack
        )

    def by_year():
        return new_contributors_by_year(**scope, until=filters.until)

    def retention():
        return newcomer_retention_by_month(**scope, **period)

    where = (
        "new to each chosen project"
        if filters.narrowed
        else "new to the community (first contribution anywhere in it)"
    )

    def charts() -> list[Chart]:
        series, years, kept = per_interval(), by_year(), retention()
        has_scope = ingested(filters.repository_ids)
        period = {"since": filters.since, "until": filters.until, "interval": filters.interval}
        per_bucket = bucketed_spec(
            {
                "type": "bar",
                "labels": series["labels"],
                "datasets": colour_series(series["datasets"], stacked_measures(series["datasets"])),
                "stacked": True,
                "y_title": "people",
            },
            series["buckets"],
            links=bucket_links("/newcomers/", filters.params, series["buckets"], **period),
            **period,
        )
        year_starts = [dt.date(r["year"], 1, 1) for r in years]
        whole = {"since": year_starts[0] if years else filters.since, "until": filters.until}
        per_year = bucketed_spec(
            {
                "type": "bar",
                "labels": [str(r["year"]) for r in years],
                "datasets": colour_series(
                    [{"label": "new contributors", "data": [r["new_contributors"] for r in years]}],
                    ["new_contributors"],
                ),
                "y_title": "people",
            },
            year_starts,
            links=bucket_links(
                "/newcomers/", filters.params, year_starts, interval="year", **whole
            ),
            interval="year",
            **whole,
        )
        months = [r["month"] for r in kept]
        by_month = {**period, "interval": "month"}
        kept_spec = bucketed_spec(
            {
                "type": "line",
                "labels": [m.strftime("%Y-%m") for m in months],
                "datasets": colour_series(
                    [
                        {"label": f"after {d} days", "data": [r[f"retained_{d}d"] for r in kept]}
                        for d in RETENTION_DAYS
                    ],
                    [f"retained_{d}d" for d in RETENTION_DAYS],
                ),
                "y_title": "% of the month's newcomers",
                "y_max": 100,
            },
            months,
            links=bucket_links("/newcomers/", filters.params, months, **by_month),
            **by_month,
        )
        return [
            Chart(
                id="chart-newcomers",
                title=period_title("New contributors", **period),
                spec=per_bucket,
                empty_reason=empty_reason(per_bucket, has_scope=has_scope),
            ),
            Chart(
                id="chart-newcomers-year",
                # Every year up to `until`, whatever `since` says: a year-on-year comparison.
                title=f"New contributors per calendar year, all years to {filters.until}",
                spec=per_year,
                empty_reason=empty_reason(per_year, has_scope=has_scope),
                note="Not limited by Since: every year up to Until, for comparison.",
            ),
            Chart(
                id="chart-retention",
                title=period_title(
                    "Retention: share of each month's newcomers active again after 30/90/180 days",
                    **by_month,
                ),
                spec=kept_spec,
                empty_reason=(
                    TOO_RECENT
                    if any(r["newcomers"] for r in kept) and empty_reason(kept_spec)
                    else empty_reason(kept_spec, has_scope=has_scope)
                ),
            ),
        ]

    tables = [
        Table(
            id="newcomers",
            title="Newcomers",
            columns=newcomer_columns(),
            rows=newcomers_list(**scope, **period),
            note="Newest first; each links to the first contribution on GitHub.",
        ),
        Table(
            id="waiting",
            title="Newcomers still waiting for a first response",
            columns=newcomer_columns(),
            rows=lambda: newcomers_waiting(**scope, **period),
            note="Their first issue or pull request is open and nobody has answered.",
        ),
        Table(
            id="years",
            title="Per year",
            columns=[
                Column("year", "Year"),
                Column("new_contributors", "New contributors", kind="number"),
                Column("change", "Change", kind="number"),
                Column("change_percent", "Change (%)", kind="number"),
                Column("complete", "Whole year"),
            ],
            rows=by_year,
        ),
        Table(
            id="retention",
            title="Retention of each month's newcomers",
            columns=[
                Column("month", "Month", kind="date"),
                Column("newcomers", "Newcomers", kind="number"),
                *(
                    Column(f"retained_{d}d", f"Active again after {d} days (%)", kind="percent")
                    for d in RETENTION_DAYS
                ),
            ],
            rows=retention,
            note="Empty while too recent to tell.",
        ),
    ]
    return Page(
        name="newcomers",
        title="New contributors",
        intro=(
            f"First contribution of kind “{KIND_GROUP_TITLES[filters.kind]}”"
            + ("" if filters.co_authors else " (authors only, co-authors not counted)")
            + f", {where}, "
            f"{filters.since.isoformat()} to {filters.until.isoformat()}."
        ),
        tables=tables,
        charts=charts,
        context={
            "kind_choices": [(k, KIND_GROUP_TITLES[k]) for k in KIND_GROUPS],
            "stack_choices": [("project", "by project"), ("kind", "by kind")],
        },
        docs_anchor="new-contributor",
    )
