"""Reading GraphQL connections: their nodes, their totals, and their pages one after another."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .context import SyncContext


def connection_nodes(connection: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The nodes of a GraphQL connection (nulls, e.g. unreadable items, left out)."""
    return [n for n in (connection or {}).get("nodes") or [] if isinstance(n, dict)]


def connection_total(connection: dict[str, Any] | None) -> int:
    return int((connection or {}).get("totalCount") or 0)


def connection_pages(
    ctx: SyncContext,
    query: str,
    variables: dict[str, Any],
    connection_of: Callable[[dict[str, Any]], dict[str, Any] | None],
    *,
    after: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Each page of one connection (`connection_of` finds it in the answer's data), from the
    cursor `after` (None: the start), following `endCursor` as `$after` while `hasNextPage`."""
    while True:
        connection = connection_of(ctx.client.graphql(query, {**variables, "after": after})) or {}
        yield connection
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")
