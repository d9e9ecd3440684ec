"""The risks page: which projects depend on a few people or organisations, and who carries
the review load (docs/metrics.md, "Risks"). A project page shows the same for one project
(`risk_tables` and `risk_charts`, with `prefix` keeping its table ids apart)."""

from ..forms import Filters
from ..metrics.review_load import (
    maintainer_load_by_month,
    review_load_by_person,
    review_wait,
    review_wait_by_project,
    top_reviewer_share,
    top_reviewer_share_by_project,
    waiting_rows,
)
from ..metrics.risks import (
    MERGE_DEPENDENCY_MIN_MERGES,
    WORK_TITLES,
    WORKS,
    merge_dependency,
    risks_overview,
)
from .base import Chart, Column, Page, Table
from .charts import (
    bucket_links,
    bucketed_spec,
    colour_series,
    empty_reason,
    link,
    period_text,
    period_title,
)
from .flags import flag_tables
from .health import health_community_table

DOCS = "/docs/metrics/"


def _person_href(row: dict) -> str | None:
    return f"/people/{row['login']}/" if row.get("login") else None


def _project_href(row: dict) -> str:
    return f"/projects/{row['project']}/"


def _fmt(value, suffix: str = "") -> str:
    return "–" if value is None else f"{value:g}{suffix}"


def _overview(filters: Filters) -> dict:
    return risks_overview(
        repository_ids=filters.repository_ids,
        since=filters.since,
        until=filters.until,
        interval=filters.interval,
    )


def risk_summary(*, filters: Filters) -> str:
    """One sentence with the headline figures of the chosen projects together."""
    period = {
        "repository_ids": filters.repository_ids,
        "since": filters.since,
        "until": filters.until,
    }
    overview = _overview(filters)
    factors, elephant = overview["absence"], overview["elephant"]
    wait = review_wait(repository_ids=filters.repository_ids, until=filters.until)
    top = top_reviewer_share(**period)
    dependent = merge_dependency(
        merges_factor=factors["merges"]["factor"], merges_total=factors["merges"]["total"]
    )
    return (
        f"{filters.since.isoformat()} to {filters.until.isoformat()}: absence factor "
        f"{_fmt(factors['authored']['factor'])} for authored work, "
        f"{_fmt(factors['reviews']['factor'])} for reviews, "
        f"{_fmt(factors['merges']['factor'])} for merges"
        + (" (merges depend on one person)" if dependent else "")
        + f"; elephant factor {_fmt(elephant['factor'])} "
        f"(organisation unknown for {_fmt(elephant['unknown_share'], '%')} of authored work); "
        f"{wait['count']} pull requests wait for a first review"
        + (f" (median age {wait['median_age_days']:g} days)" if wait["count"] else "")
        + (
            f"; the top reviewer, {top['login']}, gave {top['share']:g}% of reviews."
            if top["login"]
            else "."
        )
    )


def _waiting_preview(filters: Filters, shown: int = 50) -> tuple[list[dict], str]:
    """The oldest waiting pull requests for the page (the CSV streams them all)."""
    rows = list(
        waiting_rows(repository_ids=filters.repository_ids, until=filters.until, limit=shown + 1)
    )
    more = f"Showing the {shown} oldest; the CSV has all of them." if len(rows) > shown else ""
    return rows[:shown], more


