"""`POST /graphql`: graphql-core executes queries against GitHub's own schema, resolving from the world.

The schema is GitHub's published SDL (`$PULSE_GITHUB_CONTRACTS/schema.graphql.gz`, else
`../shared/data/github/`), so a query GitHub would reject is rejected here; without it the
committed subset `schema_subset.graphql` (generated from the same SDL by `prune_schema.py`)
is served. Resolvers exist for the fields ingest reads (see `ingest/github/queries.py`):
anything else in the schema validates but resolves to null.

Objects are dicts whose keys are GraphQL field names; a callable value is a field with
arguments, or one that is dear to compute and often not asked for (it is called with `info`
and the arguments).

Execution, the fast path: validation is graphql-core's alone (parsed and validated once per
query text, `_checked_document`), so what GitHub would reject is still rejected here. A valid
document is then executed by `graphql_fast.FastExecutor`: graphql-core's own `Executor`
(operation and variables, field collection with fragments and `@skip`/`@include`, argument
coercion, runtime types, error location and null propagation) with a lean per-field loop for
these dict objects, which was most of the simulator's CPU. It declines what it does not
reproduce exactly (introspection, mutations, other resolvers or type checks than these), and
graphql-core executes that request; `execute(..., reference=True)` always uses graphql-core,
and tests/test_simulator_graphql_fast.py holds the two to byte-identical answers.

Resolvers read a page's shared facts once: the reviews and linked issues of a page of pull
requests (`PullPage`), the pull requests of a page of commits (`CommitPage`); cursors and
review ids are made only when a query asks for them.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import graphql
from graphql import GraphQLError, GraphQLSchema

from ingest.simulator import graphql_fast
from ingest.simulator.world import Repo, User, World, iso, node_id, parse_node_id

HERE = Path(__file__).resolve().parent
SUBSET = HERE / "schema_subset.graphql"
MAX_PAGE = 100

_schema_lock = threading.Lock()
_schemas: dict[str, GraphQLSchema] = {}


def contracts_dir() -> Path:
    """Where GitHub's published API descriptions live (`$PULSE_GITHUB_CONTRACTS` or ../shared/data/github)."""
    configured = os.environ.get("PULSE_GITHUB_CONTRACTS")
    return Path(configured) if configured else HERE.parents[2] / "shared" / "data" / "github"


def build(sdl: str) -> GraphQLSchema:
    # GitHub's SDL trips graphql-core's schema validation on details that do not affect queries
    # (it predates some spec rules); GitHub itself serves it, so it is taken as valid.
    schema = graphql.build_schema(sdl, assume_valid_sdl=True)
    schema._validation_errors = []  # noqa: SLF001 - documented way to skip schema validation
    return schema


def load_schema(*, prefer_full: bool = True) -> tuple[GraphQLSchema, str]:
    """GitHub's full schema if its file is present, else the committed subset; cached per process."""
    full = contracts_dir() / "schema.graphql.gz"
    key = str(full) if prefer_full and full.is_file() else str(SUBSET)
    with _schema_lock:
        if key not in _schemas:
            if key == str(SUBSET):
                _schemas[key] = build(SUBSET.read_text())
            else:
                _schemas[key] = build(gzip.open(full).read().decode())
        return _schemas[key], "github" if key != str(SUBSET) else "subset"


# -- cost -----------------------------------------------------------------------------------


def query_cost(
    document: graphql.DocumentNode, variables: dict[str, Any], operation: str | None
) -> int:
    """GitHub's documented rate-limit cost: connection requests needed, divided by 100, at least 1.

    Each connection with `first`/`last` costs one request per parent object; its children are
    multiplied by that page size (docs: "Calculating a rate limit score before running the call").
    """
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, graphql.FragmentDefinitionNode)
    }
    ops = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    op = next((o for o in ops if operation is None or (o.name and o.name.value == operation)), None)
    if op is None:
        return 1

    def value(node: graphql.ValueNode) -> Any:
        return graphql.value_from_ast_untyped(node, variables)

    def walk(selection_set: graphql.SelectionSetNode | None, multiplier: int) -> int:
        if selection_set is None:
            return 0
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, graphql.FieldNode):
                args = {a.name.value: value(a.value) for a in sel.arguments or ()}
                size = args.get("first") or args.get("last")
                if isinstance(size, int):
                    total += multiplier + walk(sel.selection_set, multiplier * size)
                else:
                    total += walk(sel.selection_set, multiplier)
            elif isinstance(sel, graphql.InlineFragmentNode):
                total += walk(sel.selection_set, multiplier)
            elif isinstance(sel, graphql.FragmentSpreadNode) and sel.name.value in fragments:
                total += walk(fragments[sel.name.value].selection_set, multiplier)
        return total

    return max(1, round(walk(op.selection_set, 1) / 100))


