"""Actors met in payloads: map REST and GraphQL shapes to one row each, upserted first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from ..identity import is_bot
from ..models import Actor

ACTOR_TYPES = {"User", "Bot", "Organization", "Mannequin"}


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def actor_from_rest(user: dict[str, Any] | None) -> dict[str, Any] | None:
    if not user or user.get("id") is None or not user.get("login"):
        return None
    kind = user.get("type") if user.get("type") in ACTOR_TYPES else "User"
    return {
        "github_id": int(user["id"]),
        "node_id": user.get("node_id") or "",
        "login": user["login"],
        "type": kind,
    }


def actor_from_graphql(
    node: dict[str, Any] | None, *, typename: str | None = None
) -> dict[str, Any] | None:
    if not node or node.get("databaseId") is None or not node.get("login"):
        return None
    kind = typename or node.get("__typename") or "User"
    return {
        "github_id": int(node["databaseId"]),
        "node_id": node.get("id") or "",
        "login": node["login"],
        "type": kind if kind in ACTOR_TYPES else "User",
    }


def actors_upsert(
    actors: Iterable[dict[str, Any] | None],
    *,
    bots: set[str],
    cache: dict[int, tuple] | None = None,
) -> dict[int, int]:
    """Insert or update actors by GitHub id (login, type, node id, bot flag); profile fields are
    left alone. Returns {github_id: primary key} for every actor given.

    `cache` (one per sync run): actors already written unchanged in a committed page are not
    written again; the same few people appear on most pages."""
    unique: dict[int, dict[str, Any]] = {}
    for actor in actors:
        if actor is not None:
            unique[actor["github_id"]] = actor
    if not unique:
        return {}
    pks: dict[int, int] = {}
    todo = []
    for github_id, a in unique.items():
        known = cache.get(github_id) if cache is not None else None
        if known is not None and known[1:] == (a["login"], a["type"], a["node_id"]):
            pks[github_id] = known[0]
        else:
            todo.append(a)
    if not todo:
        return pks
    rows = [
        Actor(
            github_id=a["github_id"],
            node_id=a["node_id"],
            login=a["login"],
            type=a["type"],
            is_bot=is_bot(login=a["login"], actor_type=a["type"], extra_bots=bots),
        )
        for a in sorted(todo, key=lambda a: a["github_id"])  # stable lock order
    ]
    Actor.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["github_id"],
        update_fields=["node_id", "login", "type", "is_bot"],
        batch_size=500,
    )
    if any(row.pk is None for row in rows):  # a backend without INSERT … RETURNING
        ids = [row.github_id for row in rows]
        written = dict(Actor.objects.filter(github_id__in=ids).values_list("github_id", "pk"))
    else:
        written = {row.github_id: row.pk for row in rows}
    pks.update(written)
    if cache is not None:
        fresh = {
            row.github_id: (row_pk, row.login, row.type, row.node_id)
            for row in rows
            if (row_pk := written.get(row.github_id))
        }
        # Only once the page's transaction commits: a rolled-back row must not be reused.
        transaction.on_commit(lambda: cache.update(fresh))
    return pks
