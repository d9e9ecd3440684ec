"""A person's page: contributions across projects, first contribution, role history."""

import datetime as dt

from django.http import Http404

from ..definitions.buckets import bucket_starts
from ..forms import Filters
from ..metrics.people import (
    KIND_TITLES,
    KINDS,
    first_contribution,
    person_contributions,
    person_resolve,
)
from ..metrics.roles import role_history_for_person
from .base import Chart, Column, Page, Table
from .charts import bucket_links, bucketed_spec, colour_series, empty_reason, period_title


def _project_url(row: dict) -> str:
    return f"/projects/{row['project']}/"


def _contributions_chart(*, filters: Filters, activity: dict, login: str) -> Chart:
    """The person's contributions per bucket, stacked by kind; a bucket opens this page for
    that bucket's days."""
    period = {"since": filters.since, "until": filters.until, "interval": filters.interval}
    buckets = bucket_starts(**period)
    spec = bucketed_spec(
        {
            "type": "bar",
            "labels": activity["labels"],
            "datasets": colour_series(activity["datasets"], list(KINDS)),
            "stacked": True,
            "y_title": "contributions",
        },
        buckets,
        links=bucket_links(f"/people/{login}/", filters.params, buckets, **period),
        **period,
    )
    return Chart(
        id="chart-person",
        title=period_title("Contributions", **period),
        spec=spec,
        empty_reason=empty_reason(spec),
    )


def person_page(*, filters: Filters, login: str) -> Page:
    person = person_resolve(login=login)
    if person is None:
        raise Http404(f"Pulse has seen no contribution by {login}.")
    key = f"login:{person['login']}"
    rows, activity = person_contributions(
        person_key=key, since=filters.since, until=filters.until, interval=filters.interval
    )
    if filters.narrowed:
        chosen = set(filters.repositories)
        rows = [row for row in rows if row["project"] in chosen]
    roles = role_history_for_person(
        login=person["login"], as_of=filters.until + dt.timedelta(days=1)
    )
    first = first_contribution(person_key=key)
    return Page(
        name=f"person-{person['login']}",
        title=person["login"] + (f" ({person['name']})" if person.get("name") else ""),
        intro=(
            f"Contributions {filters.since.isoformat()} to {filters.until.isoformat()}; "
            f"first and last are of all time up to the end of the period."
        ),
        tables=[
            Table(
                id="projects",
                title="Contributions by project",
                columns=[
                    Column("project", "Project", href=_project_url),
                    Column("total", "Contributions in period", kind="number"),
                    *(Column(f"{kind}s", KIND_TITLES[kind], kind="number") for kind in KINDS),
                    Column("first", "First contribution", kind="datetime"),
                    Column("last", "Last contribution", kind="datetime"),
                ],
                rows=rows,
            ),
            Table(
                id="roles",
                title="Role history",
                columns=[
                    Column("project", "Project", href=_project_url),
                    Column("role", "Role"),
                    Column("since", "Since", kind="date"),
                    Column("ended", "Ended", kind="date"),
                    Column("evidence", "Evidence", href="evidence_url"),
                ],
                rows=roles,
                note="Roles per project from the evidence on the committers page.",
            ),
        ],
        charts=[_contributions_chart(filters=filters, activity=activity, login=person["login"])],
        context={"person": person, "first": first},
        docs_anchor="person",
    )
