"""Stargazers of one repository with their dates (REST, `star+json`, oldest first)."""

from __future__ import annotations

from django.db import transaction

from ..changes import facts_changed
from ..github.client import STAR_ACCEPT
from ..models import Repository, Star
from .actors import actor_from_rest, actors_upsert
from .context import SyncContext, now
from .prefetch import prefetched
from .state import state_get, state_save
from .upsert import delete_missing, upsert_rows


def repository_sync_stars(*, ctx: SyncContext, repository_id: int) -> int:
    """New stars: GitHub lists stargazers oldest first with no `since`, so the checkpoint is the
    address of the last page read (as GitHub's `Link` gave it, kept relative to GITHUB_API_URL
    so that a changed API URL does not strand it) and, once it is the final page, its ETag:
    an unchanged repository costs one 304. With ctx.full every page is read and stars no
    longer listed (un-starred) are removed. Returns stars written."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="stars")
    start = f"/repos/{repo.full_name}/stargazers"
    params: dict | None = {"per_page": 100}
    etag = None
    if state.cursor and not ctx.full:
        start, params, etag = ctx.client.checkpoint_path(state.cursor), None, state.etag or None
    written = 0
    seen: set[int] = set()
    for page in prefetched(ctx.client.paginate(start, params, accept=STAR_ACCEPT, etag=etag)):
        if page.not_modified:
            return 0
        items = [
            i
            for i in (page.data if isinstance(page.data, list) else [])
            if isinstance(i, dict) and i.get("user") and i.get("starred_at")
        ]
        with transaction.atomic():
            pks = actors_upsert(
                (actor_from_rest(i["user"]) for i in items), bots=ctx.bots, cache=ctx.actors
            )
            rows = [
                (repo.pk, pks[i["user"]["id"]], i["starred_at"])
                for i in items
                if i["user"].get("id") in pks
            ]
            written += upsert_rows(
                Star,
                columns=["repository", "actor", "starred_at"],
                rows=rows,
                key=["repository", "actor"],
            )
            facts_changed(repository_ids=[repo.pk])
            # Resume here. Keep the ETag only for a last page with room left: a resumed run
            # must not stop on a 304 before following `next`, and a full last page stays
            # byte-identical (hence 304) when the next star opens a new page after it.
            room_left = len(page.data or []) < 100
            keep = not page.next_url and room_left
            state_save(
                state, cursor=ctx.client.checkpoint_path(page.url), etag=page.etag if keep else ""
            )
        seen.update(row[1] for row in rows)
    if ctx.full:
        removed = delete_missing(
            Star.objects.filter(repository_id=repo.pk), seen=seen, key="actor_id"
        )
        if removed:
            facts_changed(repository_ids=[repo.pk])
            ctx.wrote("stars_removed", removed)
    state_save(state, last_success_at=now())
    ctx.wrote("stars", written)
    return written