# -- resolvers ------------------------------------------------------------------------------


class NotFound(GraphQLError):
    """GitHub's NOT_FOUND error (data for that field is null, the rest of the answer stands)."""


def encode_cursor(key: list[Any]) -> str:
    return base64.b64encode(
        b"cursor:v2:" + json.dumps(key, separators=(",", ":")).encode()
    ).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True)
        if not raw.startswith(b"cursor:v2:"):
            raise ValueError(cursor)
        key = json.loads(raw[len(b"cursor:v2:") :])
        if not isinstance(key, list):
            raise ValueError(cursor)
        return key
    except ValueError:
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from None


def _wants_nodes(info: graphql.GraphQLResolveInfo) -> bool:
    return any(
        isinstance(s, graphql.FieldNode) and s.name.value in ("nodes", "edges")
        for node in info.field_nodes
        for s in (node.selection_set.selections if node.selection_set else ())
    )


def _page_size(info: graphql.GraphQLResolveInfo, first: int | None, last: int | None) -> int | None:
    size = first if first is not None else last
    name = info.field_name
    if size is None:
        if _wants_nodes(info):
            raise GraphQLError(
                f"You must provide a `first` or `last` value to properly paginate the `{name}` "
                "connection."
            )
        return None
    if size < 0 or size > MAX_PAGE:
        which = "first" if first is not None else "last"
        raise GraphQLError(
            f"Requesting {size} records on the `{name}` connection exceeds the `{which}` limit of "
            f"{MAX_PAGE} records."
        )
    return size


def list_connection(
    info: graphql.GraphQLResolveInfo,
    items: list[Any],
    *,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    """A connection over a short in-memory list (labels, parents, linked issues)."""
    size = _page_size(info, first, last)
    start = int(decode_cursor(after)[0]) + 1 if after else 0
    if size is None:
        size = 0
    chunk = items[start : start + size] if last is None else items[max(0, len(items) - size) :]
    begin = start if last is None else max(0, len(items) - size)
    return connection(
        chunk,
        lambda n: encode_cursor([begin + n]),
        total=len(items),
        has_next=begin + len(chunk) < len(items),
        has_previous=begin > 0,
    )


def connection(
    nodes: list[Any],
    cursor_of: Callable[[int], str],
    *,
    total: Any,
    has_next: bool,
    has_previous: bool,
) -> dict[str, Any]:
    """A connection's fields over one page of nodes. Cursors (JSON and base64 each) are made
    only when asked for: ingest reads `endCursor` alone, most connections not even that."""
    return {
        "totalCount": total,
        "nodes": nodes,
        "edges": lambda info: [
            {"cursor": cursor_of(n), "node": node} for n, node in enumerate(nodes)
        ],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": lambda info: cursor_of(0) if nodes else None,
            "endCursor": lambda info: cursor_of(len(nodes) - 1) if nodes else None,
        },
    }


def keyset_connection(
    info: graphql.GraphQLResolveInfo,
    world: World,
    *,
    table: str,
    where: str,
    params: dict[str, Any],
    order: list[tuple[str, str]],
    first: int | None,
    last: int | None,
    after: str | None,
    build: Callable[[list[sqlite3.Row]], list[Any]],
) -> dict[str, Any]:
    """A connection over a SQL table, paged by opaque keyset cursors (stable under inserts).

    `build` makes the page's nodes from its rows, all at once (so that they can share queries)."""
    size = _page_size(info, first, last)
    if last is not None and first is None:
        raise GraphQLError(f"The simulator pages `{info.field_name}` forwards only; use `first`.")
    total = lambda _info: world.query_one(f"SELECT count(*) FROM {table} WHERE {where}", params)[0]  # noqa: E731
    if size is None:
        return {
            "totalCount": total,
            "nodes": [],
            "edges": [],
            "pageInfo": {
                "hasNextPage": False,
                "hasPreviousPage": False,
                "startCursor": None,
                "endCursor": None,
            },
        }
    clause, args = where, dict(params)
    if after:
        key = decode_cursor(after)
        if len(key) != len(order):
            raise GraphQLError(f"`{after}` does not appear to be a valid cursor.")
        # (a, b) after (x, y) in the given directions, spelled out for SQLite.
        ors = []
        for n in range(len(order)):
            parts = [f"{order[m][0]} = :k{m}" for m in range(n)]
            parts.append(f"{order[n][0]} {'<' if order[n][1] == 'DESC' else '>'} :k{n}")
            ors.append("(" + " AND ".join(parts) + ")")
        clause += " AND (" + " OR ".join(ors) + ")"
        args.update({f"k{n}": k for n, k in enumerate(key)})
    order_sql = ", ".join(f"{column} {direction}" for column, direction in order)
    rows = world.query(
        f"SELECT * FROM {table} WHERE {clause} ORDER BY {order_sql} LIMIT {size + 1}", args
    )
    return keyset_page(rows, size, order=order, after=after, build=build, total=total)


