"""Comments of one repository from GitHub's repository-wide lists (REST): conversation
comments of issues and pull requests here; review comments (on a diff) in review_comments.py,
through the same `comments_sync`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from ..changes import facts_changed
from ..models import Comment, Repository
from .actors import actor_from_rest, actors_upsert, parse_time
from .context import SyncContext, now
from .issues import OVERLAP, probe
from .prefetch import prefetched
from .state import state_get, state_save
from .upsert import delete_missing, upsert_rows

# What an upsert may change (review_comments.py shares it); the key is (kind, github_id).
COMMENT_FIELDS = [
    "repository",
    "issue_number",
    "author",
    "author_association",
    "body_length",
    "created_at",
    "updated_at",
]
COMMENT_COLUMNS = ["kind", "github_id", *COMMENT_FIELDS]


def number_from_url(url: str | None) -> int | None:
    """The issue or pull request number at the end of GitHub's `issue_url`/`pull_request_url`."""
    tail = (url or "").rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def comments_sync(
    *,
    ctx: SyncContext,
    repository_id: int,
    kind: Comment.Kind,
    resource: str,
    path: str,
    number_of: Callable[[dict[str, Any]], int | None],
) -> int:
    """Comments of one kind updated since the watermark (all of them with ctx.full), from the
    repository-wide list at `/repos/{owner}/{repo}/{path}`, oldest-updated first, one
    checkpoint per page. A full run that finishes deletes those GitHub no longer lists (deleted
    there). `number_of(item)`: the issue or pull request it belongs to. Returns comments written."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource=resource)
    base = f"/repos/{repo.full_name}/{path}"
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
            if isinstance(i, dict) and number_of(i) is not None
        ]
        watermark = max((parse_time(i["updated_at"]) for i in items), default=None)
        with transaction.atomic():
            pks = actors_upsert(
                (actor_from_rest(i.get("user")) for i in items), bots=ctx.bots, cache=ctx.actors
            )
            rows = [
                (
                    kind.value,
                    int(i["id"]),
                    repo.pk,
                    number_of(i),
                    pks.get((i.get("user") or {}).get("id")),
                    i.get("author_association") or "",
                    len(i.get("body") or ""),
                    i["created_at"],
                    i["updated_at"],
                )
                for i in items
            ]
            n = upsert_rows(Comment, columns=COMMENT_COLUMNS, rows=rows, key=["kind", "github_id"])
            written += n
            facts_changed(repository_ids=[repo.pk])
            ctx.page_written(resource, n)  # REST lists say no total
            if watermark and (state.watermark is None or watermark > state.watermark):
                state_save(state, watermark=watermark)
        seen.update(row[1] for row in rows)
    with transaction.atomic():
        if ctx.full:
            removed = delete_missing(
                Comment.objects.filter(repository_id=repo.pk, kind=kind), seen=seen
            )
            if removed:
                facts_changed(repository_ids=[repo.pk])
                ctx.wrote(f"{resource}_removed", removed)
        state_save(state, etag=etag, last_success_at=now())
    return written


def repository_sync_comments(*, ctx: SyncContext, repository_id: int) -> int:
    """Issue and pull request conversation comments (see `comments_sync`)."""
    return comments_sync(
        ctx=ctx,
        repository_id=repository_id,
        kind=Comment.Kind.ISSUE,
        resource="comments",
        path="issues/comments",
        number_of=lambda item: number_from_url(item.get("issue_url")),
    )
