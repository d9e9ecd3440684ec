"""Conversation comments of one repository's issues and pull requests (REST, repository-wide)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

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


def _issue_number(item: dict[str, Any]) -> int | None:
    url = item.get("issue_url") or ""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def repository_sync_comments(*, ctx: SyncContext, repository_id: int) -> int:
    """Issue and pull request conversation comments updated since the watermark (all of them
    with ctx.full), oldest first, one checkpoint per page. A full run that finishes deletes the
    conversation comments GitHub no longer lists (deleted there). Returns comments written."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="comments")
    base = f"/repos/{repo.full_name}/issues/comments"
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
            if isinstance(i, dict) and _issue_number(i) is not None
        ]
        watermark = max((parse_time(i["updated_at"]) for i in items), default=None)
        with transaction.atomic():
            pks = actors_upsert(
                (actor_from_rest(i.get("user")) for i in items), bots=ctx.bots, cache=ctx.actors
            )
            rows = [
                (
                    Comment.Kind.ISSUE.value,
                    int(i["id"]),
                    repo.pk,
                    _issue_number(i),
                    pks.get((i.get("user") or {}).get("id")),
                    i.get("author_association") or "",
                    len(i.get("body") or ""),
                    i["created_at"],
                    i["updated_at"],
                )
                for i in items
            ]
            written += upsert_rows(
                Comment, columns=COMMENT_COLUMNS, rows=rows, key=["kind", "github_id"]
            )
            if watermark and (state.watermark is None or watermark > state.watermark):
                state_save(state, watermark=watermark)
        seen.update(row[1] for row in rows)
    with transaction.atomic():
        if ctx.full:
            removed = delete_missing(
                Comment.objects.filter(repository_id=repo.pk, kind=Comment.Kind.ISSUE), seen=seen
            )
            if removed:
                ctx.wrote("comments_removed", removed)
        state_save(state, etag=etag, last_success_at=now())
    ctx.wrote("comments", written)
    return written
