"""The weekly digest page (`/digest/?week=YYYY-Www`, default the last complete week): the
digest as HTML with its Markdown a click away (`?format=md`), and each section as a table for
`?format=csv&table=…` and `?format=json`. The command `manage.py digest` and the weekly e-mail
build the same digest through `weekly_digest_for`.
"""

import datetime as dt

from ..definitions.weeks import iso_week_label, last_complete_week
from ..forms import Filters
from ..metrics.digest import WeeklyDigest, merged_rows, weekly_digest
from .base import Column, Page, Table
from .digest_render import digest_html

DOCS_URL = "/docs/metrics/#weekly-digest"


def weekly_digest_for(*, filters: Filters, monday: dt.date) -> WeeklyDigest:
    return weekly_digest(
        repository_ids=filters.repository_ids,
        narrowed=filters.narrowed,
        monday=monday,
    )


def _person(login_key: str):
    return lambda row: f"/people/{row[login_key]}/" if row.get(login_key) else None


def digest_page(*, filters: Filters, monday: dt.date | None = None) -> Page:
    """The digest of the week starting on `monday` (default: the last complete week)."""
    monday = monday or last_complete_week(dt.datetime.now(dt.UTC).date())
    digest = weekly_digest_for(filters=filters, monday=monday)
    week = iso_week_label(monday)
    tables = [
        Table(
            id="new-contributors",
            title="New contributors",
            rows=digest.new_contributors,
            columns=[
                Column("first_at", "First contribution at", kind="datetime", href="first_url"),
                Column("person", "Person", href=_person("login")),
                Column("project", "Project"),
                Column("first_kind", "Kind"),
                Column("merged_title", "First merged work", href="merged_url"),
                Column("merged_project", "Merged in"),
                Column("merged_at", "Merged at", kind="datetime"),
            ],
        ),
        Table(
            id="merged",
            title="Merged pull requests",
            rows=merged_rows(digest),
            columns=[
                Column("project", "Project"),
                Column("number", "Number", kind="number", href="url"),
                Column("title", "Title", href="url"),
                Column("author", "Author", href=_person("author")),
                Column("merged_at", "Merged at", kind="datetime"),
            ],
        ),
        Table(
            id="role-changes",
            title="Role changes",
            rows=digest.role_changes,
            columns=[
                Column("project", "Project"),
                Column("login", "Person", href=_person("login")),
                Column("from_role", "From"),
                Column("to_role", "To"),
                Column("change", "Change"),
                Column("since", "Since", kind="date"),
                Column("evidence", "Evidence", href="evidence_url"),
            ],
        ),
        Table(
            id="waiting",
            title="Pull requests waiting longest for a review",
            rows=digest.waiting,
            columns=[
                Column("project", "Project"),
                Column("number", "Number", kind="number", href="url"),
                Column("title", "Title", href="url"),
                Column("author", "Author", href=_person("author")),
                Column("opened_at", "Opened at", kind="datetime"),
                Column("waiting_days", "Waiting (days)", kind="number"),
            ],
        ),
    ]
    tables.append(
        Table(
            id="flags",
            title="New flags",
            rows=[
                {key: flag.get(key) for key in FLAG_COLUMNS} | {"url": flag.get("url", "")}
                for flag in digest.flags
            ],
            columns=[
                Column("project", "Project"),
                Column("kind_label", "Flag", href="url"),
                Column("subject", "Who", href=_person("subject")),
                Column("raised_on", "Raised on", kind="date"),
                Column("summary", "What was seen"),
            ],
        )
    )
    return Page(
        name="digest",
        title=f"Weekly digest {week}",
        intro=f"{digest.monday.isoformat()} to {digest.sunday.isoformat()} (UTC).",
        tables=tables,
        template="dashboard/digest.html",
        docs_anchor="weekly-digest",
        context={
            "digest": digest,
            "digest_html": digest_html(digest, docs_url=DOCS_URL),
            "week": week,
            "previous_week": iso_week_label(monday - dt.timedelta(days=7)),
            "next_week": iso_week_label(monday + dt.timedelta(days=7)),
        },
    )


FLAG_COLUMNS = ("project", "kind_label", "subject", "raised_on", "summary")