def risk_tables(
    *, filters: Filters, prefix: str = "", per_project: bool = True, section: str = ""
) -> list[Table]:
    """The risk tables for the chosen projects (a list: other risk signals append theirs);
    `section` heads each title (a project page's "Risks: …")."""
    period = {
        "repository_ids": filters.repository_ids,
        "since": filters.since,
        "until": filters.until,
    }

    def absence_rows():
        for work in WORKS:
            found = _overview(filters)["absence"][work]
            yield {
                "work": WORK_TITLES[work],
                "factor": found["factor"],
                "total": found["total"],
                "people_count": found["people_count"],
                "people": ", ".join(f"{p['person']} ({p['share']:g}%)" for p in found["people"]),
                "flag": (
                    "merges depend on one person"
                    if work == "merges"
                    and merge_dependency(merges_factor=found["factor"], merges_total=found["total"])
                    else ""
                ),
            }

    def people_rows():
        for work in WORKS:
            for person in _overview(filters)["absence"][work]["people"]:
                yield {"work": WORK_TITLES[work], **person}

    def project_rows():
        overview = _overview(filters)
        elephants = overview["elephant_projects"]
        waits = review_wait_by_project(repository_ids=filters.repository_ids, until=filters.until)
        tops = top_reviewer_share_by_project(**period)
        for row in overview["projects"]:
            rid = row["repository_id"]
            yield {
                "project": row["project"],
                "authored": row["authored"],
                "reviews": row["reviews"],
                "merges": row["merges"],
                "merge_dependency": "merges depend on one person"
                if row["merge_dependency"]
                else "",
                "top_merger": row["top_merger"],
                "top_merger_share": row["top_merger_share"],
                "elephant": elephants[rid]["factor"],
                "unknown_share": elephants[rid]["unknown_share"],
                "waiting": waits[rid]["count"],
                "median_wait_days": waits[rid]["median_age_days"],
                "top_reviewer": tops[rid]["login"] or "",
                "top_reviewer_share": tops[rid]["share"],
            }

    def organisation_rows():
        found = _overview(filters)["elephant"]
        yield from found["organisations"]
        if found["unknown"]:
            yield {
                "organisation": "(unknown: not an organisation)",
                "count": found["unknown"],
                "share": None,
            }

    def trend_rows():
        series = _overview(filters)["trend"]
        for i, bucket in enumerate(series["authored"]["buckets"]):
            yield {
                "bucket": bucket,
                **{work: series[work]["values"][i] for work in WORKS},
                **{f"{work}_total": series[work]["totals"][i] for work in WORKS},
            }

    tables = [
        Table(
            id=f"{prefix}absence",
            title="Absence (bus) factor",
            columns=[
                Column("work", "Work"),
                Column("factor", "Absence factor", kind="number"),
                Column("total", "Items", kind="number"),
                Column("people_count", "People who did any", kind="number"),
                Column("people", "The people making up at least half (share)"),
                Column("flag", "Flag"),
            ],
            rows=lambda: list(absence_rows()),
            note="The fewest people who together did at least half of each kind of work; "
            "1 or 2 means the work stops if they leave. Merges are flagged when one person "
            "merged at least half of the period's merged pull requests (once there are "
            f"{MERGE_DEPENDENCY_MIN_MERGES} or more), however broad the authorship. Defined: "
            f"{DOCS}#absence-factor",
            sortable=False,
        ),
        Table(
            id=f"{prefix}absence_people",
            title="The people behind the absence factors",
            columns=[
                Column("work", "Work"),
                Column("login", "GitHub login", href=_person_href),
                Column("person", "Person"),
                Column("person_key", "Person key"),
                Column("count", "Items", kind="number"),
                Column("share", "Share of the work (%)", kind="percent"),
            ],
            rows=lambda: list(people_rows()),
            note="Per kind of work, the fewest people who did at least half of it, most "
            "first. Defined: " + DOCS + "#absence-factor",
        ),
    ]
    if per_project:
        tables.append(
            Table(
                id=f"{prefix}projects",
                title="Risks per project",
                columns=[
                    Column("project", "Project", href=_project_href),
                    Column("authored", "Absence factor: authored", kind="number"),
                    Column("reviews", "Absence factor: reviews", kind="number"),
                    Column("merges", "Absence factor: merges", kind="number"),
                    Column("merge_dependency", "Flag"),
                    Column("top_merger", "Top merger"),
                    Column("top_merger_share", "Top merger's share (%)", kind="percent"),
                    Column("elephant", "Elephant factor", kind="number"),
                    Column("unknown_share", "Organisation unknown (%)", kind="percent"),
                    Column("waiting", "PRs waiting for a first review", kind="number"),
                    Column("median_wait_days", "Their median age (days)", kind="number"),
                    Column("top_reviewer", "Top reviewer"),
                    Column("top_reviewer_share", "Top reviewer's share (%)", kind="percent"),
                ],
                rows=lambda: list(project_rows()),
                note="Every chosen project; empty cells: no such work in the period. "
                f"Defined: {DOCS}#risks",
            )
        )
    tables += [
        Table(
            id=f"{prefix}elephant",
            title="Elephant factor: organisations",
            columns=[
                Column("organisation", "Organisation"),
                Column("count", "Authored items", kind="number"),
                Column("share", "Share of known (%)", kind="percent"),
            ],
            rows=lambda: list(organisation_rows()),
            note="The fewest organisations whose people did at least half of the authored "
            "work of known organisation (each item counted for its author's organisation on "
            "its day), and the work of unknown organisation beside them. Defined: "
            f"{DOCS}#elephant-factor",
        ),
        Table(
            id=f"{prefix}trend",
            title=f"Absence factors per {filters.interval}",
            columns=[
                Column("bucket", filters.interval.capitalize(), kind="date"),
                *(Column(work, f"Absence factor: {work}", kind="number") for work in WORKS),
                *(Column(f"{work}_total", f"Items: {work}", kind="number") for work in WORKS),
            ],
            rows=lambda: list(trend_rows()),
            note="Empty: no such work in that " + filters.interval + ".",
        ),
        Table(
            id=f"{prefix}load",
            title="Who carries the load",
            columns=[
                Column("login", "GitHub login", href=_person_href),
                Column("maintainer", "Maintainer"),
                Column("reviews", "Reviews given", kind="number"),
                Column("review_share", "Share of reviews (%)", kind="percent"),
                Column("merges", "Merges", kind="number"),
                Column("merge_share", "Share of merges (%)", kind="percent"),
                Column("projects", "Projects", kind="number"),
            ],
            rows=lambda: review_load_by_person(**period),
            html_limit=50,
            note="Everyone who reviewed someone else's pull request or merged one in the "
            "period, most work first; maintainers have write access. Defined: "
            f"{DOCS}#review-load",
        ),
        Table(
            id=f"{prefix}maintainer_months",
            title="Maintainers' reviews and merges per month",
            columns=[
                Column("month", "Month", kind="date"),
                Column("login", "GitHub login", href=_person_href),
                Column("reviews", "Reviews given", kind="number"),
                Column("merges", "Merges", kind="number"),
            ],
            rows=lambda: maintainer_load_by_month(**period),
            html_limit=50,
            note="Months without any are not listed. Defined: " + DOCS + "#review-load",
        ),
        Table(
            id=f"{prefix}waiting",
            title="Pull requests waiting for a first review",
            columns=[
                Column("project", "Project", href=_project_href),
                Column("number", "Pull request", href="url"),
                Column("title", "Title"),
                Column("author", "Author", href=lambda r: f"/people/{r['author']}/"),
                Column("opened_at", "Opened", kind="datetime"),
                Column("age_days", "Waiting (days)", kind="number"),
                Column("url", "On GitHub", href="url"),
            ],
            rows=lambda: waiting_rows(repository_ids=filters.repository_ids, until=filters.until),
            preview=lambda: _waiting_preview(filters),
            note=f"Open on {filters.until.isoformat()} (not drafts), and nobody but the author "
            "has reviewed them; oldest first. Defined: " + DOCS + "#review-wait",
        ),
    ]
    for table in tables:
        table.title = section + table.title
    return tables


