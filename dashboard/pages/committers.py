"""The committers page: the role ladder, promotions, external share and promotion candidates.

`until` is read as an "as of" day: only facts before it count, so
`/committers/?repo=mosn/layotto&until=2022-02-01` shows the roles and the candidate ranking
as they stood that day. Without `until`, everything ingested counts. The candidates' figures
are counted from `since` to the as-of day; without `since`, over the 365 days ending then.
"""

import datetime as dt
from urllib.parse import urlencode

from ..forms import Filters
from ..metrics.promotion import (
    best_promotion_candidates,
    candidate_window,
    promotion_candidates,
)
from ..metrics.roles import (
    RoleWorld,
    external_committer_share_by_quarter,
    ladder_rows,
    promotions_by_quarter,
)
from .base import Chart, Column, Page, Table
from .charts import (
    bucket_last,
    bucketed_spec,
    colour_series,
    empty_reason,
    ingested,
    link,
    period_text,
)

CANDIDATES_ONE_PROJECT = 50
CANDIDATES_EACH = 10
# With several projects the HTML shows the best this many candidates over all of them (300
# projects make 3,000 rows nobody reads, and their evidence costs seconds); the CSV and
# JSON keep every project's best CANDIDATES_EACH.
CANDIDATES_SHOWN = 50


def _person(row: dict) -> str:
    return f"/people/{row['login']}/"


def _quarter_start(label: str) -> dt.date:
    year, quarter = label.split("-Q")  # the roles selector's "2024-Q1"
    return dt.date(int(year), 3 * (int(quarter) - 1) + 1, 1)


def _role_charts(*, filters: Filters, world: RoleWorld, promotions: dict, share: dict):
    """Per quarter up to the as-of day; a quarter opens this page as of that quarter's end
    (the promotions or the ladder as they stood then)."""
    last_day = world.day()
    has_scope = ingested(filters.repository_ids)
    affiliations = ["home", "external", "unknown"]
    names = {"home": "home organisation", "external": "external", "unknown": "affiliation unknown"}

    def quarterly(series: dict, anchor: str, spec: dict) -> tuple[dict, str]:
        buckets = [_quarter_start(label) for label in series["labels"]]
        first = buckets[0] if buckets else last_day
        as_of_ends = [
            min(bucket_last(b, "quarter"), last_day) + dt.timedelta(days=1) for b in buckets
        ]
        links = [
            link("/committers/", filters.params, since=None, until=end.isoformat()) + anchor
            for end in as_of_ends
        ]
        spec = bucketed_spec(
            {"labels": series["labels"], **spec},
            buckets,
            since=first,
            until=last_day,
            interval="quarter",
            links=links,
        )
        return spec, period_text(first, last_day)

    def by_affiliation(series: dict) -> list[dict]:
        return colour_series(
            [{"label": names[kind], "data": series[kind]} for kind in affiliations], affiliations
        )

    promoted, promoted_period = quarterly(
        promotions,
        "#table-promotions",
        {
            "type": "bar",
            "stacked": True,
            "y_title": "people",
            "datasets": by_affiliation(promotions),
        },
    )
    held, held_period = quarterly(
        share,
        "#table-ladder",
        {"type": "bar", "stacked": True, "y_title": "people", "datasets": by_affiliation(share)},
    )
    external, _ = quarterly(
        share,
        "#table-external-share",
        {
            "type": "line",
            "y_title": "% of committers",
            "y_max": 100,
            "datasets": colour_series(
                [
                    {
                        "label": "external, of those with a known affiliation (%)",
                        "data": share["share"],
                    }
                ],
                ["external"],
            ),
        },
    )
    return [
        Chart(
            id="chart-promotions",
            title=f"Promotions to Committer or above, {promoted_period}, per quarter",
            spec=promoted,
            note="By affiliation on the day of the promotion.",
            empty_reason=empty_reason(promoted, has_scope=has_scope),
        ),
        Chart(
            id="chart-committers-affiliation",
            title=f"Committers at the end of each quarter by affiliation, {held_period}",
            spec=held,
            note="Committer or above, each person once over the chosen projects.",
            empty_reason=empty_reason(held, has_scope=has_scope),
        ),
        Chart(
            id="chart-external-share",
            title=f"Share of external committers at the end of each quarter, {held_period}",
            spec=external,
            note="Over committers whose affiliation is known; those of unknown affiliation are "
            "counted beside it (table below), never as home or external.",
            empty_reason=empty_reason(external, has_scope=has_scope),
        ),
    ]


