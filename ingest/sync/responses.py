"""First response to each issue and pull request: the earliest comment or review by someone
other than its author, bots excluded (docs/metrics.md "first response")."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import Comment, Issue, PullRequest, Review
from .upsert import update_columns


def _author_or_none(ref: str) -> Coalesce:
    # An item whose author was deleted (GitHub shows null) has no author to exclude; compare
    # with 0 (no actor has it) so that `NOT (x = NULL)` does not drop every candidate.
    return Coalesce(OuterRef(ref), Value(0))


def _first_comment(*, author_ref: str):
    return (
        Comment.objects.filter(
            repository_id=OuterRef("repository_id"),
            issue_number=OuterRef("number"),
            author__isnull=False,
            author__is_bot=False,
        )
        .exclude(author_id=_author_or_none(author_ref))
        .order_by("created_at")
    )


def repository_update_first_responses(*, repository_id: int) -> int:
    """Recompute first_response_at/first_responder for the repository's issues and pull
    requests in two set-based queries; write only rows that changed. Returns rows changed."""
    changed = 0
    comment = _first_comment(author_ref="author_id")
    issues = (
        Issue.objects.filter(repository_id=repository_id)
        .annotate(
            c_at=Subquery(comment.values("created_at")[:1]),
            c_by=Subquery(comment.values("author_id")[:1]),
        )
        .only("pk", "first_response_at", "first_responder_id")
    )
    updates = []
    for issue in issues.iterator(chunk_size=2000):
        if (issue.first_response_at, issue.first_responder_id) != (issue.c_at, issue.c_by):
            issue.first_response_at, issue.first_responder_id = issue.c_at, issue.c_by
            updates.append(issue)
    _write(Issue, updates)
    changed += len(updates)

    review = (
        Review.objects.filter(
            pull_request_id=OuterRef("pk"),
            author__isnull=False,
            author__is_bot=False,
            submitted_at__isnull=False,
        )
        .exclude(author_id=_author_or_none("author_id"))
        .order_by("submitted_at")
    )
    pulls = (
        PullRequest.objects.filter(repository_id=repository_id)
        .annotate(
            c_at=Subquery(comment.values("created_at")[:1]),
            c_by=Subquery(comment.values("author_id")[:1]),
            r_at=Subquery(review.values("submitted_at")[:1]),
            r_by=Subquery(review.values("author_id")[:1]),
        )
        .only("pk", "first_response_at", "first_responder_id")
    )
    updates = []
    for pr in pulls.iterator(chunk_size=2000):
        options = [(at, by) for at, by in ((pr.c_at, pr.c_by), (pr.r_at, pr.r_by)) if at]
        at, by = min(options, key=lambda o: o[0]) if options else (None, None)
        if (pr.first_response_at, pr.first_responder_id) != (at, by):
            pr.first_response_at, pr.first_responder_id = at, by
            updates.append(pr)
    _write(PullRequest, updates)
    return changed + len(updates)


def _write(model, items) -> None:
    update_columns(
        model,
        [(i.pk, i.first_response_at, i.first_responder_id) for i in items],
        columns=["first_response_at", "first_responder"],
        casts=["timestamptz", "bigint"],
    )
