"""First response to each issue and pull request: the earliest comment or review by someone
other than its author, bots excluded (docs/metrics.md "first response")."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from ..changes import facts_changed
from ..models import Comment, Issue, PullRequest, Review
from .upsert import update_columns


def repository_update_first_responses(*, repository_id: int) -> int:
    """Recompute first_response_at/first_responder of the repository's issues and pull
    requests from its stored comments and reviews; write only rows that changed.

    One pass over the repository's human comments and reviews in time order (two streamed
    queries), instead of a correlated subquery per item.
    Returns the number of rows changed."""
    # number -> [model, pk, author pk, stored first_response_at, stored responder]
    items: dict[int, list] = {}
    for model in (Issue, PullRequest):
        rows = model.objects.filter(repository_id=repository_id).values_list(
            "number", "pk", "author_id", "first_response_at", "first_responder_id"
        )
        for number, pk, author, at, by in rows.iterator(chunk_size=5000):
            items[number] = [model, pk, author, at, by]
    pr_numbers = dict(
        PullRequest.objects.filter(repository_id=repository_id).values_list("pk", "number")
    )
    # number -> (time, tie-break, responder). Responses at the same instant go to the lower
    # GitHub id (comments before reviews), so the same facts give the same responder whatever
    # order the rows come back in.
    first: dict[int, tuple[datetime, tuple[int, int], int]] = {}

    def consider(number: int | None, at: datetime | None, tie: tuple[int, int], by: int) -> None:
        item = items.get(number)
        if item is None or at is None or by == item[2]:
            return
        if number not in first or (at, tie) < first[number][:2]:
            first[number] = (at, tie, by)

    comments = Comment.objects.filter(
        repository_id=repository_id,
        kind=Comment.Kind.ISSUE,
        author__isnull=False,
        author__is_bot=False,
    ).values_list("issue_number", "created_at", "github_id", "author_id")
    for number, at, github_id, by in comments.iterator(chunk_size=5000):
        consider(number, at, (0, github_id), by)
    reviews = Review.objects.filter(
        repository_id=repository_id,
        author__isnull=False,
        author__is_bot=False,
        submitted_at__isnull=False,
    ).values_list("pull_request_id", "submitted_at", "github_id", "author_id")
    for pr_id, at, github_id, by in reviews.iterator(chunk_size=5000):
        consider(pr_numbers.get(pr_id), at, (1, github_id), by)

    changed: dict[type, list[tuple]] = {Issue: [], PullRequest: []}
    for number, (model, pk, _author, at, by) in items.items():
        new_at, _, new_by = first.get(number, (None, None, None))
        if (at, by) != (new_at, new_by):
            changed[model].append((pk, new_at, new_by))
    with transaction.atomic():
        for model, rows in changed.items():
            update_columns(
                model,
                rows,
                columns=["first_response_at", "first_responder"],
                casts=["timestamptz", "bigint"],
            )
        if changed[Issue] or changed[PullRequest]:
            facts_changed(repository_ids=[repository_id])
    return sum(len(rows) for rows in changed.values())
