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

from typing import Any

from django.db import transaction

from ..models import Comment, Repository
from .actors import actor_from_rest, actors_upsert, parse_time
from .comments import COMMENT_COLUMNS
from .context import SyncContext, now
from .issues import OVERLAP, probe
from .prefetch import prefetched
from .state import state_get, state_save
from .upsert import delete_missing, upsert_rows


def _pull_number(item: dict[str, Any]) -> int | None:
    url = item.get("pull_request_url") or ""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _row(item: dict[str, Any], *, repository_id: int, actor_pks: dict[int, int]) -> tuple:
    """One comment in COMMENT_COLUMNS order."""
    return (
        Comment.Kind.REVIEW.value,
        int(item["id"]),
        repository_id,
        _pull_number(item),
        actor_pks.get((item.get("user") or {}).get("id")),
        item.get("author_association") or "",
        len(item.get("body") or ""),
        item["created_at"],
        item["updated_at"],
    )


def repository_sync_review_comments(*, ctx: SyncContext, repository_id: int) -> int:
    """Review comments updated since the watermark (all of them with ctx.full), oldest-updated
    first, one checkpoint per page. A full run that finishes deletes the review comments GitHub
    no longer lists (deleted on GitHub). Returns review comments written."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="review_comments")
    base = f"/repos/{repo.full_name}/pulls/comments"
    unchanged, etag = probe(
        ctx,
        path=base,
        etag="" if ctx.full else state.etag,
        params={"sort": "updated", "direction": "desc"},
    )
    if unchanged:
        return 0
    params: dict[str, Any] = {"sort": "updated", "direction": "asc", "per_page": 100}
    if state.watermark and not ctx.full:
        params["since"] = (state.watermark - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    written = 0
    seen: set[int] = set()
    for page in prefetched(ctx.client.paginate(base, params)):
        items = [
            i
            for i in (page.data if isinstance(page.data, list) else [])
            if isinstance(i, dict) and _pull_number(i) is not None
        ]
        watermark = max((parse_time(i["updated_at"]) for i in items), default=None)
        with transaction.atomic():
            pks = actors_upsert(
                (actor_from_rest(i.get("user")) for i in items), bots=ctx.bots, cache=ctx.actors
            )
            rows = [_row(i, repository_id=repo.pk, actor_pks=pks) for i in items]
            written += upsert_rows(
                Comment, columns=COMMENT_COLUMNS, rows=rows, key=["kind", "github_id"]
            )
            if watermark and (state.watermark is None or watermark > state.watermark):
                state_save(state, watermark=watermark)
        seen.update(row[1] for row in rows)
    with transaction.atomic():
        if ctx.full:
            removed = delete_missing(
                Comment.objects.filter(repository_id=repo.pk, kind=Comment.Kind.REVIEW), seen=seen
            )
            if removed:
                ctx.wrote("review_comments_removed", removed)
        state_save(state, etag=etag, last_success_at=now())
    ctx.wrote("review_comments", written)
    return written