def risk_charts(*, filters: Filters, prefix: str = "", section: str = "") -> list[Chart]:
    period = {
        "repository_ids": filters.repository_ids,
        "since": filters.since,
        "until": filters.until,
    }
    series = _overview(filters)["trend"]
    load = review_load_by_person(**period)[:10]
    within = {"since": filters.since, "until": filters.until, "interval": filters.interval}
    buckets = series["authored"]["buckets"]
    absence = bucketed_spec(
        {
            "type": "line",
            "labels": series["authored"]["labels"],
            "datasets": colour_series(
                [{"label": WORK_TITLES[work], "data": series[work]["values"]} for work in WORKS],
                list(WORKS),
            ),
            "y_title": "people",
        },
        buckets,
        links=bucket_links("/risks/", filters.params, buckets, **within),
        **within,
    )
    load_spec = {
        "type": "bar",
        "labels": [r["login"] for r in load],
        "datasets": colour_series(
            [
                {"label": "reviews given", "data": [r["reviews"] for r in load]},
                {"label": "merges", "data": [r["merges"] for r in load]},
            ],
            ["reviews", "merges"],
        ),
        "stacked": True,
        "y_title": "reviews and merges",
        "links": [link(f"/people/{r['login']}/", filters.params) for r in load],
    }
    return [
        Chart(
            id=f"chart-{prefix}absence",
            title=section + period_title("Absence factor", **within),
            spec=absence,
            note="Lower is riskier: 1 means one person did at least half of that work.",
            empty_reason=empty_reason(absence),
        ),
        Chart(
            id=f"chart-{prefix}load",
            title=f"{section}Who carries the load: the ten busiest reviewers and mergers, "
            f"{period_text(filters.since, filters.until)}",
            spec=load_spec,
            empty_reason=empty_reason(load_spec),
        ),
    ]


class _Deferred:
    """Text computed when first shown (a CSV or JSON export never shows the intro)."""

    def __init__(self, make) -> None:
        self._make, self._text = make, None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._make()
        return self._text

    def __bool__(self) -> bool:
        return bool(str(self))


def risks_page(*, filters: Filters) -> Page:
    return Page(
        name="risks",
        title="Risks",
        intro=_Deferred(lambda: risk_summary(filters=filters)),
        tables=[
            *risk_tables(filters=filters),
            health_community_table(filters=filters),
            *flag_tables(filters=filters),
        ],
        charts=lambda: risk_charts(filters=filters),
        docs_anchor="risks",
    )