def keyset_page(
    rows: list[sqlite3.Row],
    size: int,
    *,
    order: list[tuple[str, str]],
    after: str | None,
    build: Callable[[list[sqlite3.Row]], list[Any]],
    total: Any,
) -> dict[str, Any]:
    """The connection of one keyset page, from up to `size + 1` rows in order (one more than
    the page tells that there is a next page)."""
    more = len(rows) > size
    rows = rows[:size]
    return connection(
        build(rows),
        lambda n: encode_cursor([rows[n][column] for column, _ in order]),
        total=total,
        has_next=more,
        has_previous=bool(after),
    )


class PullPage:
    """What the pull requests of one page share, each read in one query when first asked for:
    their reviews, and which of the issue numbers they reference are issues of the repository.

    A page of 100 pull requests with their first reviews and linked issues is then a handful
    of queries instead of two or three per pull request."""

    def __init__(self, world: World, repo: Repo, rows: list[sqlite3.Row]) -> None:
        self.world = world
        self.repo = repo
        self.numbers = [row["number"] for row in rows]
        self.referenced = sorted(
            {n for row in rows for n in json.loads(row["closes"] or "[]") if isinstance(n, int)}
        )
        self._reviews: dict[int, list[sqlite3.Row]] | None = None
        self._issues: set[int] | None = None

    def reviews(self, number: int) -> list[sqlite3.Row]:
        """Every review of one of the page's pull requests, in id order."""
        if self._reviews is None:
            self._reviews = {n: [] for n in self.numbers}
            for row in rows_numbered(
                self.world,
                "SELECT * FROM reviews WHERE repo_id=? AND number IN ({}) ORDER BY id",
                self.repo,
                self.numbers,
            ):
                self._reviews[row["number"]].append(row)
        return self._reviews[number]

    def issues(self) -> set[int]:
        """The referenced numbers that are issues (not pull requests) of the repository."""
        if self._issues is None:
            self._issues = {
                row[0]
                for row in rows_numbered(
                    self.world,
                    "SELECT number FROM issues WHERE repo_id=? AND is_pull=0 AND number IN ({})",
                    self.repo,
                    self.referenced,
                )
            }
        return self._issues


class CommitPage:
    """The pull requests the commits of one page came in with, read in one query (and as one
    `PullPage`), and their co-authors, read in one query: each when first asked for."""

    def __init__(self, world: World, repo: Repo, rows: list[sqlite3.Row]) -> None:
        self.world = world
        self.repo = repo
        self.shas = [row["sha"] for row in rows]
        self.numbers = sorted({row["pr_number"] for row in rows if row["pr_number"] is not None})
        self._pulls: tuple[dict[int, sqlite3.Row], PullPage] | None = None
        self._co_authors: dict[str, list[sqlite3.Row]] | None = None

    def co_authors(self, sha: str) -> list[sqlite3.Row]:
        """The commit's `Co-authored-by:` people, in trailer order."""
        if self._co_authors is None:
            self._co_authors = {}
            for start in range(0, len(self.shas), 500):
                chunk = self.shas[start : start + 500]
                for row in self.world.query(
                    "SELECT * FROM co_authors WHERE repo_id=? AND sha IN ({}) "
                    "ORDER BY sha, position".format(",".join("?" * len(chunk))),
                    (self.repo.id, *chunk),
                ):
                    self._co_authors.setdefault(row["sha"], []).append(row)
        return self._co_authors.get(sha, [])

    def pulls(self) -> tuple[dict[int, sqlite3.Row], PullPage]:
        if self._pulls is None:
            rows = rows_numbered(
                self.world,
                "SELECT * FROM issues WHERE repo_id=? AND is_pull=1 AND number IN ({})",
                self.repo,
                self.numbers,
            )
            self._pulls = (
                {row["number"]: row for row in rows},
                PullPage(self.world, self.repo, rows),
            )
        return self._pulls


def rows_numbered(world: World, sql: str, repo: Repo, numbers: list[int]) -> list[sqlite3.Row]:
    """`sql` (with `repo_id=?` and `number IN ({})`) for a repository and a list of numbers."""
    rows: list[sqlite3.Row] = []
    for start in range(0, len(numbers), 500):  # well below SQLite's bound-parameter limit
        chunk = numbers[start : start + 500]
        rows += world.query(sql.format(",".join("?" * len(chunk))), (repo.id, *chunk))
    return rows


