"""Review comments (comments on lines of a pull request's diff) of one repository (REST,
repository-wide), stored as `Comment` rows of kind `review`.

One list for the whole repository, `GET /repos/{owner}/{repo}/pulls/comments`, sorted by
update time with `since`, like the conversation comments: no request per pull request. The
comments' reviews already come with the pull requests (GraphQL); a comment's own time only
adds who wrote on the diff and when, which counts as a contribution (docs/metrics.md).

Issue events (`/issues/events`) are deliberately not read: see docs/metrics.md, "What ingest
does not read".
"""

from __future__ import annotations

from ..models import Comment
from .comments import comments_sync, number_from_url
from .context import SyncContext


def repository_sync_review_comments(*, ctx: SyncContext, repository_id: int) -> int:
    """Review comments updated since the watermark (see `comments.comments_sync`)."""
    return comments_sync(
        ctx=ctx,
        repository_id=repository_id,
        kind=Comment.Kind.REVIEW,
        resource="review_comments",
        path="pulls/comments",
        number_of=lambda item: number_from_url(item.get("pull_request_url")),
    )
