"""A project's page: its activity, newcomers and contributors."""

from dataclasses import replace

from django.http import Http404

from ingest.models import Repository

from ..forms import Filters
from ..metrics.activity import activity_by_interval, activity_last_year
from ..metrics.newcomers import new_contributors_by_interval, new_contributors_by_year
from ..metrics.people import CONTRIBUTOR_COLUMNS, contributors_of_projects
from .activity import activity_charts, activity_table
from .base import Chart, Column, Page, Table
from .charts import (
    bucket_links,
    bucketed_spec,
    colour_series,
    empty_reason,
    period_title,
    stacked_measures,
)
from .flags import flag_tables
from .health import health_table
from .risks import risk_charts, risk_tables


def project_page(*, filters: Filters, owner: str, name: str) -> Page:
    repo = (
        Repository.objects.filter(full_name__iexact=f"{owner}/{name}")
        .values("id", "full_name", "description", "html_url", "stargazers_count", "archived")
        .first()
    )
    if repo is None:
        raise Http404(f"Pulse has no project {owner}/{name}.")
    filters = replace(
        filters, repository_ids=(repo["id"],), repositories=(repo["full_name"],), narrowed=True
    )
    args = {
        "repository_ids": filters.repository_ids,
        "since": filters.since,
        "until": filters.until,
        "interval": filters.interval,
    }
    current = activity_by_interval(**args)
    previous = activity_last_year(**args)
    newcomers = new_contributors_by_interval(
        repository_ids=filters.repository_ids,
        narrowed=True,
        kind=filters.kind_group,
        since=filters.since,
        until=filters.until,
        interval=filters.interval,
        stack="kind",
    )
    by_year = new_contributors_by_year(
        repository_ids=filters.repository_ids,
        narrowed=True,
        kind=filters.kind_group,
        until=filters.until,
    )
    labels = dict(CONTRIBUTOR_COLUMNS)
    contributor_columns = [
        Column(
            "login",
            labels["login"],
            href=lambda r: f"/people/{r['login']}/" if r.get("login") else None,
        ),
        Column("person", labels["person"]),
        Column("person_key", labels["person_key"]),
        *(Column(key, label, kind="number") for key, label in CONTRIBUTOR_COLUMNS[3:-2]),
        Column("first", labels["first"], kind="datetime"),
        Column("last", labels["last"], kind="datetime"),
    ]
    path = f"/projects/{repo['full_name']}/"
    period = {"since": filters.since, "until": filters.until, "interval": filters.interval}
    newcomers_spec = bucketed_spec(
        {
            "type": "bar",
            "labels": newcomers["labels"],
            "datasets": colour_series(
                newcomers["datasets"], stacked_measures(newcomers["datasets"])
            ),
            "stacked": True,
            "y_title": "people",
        },
        newcomers["buckets"],
        links=bucket_links(
            "/newcomers/",
            filters.params,
            newcomers["buckets"],
            repo=[repo["full_name"]],
            org=None,
            **period,
        ),
        **period,
    )
    # The project's own page per bucket: its path names the project, not the filters.
    own = activity_charts(
        current=current, previous=previous, filters=filters, path=path, repo=None, org=None
    )
    charts = own[:3] + [
        Chart(
            id="chart-newcomers",
            title=period_title("New contributors", **period),
            spec=newcomers_spec,
            empty_reason=empty_reason(newcomers_spec),
        ),
    ]
    return Page(
        name=f"project-{repo['full_name'].replace('/', '-')}",
        title=repo["full_name"],
        intro=repo["description"],
        tables=[
            Table(
                id="contributors",
                title="Contributors",
                columns=contributor_columns,
                rows=contributors_of_projects(
                    repository_ids=filters.repository_ids, since=filters.since, until=filters.until
                ),
                note="People with a contribution in the period, most active first.",
            ),
            activity_table(current=current),
            Table(
                id="years",
                title="New contributors per year",
                columns=[
                    Column("year", "Year"),
                    Column("new_contributors", "New contributors", kind="number"),
                    Column("change", "Change", kind="number"),
                ],
                rows=by_year,
            ),
            health_table(filters=filters),
            # The project's risk section (other risk signals append their tables to it).
            *risk_tables(filters=filters, prefix="risk_", per_project=False, section="Risks: "),
            *flag_tables(filters=filters, prefix="risk_", section="Risks: "),
        ],
        charts=lambda: charts + risk_charts(filters=filters, prefix="risk_", section="Risks: "),
        context={"repository": repo},
        docs_anchor="project",
    )
