"""The KPI-gaming flags as tables (docs/metrics.md, "Flags"): one row per flag, and one per
piece of evidence with its link on GitHub. Shown on the risks page and in a project page's
risk section."""

from ..forms import Filters
from ..metrics.flags import flags_raised
from .base import Column, Table

DOCS = "/docs/metrics/#flags"
FLAG_COLUMNS = [
    "project",
    "kind_label",
    "subject",
    "window_start",
    "window_end",
    "raised_on",
    "count",
    "threshold",
    "baseline",
    "summary",
    "url",
]


def _flags(filters: Filters) -> list[dict]:
    return flags_raised(
        repository_ids=filters.repository_ids, since=filters.since, until=filters.until
    )


def flag_tables(*, filters: Filters, prefix: str = "", section: str = "") -> list[Table]:
    """The flags whose window overlaps the period, and their evidence; `prefix` keeps the
    table ids apart on a page, `section` heads the titles."""

    def flag_rows() -> list[dict]:
        return [{key: flag[key] for key in FLAG_COLUMNS} for flag in _flags(filters)]

    def evidence_rows() -> list[dict]:
        return [
            {
                "project": flag["project"],
                "kind_label": flag["kind_label"],
                "subject": flag["subject"],
                "raised_on": flag["raised_on"],
                "evidence": item["label"],
                "url": item["url"],
            }
            for flag in _flags(filters)
            for item in flag["evidence"]
        ]

    return [
        Table(
            id=f"{prefix}flags",
            title=f"{section}Flags: possible KPI gaming",
            columns=[
                Column("project", "Project", href=lambda r: f"/projects/{r['project']}/"),
                Column("kind_label", "Flag"),
                Column(
                    "subject",
                    "Account",
                    href=lambda r: f"/people/{r['subject']}/" if r["subject"] else None,
                ),
                Column("window_start", "From", kind="date"),
                Column("window_end", "To", kind="date"),
                Column("raised_on", "Raised on", kind="date"),
                Column("count", "Count", kind="number"),
                Column("threshold", "Threshold", kind="number"),
                Column("baseline", "Usual", kind="number"),
                Column("summary", "What happened"),
                Column("url", "On GitHub", href="url"),
            ],
            rows=flag_rows,
            note="Floods of tiny typo or documentation pull requests from new accounts, and "
            "star bursts mostly from fresh accounts, judged against the project's own usual "
            "count (Usual: per 30 days for pull requests, per day for stars). A reason to "
            f"look, not a verdict. Defined: {DOCS}",
        ),
        Table(
            id=f"{prefix}flag_evidence",
            title=f"{section}Flags: evidence",
            columns=[
                Column("project", "Project", href=lambda r: f"/projects/{r['project']}/"),
                Column("kind_label", "Flag"),
                Column("subject", "Account"),
                Column("raised_on", "Raised on", kind="date"),
                Column("evidence", "Evidence", href="url"),
                Column("url", "On GitHub", href="url"),
            ],
            rows=evidence_rows,
            note="Each pull request of a flood; for a star burst, the stars per day and the "
            f"first fresh accounts. Defined: {DOCS}",
        ),
    ]
