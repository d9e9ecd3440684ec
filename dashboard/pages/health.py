"""The health score on pages: a project's score with its reasons, the community's table, and
the SVG badge (docs/metrics.md, "Health score")."""

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from django.urls import reverse

from ..definitions.health import reason_line
from ..forms import FilterForm, Filters
from ..metrics.health import health_by_project, health_stamp
from .base import Column, Table

REASON_COLUMNS = [
    Column("reason", "Reason"),
    Column("effect", "Effect (points)", kind="number"),
    Column("input", "Input"),
    Column("value", "Measured"),
    Column("unit", "Unit"),
    Column("sub_score", "Input score (0-100)", kind="number"),
    Column("weight", "Weight", kind="number"),
    Column("key", "Input key"),
]


def project_health(*, filters: Filters) -> dict | None:
    """The score of the one project `filters` narrows to (None when it has none)."""
    rows = health_by_project(
        repository_ids=filters.repository_ids, since=filters.since, until=filters.until
    )
    return rows[0] if rows else None


def badge_url(*, filters: Filters) -> str:
    """The badge's path of the one project `filters` narrows to."""
    owner, name = filters.repositories[0].split("/", 1)
    return reverse("badge", kwargs={"owner": owner, "name": name})


def health_table(*, filters: Filters) -> Table:
    """A project's health score as a table of its reasons (title: the score and grade)."""
    health = project_health(filters=filters)
    score = None if health is None else health["score"]
    if score is None:
        title = "Health: no score (not enough data in the period)"
    else:
        title = f"Health: {score} / 100 (grade {health['grade']})"
    reasons = [] if health is None else health["reasons"]
    lost = [reason_line(r) for r in reasons if r["effect"] is not None and r["effect"] <= -0.5]
    note = (
        "What moved the score, largest loss first: " + "; ".join(lost) + "."
        if lost
        else "No input cost a point."
        if score is not None
        else ""
    )
    return Table(
        id="health",
        title=title,
        columns=REASON_COLUMNS,
        rows=reasons,
        note=f"{note} Each input scores 0-100 on its curve; the score is their weighted "
        "average (weights in the admin; definitions linked above). Badge for a README: "
        f"![health]({badge_url(filters=filters)})".strip(),
        sortable=False,
    )


def _project_url(row: dict) -> str:
    return reverse("project", kwargs={"owner": row["owner"], "name": row["name"]})


def health_rows(*, repository_ids: Sequence[int], filters: Filters) -> list[dict]:
    """One row per project: score, grade and its main reasons (worst first)."""
    rows = []
    for health in health_by_project(
        repository_ids=repository_ids, since=filters.since, until=filters.until
    ):
        losses = [r for r in health["reasons"] if r["effect"] is not None and r["effect"] <= -0.5]
        rows.append(
            {
                "project": health["project"],
                "owner": health["owner"],
                "name": health["name"],
                "score": health["score"],
                "grade": health["grade"],
                "reasons": "; ".join(reason_line(r) for r in losses[:3]),
                "badge": reverse(
                    "badge", kwargs={"owner": health["owner"], "name": health["name"]}
                ),
            }
        )
    rows.sort(key=lambda r: (r["score"] is None, r["score"] or 0, r["project"]))
    return rows


def health_community_table(*, filters: Filters) -> Table:
    """The community's projects by health score, weakest first."""
    return Table(
        id="health",
        title="Health",
        columns=[
            Column("project", "Project", href=_project_url),
            Column("score", "Health (0-100)", kind="number"),
            Column("grade", "Grade"),
            Column("reasons", "What cost the most"),
            Column("badge", "Badge", href="badge"),
        ],
        rows=lambda: health_rows(repository_ids=filters.repository_ids, filters=filters),
        note="Weakest first. The score is the weighted average of each input's 0-100 score; "
        "a project's page lists every reason.",
    )


# --- the badge -------------------------------------------------------------------------------

# Verdana 11px advance widths (shields.io's font), by character class: close enough for a
# two-word badge whose text is "health" and a number or "no data".
_NARROW, _WIDE = set("fijlrt1 ()|.,:;'!"), set("mwMW%")


def _text_width(text: str) -> int:
    return sum(4 if c in _NARROW else 10 if c in _WIDE else 7 for c in text)


def badge_svg(*, label: str, message: str, colour: str, title: str) -> str:
    """A shields.io-style flat badge: grey label, coloured message; text escaped."""
    left, right = _text_width(label) + 10, _text_width(message) + 10
    width = left + right
    esc_label, esc_message = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f"aria-label={quoteattr(f'{label}: {message}')}>"
        f"<title>{escape(title)}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill={quoteattr(colour)}/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{esc_label}</text>'
        f'<text x="{left / 2:.1f}" y="14">{esc_label}</text>'
        f'<text x="{left + right / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">'
        f"{esc_message}</text>"
        f'<text x="{left + right / 2:.1f}" y="14">{esc_message}</text></g></svg>'
    )


def badge_filters() -> Filters:
    """The badge's period and projects: the pages' defaults (every tracked project, the
    365 days to today), so a badge and the default project page show the same score, and
    every badge of the community is measured in one cached pass."""
    form = FilterForm({})
    form.is_valid()
    return form.filters()


def badge_stamp(*, full_name: str) -> str:
    filters = badge_filters()
    return health_stamp(project=full_name, since=filters.since, until=filters.until)


def health_badge(*, repository: dict) -> str:
    """The badge of one project (`{"id", "full_name"}`): read from the community's cached
    measures when the project is tracked, else measured alone."""
    filters = badge_filters()
    ids = filters.repository_ids if repository["id"] in filters.repository_ids else []
    rows = health_by_project(
        repository_ids=ids or [repository["id"]], since=filters.since, until=filters.until
    )
    health = next((r for r in rows if r["repository_id"] == repository["id"]), None)
    score = None if health is None else health["score"]
    colour = health["colour"] if health else "#9f9f9f"
    message = "no data" if score is None else str(score)
    title = f"{repository['full_name']} health: {message}"
    if score is not None:
        title += f" (grade {health['grade']})"
    return badge_svg(label="health", message=message, colour=colour, title=title)
