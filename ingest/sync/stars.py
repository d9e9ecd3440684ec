"""Stargazers of one repository with their dates and their accounts' creation dates (GraphQL,
oldest first)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..changes import facts_changed
from ..github import queries
from ..models import Actor, Repository, Star
from .actors import actor_from_graphql, actors_upsert, parse_time
from .context import SyncContext, now
from .graphql import connection_pages, connection_total
from .prefetch import prefetched
from .state import state_get, state_save
from .upsert import delete_missing, update_columns, upsert_rows


def _stargazers(data: dict[str, Any]) -> dict[str, Any] | None:
    return (data.get("repository") or {}).get("stargazers")


def _resumable(cursor: str) -> str | None:
    """A GraphQL cursor to resume from; a REST page address kept by an older version (a path
    or URL) is not one, and the read starts over (stars are upserted: nothing is doubled)."""
    return cursor if cursor and not cursor.startswith(("/", "http://", "https://")) else None


def repository_sync_stars(*, ctx: SyncContext, repository_id: int) -> int:
    """New stars, with each stargazer's account creation date (`createdAt`, read in the same
    page: no request per person). Stargazers come oldest first, so the checkpoint is the cursor
    of the last star read: a resumed run asks only for what came after it, and an unchanged
    repository costs one request that returns no star. With ctx.full every page is read and
    stars no longer listed (un-starred, or the account deleted) are removed. Returns stars
    written."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="stars")
    after = None if ctx.full else _resumable(state.cursor)
    written = 0
    seen: set[int] = set()
    pages = connection_pages(
        ctx,
        queries.STARGAZERS,
        {"owner": repo.owner_login, "name": repo.name},
        _stargazers,
        after=after,
    )
    for page in prefetched(pages):
        edges = [
            e
            for e in page.get("edges") or []
            if isinstance(e, dict) and e.get("starredAt") and isinstance(e.get("node"), dict)
        ]
        end = (page.get("pageInfo") or {}).get("endCursor")
        with transaction.atomic():
            if edges:
                actors = [actor_from_graphql(e["node"], typename="User") for e in edges]
                pks = actors_upsert(actors, bots=ctx.bots, cache=ctx.actors)
                rows = [
                    (repo.pk, pks[actor["github_id"]], e["starredAt"])
                    for actor, e in zip(actors, edges, strict=True)
                    if actor is not None and actor["github_id"] in pks
                ]
                n = upsert_rows(
                    Star,
                    columns=["repository", "actor", "starred_at"],
                    rows=rows,
                    key=["repository", "actor"],
                )
                written += n
                # Read from the start, every stargazer GitHub counts is read; resumed from a
                # cursor, how many come after it is not known.
                ctx.page_written(
                    "stars", n, total=connection_total(page) if after is None else None
                )
                _created_at_store(
                    {
                        pks[actor["github_id"]]: e["node"].get("createdAt")
                        for actor, e in zip(actors, edges, strict=True)
                        if actor is not None and actor["github_id"] in pks
                    }
                )
                facts_changed(repository_ids=[repo.pk])
                seen.update(row[1] for row in rows)
            if end:  # an empty page has no cursor: the one kept still marks the place
                state_save(state, cursor=end, etag="")
    if ctx.full:
        removed = delete_missing(
            Star.objects.filter(repository_id=repo.pk), seen=seen, key="actor_id"
        )
        if removed:
            facts_changed(repository_ids=[repo.pk])
            ctx.wrote("stars_removed", removed)
    state_save(state, last_success_at=now())
    ctx.wrote("stars", 0)  # an unchanged repository still shows "stars: 0"
    return written


def _created_at_store(created: dict[int, str | None]) -> None:
    """Store the accounts' creation dates read with their stars, where the stored one differs
    (profiles.py reads the same field for the people it fetches; an account's creation date
    does not change, so the two never disagree)."""
    known = {k: v for k, v in created.items() if v}
    if not known:
        return
    stored = dict(Actor.objects.filter(pk__in=list(known)).values_list("pk", "created_at"))
    rows = [
        (pk, parse_time(value))
        for pk, value in known.items()
        if pk in stored and stored[pk] != parse_time(value)
    ]
    update_columns(Actor, rows, columns=["created_at"], casts=["timestamptz"])
