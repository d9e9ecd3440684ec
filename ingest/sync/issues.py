"""Issues of one repository (REST; pull requests in the list are skipped, GraphQL brings them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction

from ..models import Issue, Repository
from .actors import actor_from_rest, actors_upsert, parse_time
from .context import SyncContext, now
from .prefetch import prefetched
from .state import state_get, state_save
from .upsert import delete_missing, upsert_rows

# Re-read a little before the watermark: items updated in the same second as the last one seen
# (or while the previous run paged) are not missed; upserts make the overlap harmless.
OVERLAP = timedelta(minutes=5)
ISSUE_COLUMNS = [
    "github_id",
    "node_id",
    "repository",
    "number",
    "title",
    "state",
    "state_reason",
    "locked",
    "author",
    "author_association",
    "labels",
    "comments_count",
    "created_at",
    "updated_at",
    "closed_at",
]


def probe(
    ctx: SyncContext, *, path: str, params: dict[str, Any], etag: str, accept: str | None = None
) -> tuple[bool, str]:
    """Ask for the newest-updated item with If-None-Match. (unchanged?, etag to keep)."""
    kwargs = {"accept": accept} if accept else {}
    response = ctx.client.get_json(path, {**params, "per_page": 1}, etag=etag or None, **kwargs)
    return response.not_modified, response.etag or etag


def issue_row(item: dict[str, Any], *, repository_id: int, actor_pks: dict[int, int]) -> tuple:
    """One row in ISSUE_COLUMNS order; timestamps stay GitHub's text (the database parses)."""
    user = item.get("user")
    return (
        int(item["id"]),
        item.get("node_id") or "",
        repository_id,
        int(item["number"]),
        item.get("title") or "",
        item.get("state") or "open",
        item.get("state_reason") or "",
        bool(item.get("locked")),
        actor_pks.get(user.get("id")) if user else None,
        item.get("author_association") or "",
        [label["name"] for label in item.get("labels") or [] if isinstance(label, dict)],
        int(item.get("comments") or 0),
        item["created_at"],
        item["updated_at"],
        item.get("closed_at") or None,
    )


def repository_sync_issues(*, ctx: SyncContext, repository_id: int) -> int:
    """Issues updated since the watermark (all of them with ctx.full), oldest-updated first so
    each page's checkpoint is a safe place to resume. A full run that finishes deletes issues
    GitHub no longer lists (deleted or transferred). Returns issues written."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="issues")
    base = f"/repos/{repo.full_name}/issues"
    unchanged, etag = probe(
        ctx,
        path=base,
        etag="" if ctx.full else state.etag,
        params={"state": "all", "sort": "updated", "direction": "desc"},
    )
    if unchanged:
        return 0
    params: dict[str, Any] = {
        "state": "all",
        "sort": "updated",
        "direction": "asc",
        "per_page": 100,
    }
    if state.watermark and not ctx.full:
        params["since"] = (state.watermark - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    written = 0
    seen: set[int] = set()
    for page in prefetched(ctx.client.paginate(base, params)):
        items = page.data if isinstance(page.data, list) else []
        issues = [i for i in items if isinstance(i, dict) and "pull_request" not in i]
        watermark = max(
            (parse_time(i["updated_at"]) for i in items if isinstance(i, dict)), default=None
        )
        with transaction.atomic():
            pks = actors_upsert(
                (actor_from_rest(i.get("user")) for i in issues), bots=ctx.bots, cache=ctx.actors
            )
            rows = [issue_row(i, repository_id=repo.pk, actor_pks=pks) for i in issues]
            written += upsert_rows(Issue, columns=ISSUE_COLUMNS, rows=rows, key=["github_id"])
            if watermark and (state.watermark is None or watermark > state.watermark):
                state_save(state, watermark=watermark)
        seen.update(row[0] for row in rows)
    with transaction.atomic():
        if ctx.full:
            removed = delete_missing(Issue.objects.filter(repository_id=repo.pk), seen=seen)
            if removed:
                ctx.wrote("issues_removed", removed)
        state_save(state, etag=etag, last_success_at=now())
    ctx.wrote("issues", written)
    return written
