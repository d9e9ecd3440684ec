"""Pull requests of one repository with their reviews (GraphQL, 100 per page, newest first)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from ..changes import facts_changed
from ..github import queries
from ..models import PullRequest, Repository, Review
from .actors import actor_from_graphql, actors_upsert, parse_time
from .context import SyncContext, now
from .graphql import connection_nodes as _nodes
from .graphql import connection_pages
from .graphql import connection_total as _total
from .issues import OVERLAP, probe
from .prefetch import prefetched
from .state import state_get, state_save
from .upsert import upsert_rows, upsert_rows_returning_pks

PR_COLUMNS = [
    "github_id",
    "node_id",
    "repository",
    "number",
    "title",
    "state",
    "draft",
    "locked",
    "author",
    "author_association",
    "labels",
    "closes_issues",
    "comments_count",
    "commits_count",
    "additions",
    "deletions",
    "changed_files",
    "created_at",
    "updated_at",
    "closed_at",
    "merged_at",
    "merged_by",
]
REVIEW_COLUMNS = [
    "github_id",
    "repository",
    "pull_request",
    "author",
    "state",
    "author_association",
    "submitted_at",
]


def _review_rows(
    nodes: list[dict[str, Any]],
    *,
    repository_id: int,
    pull_request_id: int,
    actor_pks: dict[int, int],
) -> list[tuple]:
    """Rows in REVIEW_COLUMNS order."""
    rows = []
    for node in nodes:
        if node.get("fullDatabaseId") is None or node.get("state") == "PENDING":
            continue  # a pending review is private to its author until submitted
        author = node.get("author")
        rows.append(
            (
                int(node["fullDatabaseId"]),
                repository_id,
                pull_request_id,
                actor_pks.get(author.get("databaseId")) if author else None,
                node.get("state") or "",
                node.get("authorAssociation") or "",
                node.get("submittedAt") or None,
            )
        )
    return rows


def _pull_request_row(node: dict[str, Any], *, repository_id: int, pks: dict[int, int]) -> tuple:
    """One row in PR_COLUMNS order; timestamps stay GitHub's text (the database parses)."""
    author = node.get("author")
    merged_by = node.get("mergedBy")
    state = (node.get("state") or "OPEN").upper()
    return (
        int(node["fullDatabaseId"]),
        node.get("id") or "",
        repository_id,
        int(node["number"]),
        node.get("title") or "",
        "open" if state == "OPEN" else "closed",
        bool(node.get("isDraft")),
        bool(node.get("locked")),
        pks.get(author.get("databaseId")) if author else None,
        node.get("authorAssociation") or "",
        [n.get("name") for n in _nodes(node.get("labels"))],
        [n.get("number") for n in _nodes(node.get("closingIssuesReferences"))],
        _total(node.get("comments")),
        _total(node.get("commits")),
        int(node.get("additions") or 0),
        int(node.get("deletions") or 0),
        int(node.get("changedFiles") or 0),
        node["createdAt"],
        node["updatedAt"],
        node.get("closedAt") or None,
        node.get("mergedAt") or None,
        pks.get(merged_by.get("databaseId")) if merged_by else None,
    )


def _write_page(ctx: SyncContext, repo: Repository, nodes: list[dict[str, Any]]) -> int:
    actors = []
    for node in nodes:
        actors.append(actor_from_graphql(node.get("author")))
        actors.append(actor_from_graphql(node.get("mergedBy")))
        actors.extend(actor_from_graphql(r.get("author")) for r in _nodes(node.get("reviews")))
    pks = actors_upsert(actors, bots=ctx.bots, cache=ctx.actors)
    rows = [_pull_request_row(node, repository_id=repo.pk, pks=pks) for node in nodes]
    pr_pks = upsert_rows_returning_pks(PullRequest, columns=PR_COLUMNS, rows=rows, key="github_id")
    facts_changed(repository_ids=[repo.pk])
    reviews = []
    for node in nodes:
        reviews.extend(
            _review_rows(
                _nodes(node.get("reviews")),
                repository_id=repo.pk,
                pull_request_id=pr_pks[int(node["fullDatabaseId"])],
                actor_pks=pks,
            )
        )
    ctx.wrote(
        "reviews", upsert_rows(Review, columns=REVIEW_COLUMNS, rows=reviews, key=["github_id"])
    )
    return len(pr_pks)