class Resolver:
    """Builds the object graph of one query over one world."""

    def __init__(self, world: World, *, rate: dict[str, Any]) -> None:
        self.world = world
        self.rate = rate
        self._users: dict[int, User | None] = {}
        self._accounts: dict[int, dict[str, Any]] = {}

    def root(self) -> dict[str, Any]:
        return {
            "rateLimit": lambda info, dryRun=False: self.rate,  # noqa: N803 - GraphQL argument name
            "repository": self.repository,
            "nodes": lambda info, ids: [self.node_or_error(i) for i in self._ids(ids)],
            "node": lambda info, id: self.node_or_error(id),  # noqa: A006 - GraphQL argument name
            "user": lambda info, login: self._account_named(login, "User"),
            "organization": lambda info, login: self._account_named(login, "Organization"),
        }

    def _ids(self, ids: list[str]) -> list[str]:
        if len(ids) > MAX_PAGE:
            raise GraphQLError(f"You may not request more than {MAX_PAGE} ids at once.")
        return ids

    # accounts
    def _user(self, uid: int | None) -> User | None:
        if uid is None:
            return None
        if uid not in self._users:
            self._users[uid] = self.world.user_by_id(uid)
        return self._users[uid]

    def actor(self, uid: int | None) -> dict[str, Any] | None:
        user = self._user(uid)
        # A deleted account's content has a null author in GraphQL (REST shows "ghost").
        if user is None or user.deleted:
            return None
        return self.account(user)

    def account(self, user: User) -> dict[str, Any]:
        # The same person authors many things on a page: one object each, read-only.
        found = self._accounts.get(user.id)
        if found is None:
            found = self._accounts[user.id] = self._account(user)
        return found

    def _account(self, user: User) -> dict[str, Any]:
        return {
            "__typename": user.type,
            "id": user.node_id,
            "databaseId": user.id,
            "login": user.login,
            "name": user.name,
            "company": user.company,
            "email": user.email or "",
            "location": user.location,
            "createdAt": user.created_at,
            "url": f"https://github.com/{user.login}",
            "avatarUrl": lambda info, size=None: (
                f"https://avatars.githubusercontent.com/u/{user.id}?v=4"
            ),
        }

    def _account_named(self, login: str, kind: str) -> dict[str, Any] | None:
        user = self.world.user(login)
        if user is None or user.deleted or user.type != kind:
            raise NotFound(f"Could not resolve to a {kind} with the login of '{login}'.")
        return self.account(user)

    def node_or_error(self, global_id: str) -> dict[str, Any] | NotFound:
        """A node, or GitHub's NOT_FOUND error for it (graphql-core turns a returned error into a
        null at that position plus an entry in `errors`, as GitHub answers)."""
        found = self.node(global_id)
        if found is None:
            return NotFound(f"Could not resolve to a node with the global id of '{global_id}'")
        return found

    def node(self, global_id: str) -> dict[str, Any] | None:
        parsed = parse_node_id(global_id)
        if parsed is None:
            return None
        kind, ident = parsed
        if kind in ("User", "Bot", "Organization") and ident.isdigit():
            user = self._user(int(ident))
            return self.account(user) if user and not user.deleted and user.type == kind else None
        if kind == "PullRequest" and ident.isdigit():
            row = self.world.query_one("SELECT * FROM issues WHERE pr_id=?", (int(ident),))
            return self.pull_request(self.world.repo_by_id(row["repo_id"]), row) if row else None
        if kind == "Repository" and ident.isdigit():
            repo = self.world.repo_by_id(int(ident))
            return self.repo_object(repo) if repo else None
        return None

    # repositories
    def repository(
        self, info: graphql.GraphQLResolveInfo, owner: str, name: str, followRenames: bool = True
    ) -> dict[str, Any]:  # noqa: N803
        repo = self.world.repo(f"{owner}/{name}", follow=followRenames)
        if repo is None:
            raise NotFound(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return self.repo_object(repo)

    def repo_object(self, repo: Repo) -> dict[str, Any]:
        return {
            "__typename": "Repository",
            "id": repo.node_id,
            "databaseId": repo.id,
            "name": repo.name,
            "nameWithOwner": repo.full_name,
            "createdAt": repo.created_at,
            "updatedAt": repo.updated_at,
            "pushedAt": repo.pushed_at,
            "isArchived": repo.archived,
            "isFork": repo.fork,
            "description": repo.description,
            "url": f"https://github.com/{repo.full_name}",
            "owner": self.account(self.world.user_by_id(repo.owner_id)),
            "issues": lambda info, **args: self.issues(info, repo, **args),
            "pullRequests": lambda info, **args: self.pull_requests(info, repo, **args),
            "pullRequest": lambda info, number: self.pull_request_numbered(repo, number),
            "defaultBranchRef": self.default_branch(repo),
            "stargazers": lambda info, **args: self.stargazers(info, repo, **args),
        }

    def stargazers(
        self,
        info: graphql.GraphQLResolveInfo,
        repo: Repo,
        *,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        orderBy: dict | None = None,  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        """Who starred the repository, in a StarOrder (STARRED_AT, ascending unless asked), by
        keyset cursor; each edge has its `starredAt`. Only user accounts that still exist are
        listed (`StargazerEdge.node` is a non-null User: a deleted account's stars go with it)."""
        direction = (orderBy or {}).get("direction", "ASC")
        rows: list[sqlite3.Row] = []

        def build(page_rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
            rows.extend(page_rows)
            return [self.account(self._user(row["user_id"])) for row in page_rows]

        found = keyset_connection(
            info,
            self.world,
            table="stars",
            where="repo_id=:repo AND user_id IN "
            "(SELECT id FROM users WHERE type='User' AND deleted IS NULL)",
            params={"repo": repo.id},
            order=[("starred_at", direction), ("user_id", direction)],
            first=first,
            last=last,
            after=after,
            build=build,
        )
        nodes = found["nodes"]
        found["edges"] = lambda info: [
            {
                "cursor": encode_cursor([row["starred_at"], row["user_id"]]),
                "node": node,
                "starredAt": row["starred_at"],
            }
            for row, node in zip(rows, nodes, strict=True)
        ]
        return found

    def issues(
        self,
        info: graphql.GraphQLResolveInfo,
        repo: Repo,
        *,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        orderBy: dict | None = None,  # noqa: N803
        filterBy: dict | None = None,  # noqa: N803
        states: list[str] | None = None,
        labels: list[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Issues proper (GitHub's `issues` connection leaves pull requests out), with the
        filters ingest uses (`filterBy.since`: updated at or after; states) and ordering."""
        where = "repo_id=:repo AND is_pull=0"
        params: dict[str, Any] = {"repo": repo.id}
        filters = filterBy or {}
        states = filters.get("states") or states
        if states:
            where += " AND state IN (" + ",".join(f"'{s.lower()}'" for s in states) + ")"
        if filters.get("since") is not None:
            where += " AND updated_at >= :since"
            params["since"] = _date_time(
                filters["since"], "Argument 'since' on InputObject 'IssueFilters'"
            )
        if labels or filters.get("labels") or filters.get("createdBy") or filters.get("assignee"):
            raise GraphQLError("The simulator filters issues by `since` and `states` only.")
        return self._items(
            info,
            where=where,
            params=params,
            order_by=orderBy,
            page=(first, last, after),
            build=lambda rows: [self.issue(repo, row) for row in rows],
        )

    def _items(
        self,
        info: graphql.GraphQLResolveInfo,
        *,
        where: str,
        params: dict[str, Any],
        order_by: dict | None,
        page: tuple[int | None, int | None, str | None],
        build: Callable[[list[sqlite3.Row]], list[Any]],
    ) -> dict[str, Any]:
        """A page of issues or pull requests (one table) in an IssueOrder (default: created,
        ascending, as GitHub), by keyset cursor."""
        order = order_by or {"field": "CREATED_AT", "direction": "ASC"}
        if order.get("field") not in ("CREATED_AT", "UPDATED_AT"):
            raise GraphQLError("The simulator orders by CREATED_AT or UPDATED_AT only.")
        column = {"CREATED_AT": "created_at", "UPDATED_AT": "updated_at"}[order["field"]]
        direction = order.get("direction", "ASC")
        first, last, after = page
        return keyset_connection(
            info,
            self.world,
            table="issues",
            where=where,
            params=params,
            order=[(column, direction), ("id", direction)],
            first=first,
            last=last,
            after=after,
            build=build,
        )

    def issue(self, repo: Repo, row: sqlite3.Row) -> dict[str, Any]:
        def state_reason(info: graphql.GraphQLResolveInfo, enableDuplicate: bool = False):  # noqa: N803
            reason = (row["state_reason"] or "").upper() or None
            # GitHub shows a duplicate as NOT_PLANNED unless asked (`enableDuplicate`).
            return "NOT_PLANNED" if reason == "DUPLICATE" and not enableDuplicate else reason

        return {
            "__typename": "Issue",
            "id": node_id("Issue", row["id"]),
            "databaseId": row["id"],
            "fullDatabaseId": str(row["id"]),
            "number": row["number"],
            "title": row["title"],
            "body": row["body"] or "",
            "state": row["state"].upper(),
            "stateReason": state_reason,
            "closed": row["state"] == "closed",
            "locked": bool(row["locked"]),
            "createdAt": row["created_at"],
            "updatedAt": row["updated_at"],
            "closedAt": row["closed_at"],
            "authorAssociation": row["author_association"],
            "author": self.actor(row["author_id"]),
            "url": f"https://github.com/{repo.full_name}/issues/{row['number']}",
            "labels": lambda info, **args: list_connection(
                info,
                [{"__typename": "Label", "name": n} for n in json.loads(row["labels"])],
                **args,
            ),
            "comments": lambda info, **args: list_connection(info, [{}] * row["comments"], **args),
        }

    def pull_requests(
        self,
        info: graphql.GraphQLResolveInfo,
        repo: Repo,
        *,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        orderBy: dict | None = None,  # noqa: N803
        states: list[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        where = "repo_id=:repo AND is_pull=1"
        params: dict[str, Any] = {"repo": repo.id}
        if states:
            conditions = {
                "OPEN": "state='open'",
                "CLOSED": "(state='closed' AND merged_at IS NULL)",
                "MERGED": "merged_at IS NOT NULL",
            }
            where += " AND (" + " OR ".join(conditions[s] for s in states) + ")"
        return self._items(
            info,
            where=where,
            params=params,
            order_by=orderBy,
            page=(first, last, after),
            build=lambda rows: self.pull_requests_of(repo, rows),
        )

    def pull_requests_of(self, repo: Repo, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        page = PullPage(self.world, repo, rows)
        return [self.pull_request(repo, row, page) for row in rows]

    def pull_request_numbered(self, repo: Repo, number: int) -> dict[str, Any]:
        row = self.world.query_one(
            "SELECT * FROM issues WHERE repo_id=? AND number=? AND is_pull=1", (repo.id, number)
        )
        if row is None:
            raise NotFound(f"Could not resolve to a PullRequest with the number of {number}.")
        return self.pull_request(repo, row)

    def pull_request(
        self, repo: Repo, row: sqlite3.Row, page: PullPage | None = None
    ) -> dict[str, Any]:
        page = page or PullPage(self.world, repo, [row])
        state = "MERGED" if row["merged_at"] else row["state"].upper()

        def labels() -> list[dict[str, Any]]:
            return [{"__typename": "Label", "name": name} for name in json.loads(row["labels"])]

        def closes() -> list[dict[str, Any]]:
            issues = page.issues()
            return [
                {"__typename": "Issue", "number": n}
                for n in json.loads(row["closes"] or "[]")
                if n in issues
            ]

        return {
            "__typename": "PullRequest",
            "id": f"{_pr_node(row['pr_id'])}",
            "databaseId": row["pr_id"],
            "fullDatabaseId": str(row["pr_id"]),
            "number": row["number"],
            "title": row["title"],
            "body": row["body"] or "",
            "state": state,
            "isDraft": bool(row["draft"]),
            "locked": bool(row["locked"]),
            "createdAt": row["created_at"],
            "updatedAt": row["updated_at"],
            "closedAt": row["closed_at"],
            "mergedAt": row["merged_at"],
            "merged": bool(row["merged_at"]),
            "additions": row["additions"],
            "deletions": row["deletions"],
            "changedFiles": row["changed_files"],
            "authorAssociation": row["author_association"],
            "author": self.actor(row["author_id"]),
            "mergedBy": self.actor(row["merged_by_id"]),
            "url": f"https://github.com/{repo.full_name}/pull/{row['number']}",
            "labels": lambda info, **args: list_connection(info, labels(), **args),
            "closingIssuesReferences": lambda info, **args: list_connection(info, closes(), **args),
            "commits": lambda info, **args: list_connection(
                info, [{}] * (row["commits"] or 0), **args
            ),
            "comments": lambda info, **args: list_connection(info, [{}] * row["comments"], **args),
            "reviews": lambda info, **args: self.reviews(info, repo, row["number"], page, **args),
        }

    def reviews(
        self,
        info: graphql.GraphQLResolveInfo,
        repo: Repo,
        number: int,
        page: PullPage,
        *,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        states: list[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        if first is not None and last is None and after is None and not states:
            # A pull request's first reviews, as in ingest's page of pull requests: from the
            # page's shared read, the same answer as the keyset query below gives.
            size = _page_size(info, first, last)
            rows = page.reviews(number)
            return keyset_page(
                rows[: size + 1],
                size,
                order=[("id", "ASC")],
                after=None,
                build=lambda chunk: [self.review(row) for row in chunk],
                total=len(rows),
            )
        where = "repo_id=:repo AND number=:number"
        params: dict[str, Any] = {"repo": repo.id, "number": number}
        if states:
            where += " AND state IN (" + ",".join(f":s{n}" for n in range(len(states))) + ")"
            params.update({f"s{n}": s for n, s in enumerate(states)})
        return keyset_connection(
            info,
            self.world,
            table="reviews",
            where=where,
            params=params,
            order=[("id", "ASC")],
            first=first,
            last=last,
            after=after,
            build=lambda rows: [self.review(row) for row in rows],
        )

    def review(self, row: sqlite3.Row) -> dict[str, Any]:
        return {
            "__typename": "PullRequestReview",
            "id": lambda info: _node("PullRequestReview", row["id"]),
            "databaseId": row["id"],
            "fullDatabaseId": str(row["id"]),
            "state": row["state"],
            "body": row["body"],
            "submittedAt": row["submitted_at"],
            "createdAt": row["submitted_at"],
            "authorAssociation": row["author_association"],
            "author": self.actor(row["author_id"]),
        }

    # git
    def default_branch(self, repo: Repo) -> Callable[..., dict[str, Any] | None]:
        def resolve(info: graphql.GraphQLResolveInfo) -> dict[str, Any] | None:
            tip = self.world.query_one(
                "SELECT * FROM commits WHERE repo_id=? ORDER BY committed_at DESC, seq DESC LIMIT 1",
                (repo.id,),
            )
            if tip is None:
                return None  # an empty repository has no default branch ref, as on GitHub
            return {
                "__typename": "Ref",
                "name": repo.default_branch,
                "prefix": "refs/heads/",
                "id": _node("Ref", repo.id, repo.default_branch),
                "target": self.commit(repo, tip),
            }

        return resolve

    def commit(
        self, repo: Repo, row: sqlite3.Row, page: CommitPage | None = None
    ) -> dict[str, Any]:
        page = page or CommitPage(self.world, repo, [row])
        parents = [{"__typename": "Commit", "oid": sha} for sha in json.loads(row["parents"])]

        def history(
            info: graphql.GraphQLResolveInfo,
            *,
            first: int | None = None,
            last: int | None = None,
            after: str | None = None,
            since: str | None = None,
            until: str | None = None,
            path: str | None = None,
            **_: Any,
        ) -> dict[str, Any]:
            where = "repo_id=:repo AND seq <= :tip"
            params: dict[str, Any] = {"repo": repo.id, "tip": row["seq"]}
            if since:
                where += " AND committed_at >= :since"
                params["since"] = _git_time(since)
            if until:
                where += " AND committed_at <= :until"
                params["until"] = _git_time(until)
            if path:
                where += " AND EXISTS (SELECT 1 FROM json_each(paths) WHERE value=:path)"
                params["path"] = path
            return keyset_connection(
                info,
                self.world,
                table="commits",
                where=where,
                params=params,
                order=[("committed_at", "DESC"), ("seq", "DESC")],
                first=first,
                last=last,
                after=after,
                build=lambda rows: self.commits_of(repo, rows),
            )

        def associated(info: graphql.GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            found = []
            if row["pr_number"] is not None:
                pulls, pull_page = page.pulls()
                pr = pulls.get(row["pr_number"])
                if pr is not None:
                    found.append(self.pull_request(repo, pr, pull_page))
            return list_connection(
                info, found, **{k: v for k, v in args.items() if k in ("first", "last", "after")}
            )

        author = self.git_actor(
            row["author_name"], row["author_email"], row["authored_at"], row["author_id"]
        )

        def authors(info: graphql.GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            # GitHub: the git author, then each `Co-authored-by:` person not listed before.
            actors, seen = [author], {(row["author_email"] or "").strip().lower()}
            for co in page.co_authors(row["sha"]):
                email = co["email"].strip().lower()
                if email in seen:
                    continue
                seen.add(email)
                actors.append(
                    self.git_actor(co["name"], co["email"], row["authored_at"], co["user_id"])
                )
            return list_connection(
                info, actors, **{k: v for k, v in args.items() if k in ("first", "last", "after")}
            )

        return {
            "__typename": "Commit",
            "id": _node("Commit", repo.id, row["sha"]),
            "oid": row["sha"],
            "message": row["message"],
            "messageHeadline": row["message"].split("\n", 1)[0],
            "authoredDate": row["authored_at"],
            "committedDate": row["committed_at"],
            "additions": row["additions"],
            "deletions": row["deletions"],
            "changedFiles": row["changed_files"],
            "changedFilesIfAvailable": row["changed_files"],
            "author": author,
            "authors": authors,
            "committer": self.git_actor(
                row["committer_name"],
                row["committer_email"],
                row["committed_at"],
                row["committer_id"],
            ),
            "parents": lambda info, **args: list_connection(info, parents, **args),
            "history": history,
            "associatedPullRequests": associated,
        }

    def commits_of(self, repo: Repo, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        page = CommitPage(self.world, repo, rows)
        return [self.commit(repo, row, page) for row in rows]

    def git_actor(
        self, name: str | None, email: str | None, date: str, uid: int | None
    ) -> dict[str, Any]:
        user = self._user(uid)
        linked = self.account(user) if user and not user.deleted and user.type == "User" else None
        return {"name": name, "email": email, "date": date, "user": linked}


def _node(kind: str, *parts: object) -> str:
    return node_id(kind, *parts)


def _pr_node(pr_id: int) -> str:
    return _node("PullRequest", pr_id)


def _git_time(value: str) -> str:
    return _date_time(value, "Argument 'since' on Field 'history'")


def _date_time(value: Any, argument: str) -> str:
    """A DateTime/GitTimestamp argument as the world's text, or GitHub's error for it."""
    try:
        return iso(value)
    except (TypeError, ValueError, AttributeError):
        raise GraphQLError(f"{argument} has an invalid value ({value}).") from None


_documents_lock = threading.Lock()
_documents: dict[tuple[int, str], graphql.DocumentNode | list[dict[str, Any]]] = {}
DOCUMENTS_KEPT = 256


def _checked_document(
    schema: GraphQLSchema, text: str
) -> graphql.DocumentNode | list[dict[str, Any]]:
    """The parsed document of a query text, or the errors GitHub would answer for it.

    Parsing and validating against GitHub's full schema costs milliseconds per request, and a
    client sends the same few query texts page after page (only the variables change), so the
    outcome is kept per (schema, text). It depends on nothing else; the document is only read
    by execution."""
    key = (id(schema), text)
    with _documents_lock:
        found = _documents.get(key)
    if found is not None:
        return found
    try:
        document = graphql.parse(text)
    except GraphQLError as error:
        outcome: graphql.DocumentNode | list[dict[str, Any]] = [_format(error)]
    else:
        problems = graphql.validate(schema, document)
        outcome = [_format(e) for e in problems] if problems else document
    with _documents_lock:
        if len(_documents) >= DOCUMENTS_KEPT:
            _documents.pop(next(iter(_documents)))  # the oldest: arbitrary texts cannot grow it
        _documents[key] = outcome
    return outcome


def execute(
    world: World,
    schema: GraphQLSchema,
    payload: Any,
    *,
    rate: Callable[[int], dict[str, Any]],
    reference: bool = False,
) -> tuple[int, dict[str, Any], int]:
    """Run one GraphQL request; returns (HTTP status, JSON answer, cost charged).

    Executed by `graphql_fast` (graphql-core's executor with a lean field loop), or, with
    `reference=True`, by graphql-core's own executor alone: the tests compare the two."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return (
            400,
            {"errors": [{"message": "A query attribute must be specified and must be a string."}]},
            0,
        )
    variables = payload.get("variables") or {}
    if not isinstance(variables, dict):
        return 200, {"errors": [{"message": "Variables are invalid JSON."}]}, 0
    parsed = _checked_document(schema, payload["query"])
    if isinstance(parsed, list):
        return 200, {"errors": parsed}, 0
    document = parsed
    cost = query_cost(document, variables, payload.get("operationName"))
    resolver = Resolver(world, rate=rate(cost))
    if reference:
        result = graphql.execute(
            schema,
            document,
            root_value=resolver.root(),
            variable_values=variables,
            operation_name=payload.get("operationName"),
            field_resolver=graphql_fast.dict_field,
            is_awaitable=graphql_fast.never_awaitable,
        )
    else:
        result = graphql_fast.execute(
            schema,
            document,
            root_value=resolver.root(),
            variable_values=variables,
            operation_name=payload.get("operationName"),
        )
    answer: dict[str, Any] = {}
    if result.errors:
        answer["errors"] = [_format(e) for e in result.errors]
    answer["data"] = result.data
    if answer["data"] is None:
        del answer["data"]
    return 200, answer, cost


def _format(error: GraphQLError) -> dict[str, Any]:
    formatted = error.formatted
    if isinstance(error.original_error, NotFound) or isinstance(error, NotFound):
        formatted["type"] = "NOT_FOUND"
    if not formatted.get("extensions"):
        formatted.pop("extensions", None)
    return formatted


def reset_at(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
