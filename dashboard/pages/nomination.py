"""The nomination draft page (`/committers/nomination/?repo=owner/name&login=X`, with the
committers page's `since`/`until`): a candidate's evidence as Markdown in a text box with a copy
button (`?format=md`: the Markdown alone), and their merged pull requests of the window as a
table (CSV, JSON). Someone who is not a candidate there and then is a 404."""

from django.http import Http404

from ..forms import Filters
from ..metrics.nomination import nomination_evidence
from .base import Column, Page, Table
from .nomination_render import nomination_markdown


def nomination_evidence_for(*, filters: Filters, repository_id: int, login: str) -> dict:
    """The evidence as of the committers page's `until` and from its `since` (Http404 for
    someone who is not a candidate)."""
    evidence = nomination_evidence(
        repository_id=repository_id,
        login=login,
        as_of=filters.until if filters.params.get("until") else None,
        since=filters.since if filters.params.get("since") else None,
    )
    if evidence is None:
        raise Http404(f"{login} is not a promotion candidate of that project on that day.")
    return evidence


def nomination_page(*, filters: Filters, repository_id: int, login: str) -> Page:
    evidence = nomination_evidence_for(filters=filters, repository_id=repository_id, login=login)
    candidate = evidence["candidate"]
    rows = [
        {"level": level, **item}
        for level, items in evidence["merged_by_level"].items()
        for item in items
    ]
    return Page(
        name="nomination",
        title=f"Nomination draft: {candidate['login']} on {evidence['project']}",
        intro=f"Counted from {evidence['first'].isoformat()} to {evidence['last'].isoformat()}, "
        "as on the committers page. Copy the Markdown into the project's nomination issue; "
        "check it and add what only people know.",
        tables=[
            Table(
                id="merged",
                title="Merged pull requests of the window, by difficulty",
                rows=rows,
                columns=[
                    Column("level", "Difficulty"),
                    Column("number", "Number", kind="number", href="url"),
                    Column("title", "Title", href="url"),
                    Column("merged_at", "Merged at", kind="datetime"),
                    Column("source", "Difficulty from"),
                ],
            )
        ],
        template="dashboard/nomination.html",
        docs_anchor="nomination-draft",
        context={"markdown": nomination_markdown(evidence), "candidate": candidate},
    )