def committers_page(*, filters: Filters) -> Page:
    as_of = filters.until if filters.params.get("until") else None
    since = filters.since if filters.params.get("since") else None
    world = RoleWorld(repository_ids=list(filters.repository_ids), as_of=as_of)
    scope = {"repository_ids": list(filters.repository_ids), "as_of": as_of, "world": world}
    promotions = promotions_by_quarter(**scope)
    share = external_committer_share_by_quarter(**scope)
    first, last = candidate_window(as_of=as_of, since=since)
    recent = sorted({rule.recent_months for rule in world.rules.values()})
    window = f"from {first.isoformat()} to {last.isoformat()}" + (
        "" if since else " (the 365 days to the as-of day; set since to change)"
    )
    recency = f"{recent[0]} months" if len(recent) == 1 else "the months set on each project's rule"
    # A shortlist per project: longer when one project is looked at.
    limit = CANDIDATES_ONE_PROJECT if len(filters.repository_ids) == 1 else CANDIDATES_EACH

    # The nomination draft counts as this page does: same as-of day and window.
    window_params = {key: filters.params[key] for key in ("since", "until") if filters.params[key]}

    def with_evidence_text(rows: list[dict]) -> list[dict]:
        return [
            {
                **row,
                "evidence_text": "; ".join(e["label"] for e in row["evidence"]),
                "evidence_url": row["evidence"][0]["url"] if row["evidence"] else "",
                "nomination": "draft",
                "nomination_url": "/committers/nomination/?"
                + urlencode({"repo": row["project"], "login": row["login"], **window_params}),
            }
            for row in rows
        ]

    def candidates() -> list[dict]:
        return with_evidence_text(promotion_candidates(**scope, since=since, limit=limit))

    def candidates_shown() -> tuple[list[dict], str]:
        rows, total = best_promotion_candidates(
            **scope, since=since, limit=limit, best=CANDIDATES_SHOWN
        )
        note = (
            ""
            if total <= len(rows)
            else (
                f"Showing the best {len(rows)} of {total:,} candidates over these "
                f"{len(filters.repository_ids)} projects; the CSV and JSON have all of them, and "
                f"choosing one project shows its best {CANDIDATES_ONE_PROJECT}."
            )
        )
        return with_evidence_text(rows), note

    several = len(filters.repository_ids) > 1
    charts = _role_charts(filters=filters, world=world, promotions=promotions, share=share)
    tables = [
        Table(
            id="ladder",
            title="Who holds which role",
            rows=ladder_rows(**scope),
            columns=[
                Column("project", "Project", href=lambda r: f"/projects/{r['project']}/"),
                Column("login", "Person", href=_person),
                Column("role", "Role"),
                Column("since", "Since", kind="date"),
                Column("evidence", "Evidence", href="evidence_url"),
                Column("last_activity", "Last activity", kind="date"),
                Column("affiliation", "Affiliation"),
                Column("inactive", "Inactive"),
            ],
            note="Members and above; the admin's role entries win over inferred evidence. "
            "Inactive: a Committer or PMC member with no activity for the months set on "
            "the project's promotion rule.",
        ),
        Table(
            id="candidates",
            title="Promotion candidates",
            rows=candidates,
            preview=candidates_shown if several else None,
            columns=[
                Column("project", "Project"),
                Column("rank", "Rank", kind="number"),
                Column("login", "Person", href=_person),
                Column("progress", "Progress against the rule", href="merged_url"),
                Column("progress_percent", "Progress (%)", kind="percent"),
                Column("meets_rule", "Meets the rule"),
                Column("reviews_given", "Reviews given", kind="number", href="reviews_url"),
                Column("issues_answered", "Issues answered", kind="number", href="issues_url"),
                Column("months_active", "Months active", kind="number"),
                Column("last_activity", "Last activity", kind="date"),
                Column("affiliation", "Affiliation"),
                Column(
                    "evidence_text", "Hard and Medium merged pull requests", href="evidence_url"
                ),
                Column("nomination", "Nomination", href="nomination_url"),
            ],
            note=f"Counted {window}: merged pull requests, reviews given, issues answered and "
            f"months active. The best {limit} per project among people who never showed write "
            "access (no founder, nobody who merged, approved with write access or was listed "
            f"as approver, maintainer or committer) and were active in the last {recency}, "
            "ranked by progress against the project's rule, then reviews given, issues "
            "answered, months active and recency."
            + (
                f" With several projects the page shows the best {CANDIDATES_SHOWN} "
                "of those rows over all of them (by the same ranking, listed by project); "
                "the CSV and JSON have every project's."
                if several
                else ""
            ),
        ),
        Table(
            id="promotions",
            title="Promotions",
            rows=promotions["promotions"],
            columns=[
                Column("date", "Date", kind="date"),
                Column("quarter", "Quarter"),
                Column("project", "Project"),
                Column("login", "Person", href=_person),
                Column("affiliation", "Affiliation"),
            ],
            note="Each person's first day holding Committer or above on a project, with "
            "their affiliation that day; founders (role holders from the project's start) "
            "are not promotions.",
        ),
        Table(
            id="external-share",
            title="External committers per quarter",
            rows=[
                {
                    "quarter": label,
                    "committers": n,
                    "home": h,
                    "external": e,
                    "unknown": u,
                    "share": s,
                }
                for label, n, h, e, u, s in zip(
                    share["labels"],
                    share["committers"],
                    share["home"],
                    share["external"],
                    share["unknown"],
                    share["share"],
                    strict=True,
                )
            ],
            columns=[
                Column("quarter", "Quarter"),
                Column("committers", "Committers", kind="number"),
                Column("home", "Home", kind="number"),
                Column("external", "External", kind="number"),
                Column("unknown", "Unknown", kind="number"),
                Column("share", "External (% of known)", kind="percent"),
            ],
            note="At each quarter's end (or the as-of day). The share is over the committers "
            "whose affiliation is known: empty when none is.",
        ),
    ]
    day = f"as of {as_of.isoformat()} (facts before that day)" if as_of else "as of today"
    return Page(
        name="committers",
        title="Committers and promotion",
        intro=f"Roles per project on the ladder Contributor → Member → Reviewer → Committer → "
        f"PMC, {day}, and who is closest to promotion under each project's rule, by what "
        f"they did {window}.",
        tables=tables,
        charts=charts,
        docs_anchor="roles",
    )
