"""REST endpoints: routing by GitHub's path templates, query parameters with GitHub's defaults, paging.

Each handler returns a `Reply`; the server adds rate-limit headers, ETags and counters.
Page links point at `/repositories/<id>/…` (and `/organizations/<id>/…`) as GitHub's do, so
a client has to follow `Link` rather than build page URLs itself.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from ingest.simulator.render import Renderer
from ingest.simulator.world import Repo, World, iso

DOCS = "https://docs.github.com/rest"


@dataclass
class Reply:
    """One HTTP answer before transport concerns (rate-limit headers, ETag, faults)."""

    status: int
    body: Any = None  # JSON-able, or bytes for a raw body
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """A GitHub-style error answer: `{"message", "documentation_url", "status"}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.reply = Reply(
            status,
            {"message": message, "documentation_url": DOCS, "status": str(status)},
            headers or {},
        )
        if errors:
            self.reply.body["errors"] = errors


@dataclass
class Request:
    """What a handler sees of one request."""

    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    world: World
    render: Renderer
    api: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    template: str  # the OpenAPI path template, the key of the stats counters
    handler: Handler
    by_id: bool  # matched a /repositories/<id>/… or /organizations/<id>/… path


ROUTES: list[Route] = []

_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_REPO_ID = r"/repositories/(?P<repo_id>\d+)"


def route(method: str, template: str, regex: str | None = None) -> Callable[[Handler], Handler]:
    """Register a handler for an OpenAPI path template, and its id-based twin for repo paths."""

    def register(handler: Handler) -> Handler:
        pattern = regex or re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        ROUTES.append(Route(method, re.compile(f"^{pattern}$"), template, handler, False))
        if template.startswith("/repos/{owner}/{repo}"):
            twin = pattern.replace("/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)", _REPO_ID, 1)
            ROUTES.append(Route(method, re.compile(f"^{twin}$"), template, handler, True))
        if template == "/orgs/{org}/repos":
            ROUTES.append(
                Route(
                    method,
                    re.compile(r"^/organizations/(?P<org_id>\d+)/repos$"),
                    template,
                    handler,
                    True,
                )
            )
        return handler

    return register


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in ROUTES:
        if candidate.method == method and (found := candidate.pattern.match(path)):
            return candidate, found.groupdict()
    return None


# -- shared helpers -------------------------------------------------------------------------


class Moved(Exception):
    """The repository was renamed or transferred: GitHub answers 301 to its id-based URL."""

    def __init__(self, repo: Repo) -> None:
        super().__init__(repo.full_name)
        self.repo = repo


def repo_of(req: Request, params: dict[str, str]) -> Repo:
    if "repo_id" in params:
        repo = req.world.repo_by_id(int(params["repo_id"]))
    else:
        full_name = f"{params['owner']}/{params['repo']}"
        repo = req.world.repo(full_name)
        if repo is not None and repo.full_name.lower() != full_name.lower():
            raise Moved(repo)
    if repo is None:
        raise HttpError(404, "Not Found")
    return repo


def _choice(req: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = req.arg(name, default)
    if value not in allowed:
        raise HttpError(
            422,
            "Validation Failed",
            errors=[{"resource": "Search", "field": name, "code": "invalid"}],
        )
    return value


def _timestamp(req: Request, name: str) -> str | None:
    value = req.arg(name)
    if value is None:
        return None
    try:
        return iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise HttpError(
            422,
            "Validation Failed",
            errors=[{"resource": "Search", "field": name, "code": "invalid"}],
        ) from None


def _paging(req: Request) -> tuple[int, int]:
    # GitHub caps per_page at 100 silently and treats junk as the default.
    try:
        per_page = max(1, min(100, int(req.arg("per_page", "30"))))
    except ValueError:
        per_page = 30
    try:
        page = max(1, int(req.arg("page", "1")))
    except ValueError:
        page = 1
    return page, per_page


def paginate(
    req: Request,
    *,
    base: str,
    count_sql: str,
    rows_sql: str,
    params: dict[str, Any],
    render: Callable[[sqlite3.Row], Any],
) -> Reply:
    """One page of a list, with GitHub's `Link` header (next/last, and prev/first past page 1)."""
    page, per_page = _paging(req)
    total = req.world.query_one(count_sql, params)[0]
    rows = req.world.query(
        f"{rows_sql} LIMIT :limit OFFSET :offset",
        {**params, "limit": per_page, "offset": (page - 1) * per_page},
    )
    last = max(1, -(-total // per_page))
    links = []
    query = {k: v[-1] for k, v in req.query.items() if k != "page"}

    def link(number: int, rel: str) -> str:
        return f'<{req.api}{base}?{urlencode({**query, "page": number})}>; rel="{rel}"'

    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
        links.append(link(last, "last"))
    if page > 1:
        links.append(link(1, "first"))
    headers = {"Link": ", ".join(links)} if links else {}
    return Reply(200, [render(row) for row in rows], headers)


# -- endpoints ------------------------------------------------------------------------------


@route("GET", "/orgs/{org}/repos")
def org_repos(req: Request, params: dict[str, str]) -> Reply:
    if "org_id" in params:
        owner = req.world.user_by_id(int(params["org_id"]))
    else:
        owner = req.world.user(params["org"])
    if owner is None or owner.type != "Organization":
        raise HttpError(404, "Not Found")
    sort = _choice(req, "sort", ("created", "updated", "pushed", "full_name"), "created")
    direction = _choice(req, "direction", ("asc", "desc"), "asc" if sort == "full_name" else "desc")
    _choice(req, "type", ("all", "public", "private", "forks", "sources", "member"), "all")
    column = {
        "created": "created_at",
        "updated": "updated_at",
        "pushed": "pushed_at",
        "full_name": "full_name",
    }[sort]
    return paginate(
        req,
        base=f"/organizations/{owner.id}/repos",
        count_sql="SELECT count(*) FROM repos WHERE owner_id=:owner",
        params={"owner": owner.id},
        rows_sql=f"SELECT id FROM repos WHERE owner_id=:owner ORDER BY {column} {direction}, id {direction}",
        render=lambda row: req.render.repository(req.world.repo_by_id(row["id"])),
    )


@route("GET", "/repos/{owner}/{repo}")
def get_repo(req: Request, params: dict[str, str]) -> Reply:
    return Reply(200, req.render.repository(repo_of(req, params)))


def _item_filters(req: Request, repo: Repo, *, pulls_only: bool) -> tuple[str, dict[str, Any]]:
    where = ["repo_id=:repo"]
    params: dict[str, Any] = {"repo": repo.id}
    state = _choice(req, "state", ("open", "closed", "all"), "open")
    if state != "all":
        where.append("state=:state")
        params["state"] = state
    if pulls_only:
        where.append("is_pull=1")
    return " AND ".join(where), params


@route("GET", "/repos/{owner}/{repo}/issues")
def list_issues(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    where, args = _item_filters(req, repo, pulls_only=False)
    sort = _choice(req, "sort", ("created", "updated", "comments"), "created")
    direction = _choice(req, "direction", ("asc", "desc"), "desc")
    if since := _timestamp(req, "since"):
        where += " AND updated_at >= :since"
        args["since"] = since
    if labels := req.arg("labels"):
        for n, label in enumerate(x.strip() for x in labels.split(",") if x.strip()):
            where += f" AND EXISTS (SELECT 1 FROM json_each(labels) WHERE value=:label{n})"
            args[f"label{n}"] = label
    if creator := req.arg("creator"):
        where += " AND author_id=(SELECT id FROM users WHERE login=:creator)"
        args["creator"] = creator
    column = {"created": "created_at", "updated": "updated_at", "comments": "comments"}[sort]
    return paginate(
        req,
        base=f"/repositories/{repo.id}/issues",
        count_sql=f"SELECT count(*) FROM issues WHERE {where}",
        rows_sql=f"SELECT * FROM issues WHERE {where} ORDER BY {column} {direction}, number {direction}",
        params=args,
        render=lambda row: req.render.issue(repo, row),
    )


def _item(req: Request, repo: Repo, number: str, *, pull: bool) -> sqlite3.Row:
    try:
        n = int(number)
    except ValueError:
        raise HttpError(404, "Not Found") from None
    row = req.world.query_one("SELECT * FROM issues WHERE repo_id=? AND number=?", (repo.id, n))
    if row is None or (pull and not row["is_pull"]):
        raise HttpError(404, "Not Found")
    return row


@route(
    "GET", "/repos/{owner}/{repo}/issues/{issue_number}", _REPO + r"/issues/(?P<issue_number>\d+)"
)
def get_issue(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    return Reply(200, req.render.issue(repo, _item(req, repo, params["issue_number"], pull=False)))


def _comments(req: Request, repo: Repo, kind: str, base: str, number: int | None) -> Reply:
    where = "repo_id=:repo AND kind=:kind"
    args: dict[str, Any] = {"repo": repo.id, "kind": kind}
    if number is not None:
        where += " AND number=:number"
        args["number"] = number
    if since := _timestamp(req, "since"):
        where += " AND updated_at >= :since"
        args["since"] = since
    sort = _choice(req, "sort", ("created", "updated"), "created")
    # GitHub ignores `direction` unless `sort` is given; then the default is descending.
    direction = _choice(req, "direction", ("asc", "desc"), "desc") if req.arg("sort") else "asc"
    column = "created_at" if sort == "created" else "updated_at"
    render = req.render.issue_comment if kind == "issue" else req.render.review_comment
    return paginate(
        req,
        base=base,
        count_sql=f"SELECT count(*) FROM comments WHERE {where}",
        rows_sql=f"SELECT * FROM comments WHERE {where} ORDER BY {column} {direction}, id {direction}",
        params=args,
        render=lambda row: render(repo, row),
    )


@route("GET", "/repos/{owner}/{repo}/issues/comments")
def list_issue_comments(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    return _comments(req, repo, "issue", f"/repositories/{repo.id}/issues/comments", None)


@route(
    "GET",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    _REPO + r"/issues/(?P<issue_number>\d+)/comments",
)
def list_comments_of_issue(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    row = _item(req, repo, params["issue_number"], pull=False)
    return _comments(
        req,
        repo,
        "issue",
        f"/repositories/{repo.id}/issues/{row['number']}/comments",
        row["number"],
    )


@route("GET", "/repos/{owner}/{repo}/issues/events")
def list_issue_events(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    issues: dict[int, dict[str, Any]] = {}

    def render(row: sqlite3.Row) -> dict[str, Any]:
        if row["number"] not in issues:
            item = req.world.query_one(
                "SELECT * FROM issues WHERE repo_id=? AND number=?", (repo.id, row["number"])
            )
            issues[row["number"]] = req.render.issue(repo, item) if item else None
        return req.render.issue_event(repo, row, issues[row["number"]])

    return paginate(
        req,
        base=f"/repositories/{repo.id}/issues/events",
        count_sql="SELECT count(*) FROM events WHERE repo_id=:repo",
        rows_sql="SELECT * FROM events WHERE repo_id=:repo ORDER BY id DESC",
        params={"repo": repo.id},
        render=render,
    )


@route("GET", "/repos/{owner}/{repo}/pulls")
def list_pulls(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    where, args = _item_filters(req, repo, pulls_only=True)
    sort = _choice(req, "sort", ("created", "updated", "popularity", "long-running"), "created")
    direction = _choice(req, "direction", ("asc", "desc"), "desc" if sort == "created" else "asc")
    column = {
        "created": "created_at",
        "updated": "updated_at",
        "popularity": "comments",
        "long-running": "created_at",
    }[sort]
    repo_json = req.render.repository(repo)  # head and base of every pull on the page
    return paginate(
        req,
        base=f"/repositories/{repo.id}/pulls",
        count_sql=f"SELECT count(*) FROM issues WHERE {where}",
        rows_sql=f"SELECT * FROM issues WHERE {where} ORDER BY {column} {direction}, number {direction}",
        params=args,
        render=lambda row: req.render.pull(repo, row, repo_json=repo_json),
    )


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", _REPO + r"/pulls/(?P<pull_number>\d+)")
def get_pull(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    row = _item(req, repo, params["pull_number"], pull=True)
    data = req.render.pull(repo, row)
    data.update(
        {
            "merged": bool(row["merged_at"]),
            "mergeable": None,
            "rebaseable": None,
            "mergeable_state": "unknown",
            "merged_by": req.render.user_of(row["merged_by_id"]),
            "comments": row["comments"],
            "review_comments": row["review_comments"],
            "maintainer_can_modify": False,
            "commits": row["commits"],
            "additions": row["additions"],
            "deletions": row["deletions"],
            "changed_files": row["changed_files"],
        }
    )
    return Reply(200, data)


@route(
    "GET",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    _REPO + r"/pulls/(?P<pull_number>\d+)/reviews",
)
def list_reviews(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    row = _item(req, repo, params["pull_number"], pull=True)
    args = {"repo": repo.id, "number": row["number"]}
    where = "repo_id=:repo AND number=:number AND state != 'PENDING'"
    return paginate(
        req,
        base=f"/repositories/{repo.id}/pulls/{row['number']}/reviews",
        count_sql=f"SELECT count(*) FROM reviews WHERE {where}",
        rows_sql=f"SELECT * FROM reviews WHERE {where} ORDER BY id",
        params=args,
        render=lambda r: req.render.review(repo, r),
    )


@route("GET", "/repos/{owner}/{repo}/pulls/comments")
def list_review_comments(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    return _comments(req, repo, "review", f"/repositories/{repo.id}/pulls/comments", None)


@route("GET", "/repos/{owner}/{repo}/commits")
def list_commits(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    where = "repo_id=:repo"
    args: dict[str, Any] = {"repo": repo.id}
    sha = req.arg("sha")
    if sha and sha != repo.default_branch:
        # Only the default branch exists here; a commit sha lists it and what came before it.
        tip = req.world.query_one(
            "SELECT seq FROM commits WHERE repo_id=? AND sha=?", (repo.id, sha)
        )
        if tip is None:
            raise HttpError(404, "No commit found for SHA: " + sha)
        where += " AND seq <= :tip"
        args["tip"] = tip["seq"]
    if path := req.arg("path"):
        where += " AND EXISTS (SELECT 1 FROM json_each(paths) WHERE value=:path)"
        args["path"] = path.strip("/")
    if since := _timestamp(req, "since"):
        where += " AND committed_at >= :since"
        args["since"] = since
    if until := _timestamp(req, "until"):
        where += " AND committed_at <= :until"
        args["until"] = until
    if author := req.arg("author"):
        where += (
            " AND (author_id=(SELECT id FROM users WHERE login=:author) OR author_email=:author)"
        )
        args["author"] = author
    if req.world.query_one("SELECT 1 FROM commits WHERE repo_id=? LIMIT 1", (repo.id,)) is None:
        raise HttpError(409, "Git Repository is empty.")
    return paginate(
        req,
        base=f"/repositories/{repo.id}/commits",
        count_sql=f"SELECT count(*) FROM commits WHERE {where}",
        rows_sql=f"SELECT * FROM commits WHERE {where} ORDER BY committed_at DESC, seq DESC",
        params=args,
        render=lambda row: req.render.commit(repo, row),
    )


@route("GET", "/repos/{owner}/{repo}/stargazers")
def list_stargazers(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    with_dates = "application/vnd.github.star+json" in req.headers.get("accept", "")

    def render(row: sqlite3.Row) -> dict[str, Any]:
        user = req.render.user_of(row["user_id"])
        return {"starred_at": row["starred_at"], "user": user} if with_dates else user

    return paginate(
        req,
        base=f"/repositories/{repo.id}/stargazers",
        count_sql="SELECT count(*) FROM stars WHERE repo_id=:repo",
        rows_sql="SELECT * FROM stars WHERE repo_id=:repo ORDER BY starred_at, user_id",
        params={"repo": repo.id},
        render=render,
    )


@route("GET", "/repos/{owner}/{repo}/contents/{path}", _REPO + r"/contents/(?P<path>.+)")
def get_content(req: Request, params: dict[str, str]) -> Reply:
    repo = repo_of(req, params)
    path = params["path"].strip("/")
    ref = req.arg("ref") or repo.default_branch
    args: dict[str, Any] = {"repo": repo.id, "path": path}
    where = "repo_id=:repo AND path=:path"
    if ref != repo.default_branch:
        commit = req.world.query_one(
            "SELECT seq FROM commits WHERE repo_id=? AND sha=?", (repo.id, ref)
        )
        if commit is None:
            raise HttpError(404, f"No commit found for the ref {ref}")
        where += " AND commit_sha IN (SELECT sha FROM commits WHERE repo_id=:repo AND seq <= :seq)"
        args["seq"] = commit["seq"]
    row = req.world.query_one(f"SELECT * FROM files WHERE {where} ORDER BY seq DESC LIMIT 1", args)
    if row is None:
        raise HttpError(404, "Not Found")
    return Reply(200, req.render.content_file(repo, row, quote(ref, safe="")))


@route("GET", "/users/{username}")
def get_user(req: Request, params: dict[str, str]) -> Reply:
    user = req.world.user(params["username"])
    if user is None or user.deleted:
        raise HttpError(404, "Not Found")
    return Reply(200, req.render.public_user(user))
