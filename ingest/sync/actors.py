"""Actors met in payloads: map REST and GraphQL shapes to one row each, upserted first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from ..changes import facts_changed
from ..identity import is_bot
from ..models import Actor, Comment, Commit, Issue, PullRequest, Review, Star
from .upsert import upsert_rows_returning_pks

ACTOR_TYPES = {"User", "Bot", "Organization", "Mannequin"}
# Profile fields are left alone: profiles.py owns them.
ACTOR_COLUMNS = ["github_id", "node_id", "login", "type", "is_bot"]


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
        (
            a["github_id"],
            a["node_id"],
            a["login"],
            a["type"],
            is_bot(login=a["login"], actor_type=a["type"], extra_bots=bots),
        )
        for a in todo
    ]
    renamed = _actors_changed(rows)
    written = upsert_rows_returning_pks(Actor, columns=ACTOR_COLUMNS, rows=rows, key="github_id")
    if renamed:
        # Their login or bot flag is part of other repositories' facts as read: those changed.
        facts_changed(repository_ids=actor_repositories(actor_ids=renamed))
    pks.update(written)
    if cache is not None:
        fresh = {row[0]: (written[row[0]], row[2], row[3], row[1]) for row in rows}
        # Only once the page's transaction commits: a rolled-back row must not be reused.
        transaction.on_commit(lambda: cache.update(fresh))
    return pks


def _actors_changed(rows: list[tuple]) -> list[int]:
    """Primary keys of stored actors whose login, type or bot flag these rows change."""
    stored = Actor.objects.filter(github_id__in=[row[0] for row in rows]).values_list(
        "github_id", "pk", "login", "type", "is_bot"
    )
    new = {row[0]: (row[2], row[3], row[4]) for row in rows}
    return [pk for github_id, pk, *now in stored if tuple(now) != new[github_id]]


def actor_repositories(*, actor_ids: list[int]) -> set[int]:
    """The repositories where these actors appear in any fact."""
    found: set[int] = set()
    for model, field in (
        (Issue, "author"),
        (PullRequest, "author"),
        (PullRequest, "merged_by"),
        (Review, "author"),
        (Comment, "author"),
        (Commit, "author"),
        (Star, "actor"),
    ):
        found.update(
            model.objects.filter(**{f"{field}_id__in": actor_ids})
            .values_list("repository_id", flat=True)
            .distinct()
        )
    return found