def _more_reviews(ctx: SyncContext, repo: Repository, node: dict[str, Any]) -> None:
    """A pull request with more reviews than the first page holds: page the rest."""
    after = ((node.get("reviews") or {}).get("pageInfo") or {}).get("endCursor")
    if not after:
        return
    pr_id = PullRequest.objects.get(github_id=int(node["fullDatabaseId"])).pk
    pages = connection_pages(
        ctx,
        queries.PULL_REQUEST_REVIEWS,
        {"owner": repo.owner_login, "name": repo.name, "number": int(node["number"])},
        lambda data: ((data.get("repository") or {}).get("pullRequest") or {}).get("reviews"),
        after=after,
    )
    for connection in pages:
        nodes = _nodes(connection)
        with transaction.atomic():
            pks = actors_upsert(
                (actor_from_graphql(r.get("author")) for r in nodes),
                bots=ctx.bots,
                cache=ctx.actors,
            )
            ctx.wrote(
                "reviews",
                upsert_rows(
                    Review,
                    columns=REVIEW_COLUMNS,
                    rows=_review_rows(
                        nodes, repository_id=repo.pk, pull_request_id=pr_id, actor_pks=pks
                    ),
                    key=["github_id"],
                ),
            )
            facts_changed(repository_ids=[repo.pk])


def repository_sync_pull_requests(*, ctx: SyncContext, repository_id: int) -> int:
    """Pull requests updated since the watermark (all with ctx.full), newest-updated first,
    stopping at the first page that reaches below the watermark. Returns pull requests written.

    GraphQL lists newest first only, so the watermark moves once the run completes; a run
    killed midway starts again from the top next time (its pages were already written)."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="pull_requests")
    unchanged, etag = probe(
        ctx,
        path=f"/repos/{repo.full_name}/pulls",
        etag="" if ctx.full else state.etag,
        params={"state": "all", "sort": "updated", "direction": "desc"},
    )
    if unchanged:
        return 0
    stop_at: datetime | None = None
    if state.watermark and not ctx.full:
        stop_at = state.watermark - OVERLAP
    newest = state.watermark
    written = 0
    pages = connection_pages(
        ctx,
        queries.PULL_REQUESTS,
        {"owner": repo.owner_login, "name": repo.name},
        lambda data: (data.get("repository") or {}).get("pullRequests"),
    )
    # Prefetch on full reads only: an incremental run stops early, and a prefetched page
    # would be a wasted request.
    for connection in prefetched(pages) if stop_at is None else pages:
        nodes = [n for n in _nodes(connection) if n.get("fullDatabaseId") is not None]
        if stop_at is not None:
            fresh = [n for n in nodes if parse_time(n["updatedAt"]) >= stop_at]
            reached = len(fresh) < len(nodes)
            nodes = fresh
        else:
            reached = False
        with transaction.atomic():
            n = _write_page(ctx, repo, nodes)
            written += n
            # A full read lists every pull request GitHub counts; an incremental one stops at
            # the watermark, somewhere GitHub cannot say.
            total = _total(connection) if stop_at is None else None
            ctx.page_written("pull_requests", n, total=total)
        for node in nodes:
            updated = parse_time(node["updatedAt"])
            if newest is None or updated > newest:
                newest = updated
            info = (node.get("reviews") or {}).get("pageInfo") or {}
            if info.get("hasNextPage"):
                _more_reviews(ctx, repo, node)
        if reached:
            break
    state_save(state, watermark=newest, etag=etag, last_success_at=now())
    return written
