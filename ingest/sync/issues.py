"""Issues of one repository (GraphQL pages of 100 from a watermark, behind a REST ETag probe)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction

from ..changes import facts_changed
from ..github import queries
from ..models import Issue, Repository
from .actors import actor_from_graphql, actors_upsert, parse_time
from .context import SyncContext, now
from .graphql import connection_nodes, connection_pages, connection_total
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


def issue_row(node: dict[str, Any], *, repository_id: int, actor_pks: dict[int, int]) -> tuple:
    """One row in ISSUE_COLUMNS order from a GraphQL issue node; timestamps stay GitHub's text
    (the database parses), enums in REST's lower case as before."""
    author = node.get("author")
    return (
        int(node["fullDatabaseId"]),
        node.get("id") or "",
        repository_id,
        int(node["number"]),
        node.get("title") or "",
        (node.get("state") or "OPEN").lower(),
        (node.get("stateReason") or "").lower(),
        bool(node.get("locked")),
        actor_pks.get(author.get("databaseId")) if author else None,
        node.get("authorAssociation") or "",
        [label.get("name") for label in connection_nodes(node.get("labels"))],
        connection_total(node.get("comments")),
        node["createdAt"],
        node["updatedAt"],
        node.get("closedAt") or None,
    )


def repository_sync_issues(*, ctx: SyncContext, repository_id: int) -> int:
    """Issues updated since the watermark (all of them with ctx.full), oldest-updated first so
    each page's checkpoint is a safe place to resume. A full run that finishes deletes issues
    GitHub no longer lists (deleted or transferred). Returns issues written.

    The If-None-Match probe is REST's (GraphQL has no ETags): its newest-updated item moves
    when an issue or a pull request changes, and an unchanged repository costs one 304."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="issues")
    unchanged, etag = probe(
        ctx,
        path=f"/repos/{repo.full_name}/issues",
        etag="" if ctx.full else state.etag,
        params={"state": "all", "sort": "updated", "direction": "desc"},
    )
    if unchanged:
        return 0
    since = None
    if state.watermark and not ctx.full:
        since = (state.watermark - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    written = 0
    seen: set[int] = set()
    pages = connection_pages(
        ctx,
        queries.ISSUES,
        {"owner": repo.owner_login, "name": repo.name, "since": since},
        lambda data: (data.get("repository") or {}).get("issues"),
    )
    for connection in prefetched(pages):
        # Only issues, and only the fields stored: the REST list would also bring every pull
        # request, in full, to be thrown away.
        nodes = [n for n in connection_nodes(connection) if n.get("fullDatabaseId") is not None]
        watermark = max((parse_time(n["updatedAt"]) for n in nodes), default=None)
        with transaction.atomic():
            pks = actors_upsert(
                (actor_from_graphql(n.get("author")) for n in nodes),
                bots=ctx.bots,
                cache=ctx.actors,
            )
            rows = [issue_row(n, repository_id=repo.pk, actor_pks=pks) for n in nodes]
            n = upsert_rows(Issue, columns=ISSUE_COLUMNS, rows=rows, key=["github_id"])
            written += n
            facts_changed(repository_ids=[repo.pk])
            # With `since`, GitHub's totalCount is what this run reads: an honest estimate.
            ctx.page_written("issues", n, total=connection_total(connection))
            if watermark and (state.watermark is None or watermark > state.watermark):
                state_save(state, watermark=watermark)
        seen.update(row[0] for row in rows)
    with transaction.atomic():
        if ctx.full:
            removed = delete_missing(Issue.objects.filter(repository_id=repo.pk), seen=seen)
            if removed:
                facts_changed(repository_ids=[repo.pk])
                ctx.wrote("issues_removed", removed)
        state_save(state, etag=etag, last_success_at=now())
    return written
