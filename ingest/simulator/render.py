"""World rows → GitHub's REST JSON shapes (every field the OpenAPI schema requires, in GitHub's form).

`api` is the server's base URL, so every `url` field points back at the simulator as GitHub's
point at api.github.com; `html_url`s point at github.com as GitHub's do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from typing import Any

from ingest.simulator.world import GHOST_ID, Repo, User, World, node_id

HTML = "https://github.com"

GHOST = User(
    id=GHOST_ID,
    login="ghost",
    node_id=node_id("User", GHOST_ID),
    type="User",
    created_at="2013-01-01T00:00:00Z",
)


class Renderer:
    """Renders rows of one world for one server base URL."""

    def __init__(self, world: World, api: str) -> None:
        self.world = world
        self.api = api

    # -- accounts ---------------------------------------------------------------------------
    def account(self, uid: int | None) -> User | None:
        """The account to show for a stored author id: None, the user, or GitHub's ghost.

        Read afresh each time (a primary-key lookup): tests delete and edit users mid-run.
        """
        if uid is None:
            return None
        user = self.world.user_by_id(uid)
        if user is None or user.deleted == "null":
            return None
        return GHOST if user.deleted == "ghost" else user

    def simple_user(self, user: User | None) -> dict[str, Any] | None:
        if user is None:
            return None
        u = f"{self.api}/users/{user.login}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": user.node_id,
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": u,
            "html_url": f"{HTML}/{user.login}",
            "followers_url": f"{u}/followers",
            "following_url": f"{u}/following{{/other_user}}",
            "gists_url": f"{u}/gists{{/gist_id}}",
            "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{u}/subscriptions",
            "organizations_url": f"{u}/orgs",
            "repos_url": f"{u}/repos",
            "events_url": f"{u}/events{{/privacy}}",
            "received_events_url": f"{u}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def user_of(self, uid: int | None) -> dict[str, Any] | None:
        return self.simple_user(self.account(uid))

    def public_user(self, user: User) -> dict[str, Any]:
        data = self.simple_user(user)
        data.update(
            {
                "name": user.name,
                "company": user.company,
                "blog": "",
                "location": user.location,
                "email": user.email,
                "hireable": None,
                "bio": None,
                "twitter_username": None,
                "public_repos": 0,
                "public_gists": 0,
                "followers": 0,
                "following": 0,
                "created_at": user.created_at,
                "updated_at": user.created_at,
            }
        )
        return data

    # -- repositories -----------------------------------------------------------------------
    def repository(self, repo: Repo) -> dict[str, Any]:
        """The `full-repository` shape (a superset of `minimal-repository` and `repository`)."""
        r = f"{self.api}/repos/{repo.full_name}"
        counts = self.world.query_one(
            "SELECT (SELECT count(*) FROM stars WHERE repo_id=:id) AS stars,"
            " (SELECT count(*) FROM issues WHERE repo_id=:id AND state='open') AS open",
            {"id": repo.id},
        )
        owner = self.world.user_by_id(repo.owner_id)
        html = f"{HTML}/{repo.full_name}"
        data = {
            "id": repo.id,
            "node_id": repo.node_id,
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
            "owner": self.simple_user(owner),
            "html_url": html,
            "description": repo.description,
            "fork": repo.fork,
            "url": r,
            "archive_url": f"{r}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{r}/assignees{{/user}}",
            "blobs_url": f"{r}/git/blobs{{/sha}}",
            "branches_url": f"{r}/branches{{/branch}}",
            "collaborators_url": f"{r}/collaborators{{/collaborator}}",
            "comments_url": f"{r}/comments{{/number}}",
            "commits_url": f"{r}/commits{{/sha}}",
            "compare_url": f"{r}/compare/{{base}}...{{head}}",
            "contents_url": f"{r}/contents/{{+path}}",
            "contributors_url": f"{r}/contributors",
            "deployments_url": f"{r}/deployments",
            "downloads_url": f"{r}/downloads",
            "events_url": f"{r}/events",
            "forks_url": f"{r}/forks",
            "git_commits_url": f"{r}/git/commits{{/sha}}",
            "git_refs_url": f"{r}/git/refs{{/sha}}",
            "git_tags_url": f"{r}/git/tags{{/sha}}",
            "git_url": f"git://github.com/{repo.full_name}.git",
            "issue_comment_url": f"{r}/issues/comments{{/number}}",
            "issue_events_url": f"{r}/issues/events{{/number}}",
            "issues_url": f"{r}/issues{{/number}}",
            "keys_url": f"{r}/keys{{/key_id}}",
            "labels_url": f"{r}/labels{{/name}}",
            "languages_url": f"{r}/languages",
            "merges_url": f"{r}/merges",
            "milestones_url": f"{r}/milestones{{/number}}",
            "notifications_url": f"{r}/notifications{{?since,all,participating}}",
            "pulls_url": f"{r}/pulls{{/number}}",
            "releases_url": f"{r}/releases{{/id}}",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "stargazers_url": f"{r}/stargazers",
            "statuses_url": f"{r}/statuses/{{sha}}",
            "subscribers_url": f"{r}/subscribers",
            "subscription_url": f"{r}/subscription",
            "tags_url": f"{r}/tags",
            "teams_url": f"{r}/teams",
            "trees_url": f"{r}/git/trees{{/sha}}",
            "clone_url": f"{html}.git",
            "mirror_url": None,
            "hooks_url": f"{r}/hooks",
            "svn_url": html,
            "homepage": None,
            "language": "Java",
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": counts["stars"],
            "watchers_count": counts["stars"],
            "watchers": counts["stars"],
            "size": 0,
            "default_branch": repo.default_branch,
            "open_issues_count": counts["open"],
            "open_issues": counts["open"],
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": repo.archived,
            "disabled": False,
            "visibility": "public",
            "pushed_at": repo.pushed_at,
            "created_at": repo.created_at,
            "updated_at": repo.updated_at,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
            "network_count": 0,
            "subscribers_count": 0,
        }
        if owner is not None and owner.type == "Organization":
            data["organization"] = self.simple_user(owner)
        return data

    # -- issues and pull requests -----------------------------------------------------------
    def _labels(self, repo: Repo, row: sqlite3.Row) -> list[dict[str, Any]]:
        out = []
        for name in json.loads(row["labels"]):
            lid = int(hashlib.sha1(f"{repo.id}:{name}".encode()).hexdigest()[:8], 16)
            out.append(
                {
                    "id": lid,
                    "node_id": node_id("Label", lid),
                    "url": f"{self.api}/repos/{repo.full_name}/labels/{name}",
                    "name": name,
                    "description": LABEL_DESCRIPTIONS.get(name, f"Label {name}"),
                    "color": _colour(name),
                    "default": False,
                }
            )
        return out

    def issue(self, repo: Repo, row: sqlite3.Row) -> dict[str, Any]:
        r = f"{self.api}/repos/{repo.full_name}"
        i = f"{r}/issues/{row['number']}"
        kind = "pull" if row["is_pull"] else "issues"
        data = {
            "url": i,
            "repository_url": r,
            "labels_url": f"{i}/labels{{/name}}",
            "comments_url": f"{i}/comments",
            "events_url": f"{i}/events",
            "html_url": f"{HTML}/{repo.full_name}/{kind}/{row['number']}",
            "id": row["id"],
            "node_id": node_id("Issue", row["id"]),
            "number": row["number"],
            "title": row["title"],
            "user": self.user_of(row["author_id"]),
            "labels": self._labels(repo, row),
            "state": row["state"],
            "locked": bool(row["locked"]),
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": row["comments"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "closed_at": row["closed_at"],
            "author_association": row["author_association"],
            "active_lock_reason": row["lock_reason"],
            "body": row["body"],
            "closed_by": None,
            "reactions": self._reactions(i),
            "timeline_url": f"{i}/timeline",
            "performed_via_github_app": None,
            "state_reason": row["state_reason"],
        }
        if row["is_pull"]:
            p = f"{r}/pulls/{row['number']}"
            data["draft"] = bool(row["draft"])
            data["pull_request"] = {
                "url": p,
                "html_url": f"{HTML}/{repo.full_name}/pull/{row['number']}",
                "diff_url": f"{HTML}/{repo.full_name}/pull/{row['number']}.diff",
                "patch_url": f"{HTML}/{repo.full_name}/pull/{row['number']}.patch",
                "merged_at": row["merged_at"],
            }
        return data

    def _reactions(self, url: str) -> dict[str, Any]:
        return {
            "url": f"{url}/reactions",
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        }

    def pull(
        self, repo: Repo, row: sqlite3.Row, *, repo_json: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The `pull-request-simple` shape of the pulls list (`repo_json`: the repository, once per page)."""
        r = f"{self.api}/repos/{repo.full_name}"
        p = f"{r}/pulls/{row['number']}"
        i = f"{r}/issues/{row['number']}"
        html = f"{HTML}/{repo.full_name}/pull/{row['number']}"
        author = self.user_of(row["author_id"])
        repo_json = repo_json or self.repository(repo)
        head_owner = author["login"] if author else repo.owner_login
        return {
            "url": p,
            "id": row["pr_id"],
            "node_id": node_id("PullRequest", row["pr_id"]),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": i,
            "commits_url": f"{p}/commits",
            "review_comments_url": f"{p}/comments",
            "review_comment_url": f"{r}/pulls/comments{{/number}}",
            "comments_url": f"{i}/comments",
            "statuses_url": f"{r}/statuses/{row['head_sha']}",
            "number": row["number"],
            "state": row["state"],
            "locked": bool(row["locked"]),
            "title": row["title"],
            "user": author,
            "body": row["body"],
            "labels": self._labels(repo, row),
            "milestone": None,
            "active_lock_reason": row["lock_reason"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "closed_at": row["closed_at"],
            "merged_at": row["merged_at"],
            "merge_commit_sha": row["merge_commit_sha"],
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": {
                "label": f"{head_owner}:patch-{row['number']}",
                "ref": f"patch-{row['number']}",
                "sha": row["head_sha"],
                "user": author,
                "repo": repo_json,
            },
            "base": {
                "label": f"{repo.owner_login}:{repo.default_branch}",
                "ref": repo.default_branch,
                "sha": hashlib.sha1(f"base:{row['id']}".encode()).hexdigest(),
                "user": repo_json["owner"],
                "repo": repo_json,
            },
            "_links": {
                "self": {"href": p},
                "html": {"href": html},
                "issue": {"href": i},
                "comments": {"href": f"{i}/comments"},
                "review_comments": {"href": f"{p}/comments"},
                "review_comment": {"href": f"{r}/pulls/comments{{/number}}"},
                "commits": {"href": f"{p}/commits"},
                "statuses": {"href": f"{r}/statuses/{row['head_sha']}"},
            },
            "author_association": row["author_association"],
            "auto_merge": None,
            "draft": bool(row["draft"]),
        }

    def review(self, repo: Repo, row: sqlite3.Row) -> dict[str, Any]:
        p = f"{self.api}/repos/{repo.full_name}/pulls/{row['number']}"
        html = f"{HTML}/{repo.full_name}/pull/{row['number']}#pullrequestreview-{row['id']}"
        data = {
            "id": row["id"],
            "node_id": node_id("PullRequestReview", row["id"]),
            "user": self.user_of(row["author_id"]),
            "body": row["body"],
            "state": row["state"],
            "html_url": html,
            "pull_request_url": p,
            "author_association": row["author_association"],
            "_links": {"html": {"href": html}, "pull_request": {"href": p}},
            "commit_id": row["commit_id"],
        }
        if row["submitted_at"]:
            data["submitted_at"] = row["submitted_at"]
        return data

    def issue_comment(self, repo: Repo, row: sqlite3.Row) -> dict[str, Any]:
        r = f"{self.api}/repos/{repo.full_name}"
        c = f"{r}/issues/comments/{row['id']}"
        return {
            "id": row["id"],
            "node_id": node_id("IssueComment", row["id"]),
            "url": c,
            "html_url": f"{HTML}/{repo.full_name}/issues/{row['number']}#issuecomment-{row['id']}",
            "body": row["body"],
            "user": self.user_of(row["author_id"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "issue_url": f"{r}/issues/{row['number']}",
            "author_association": row["author_association"],
            "performed_via_github_app": None,
            "reactions": self._reactions(c),
        }

    def review_comment(self, repo: Repo, row: sqlite3.Row) -> dict[str, Any]:
        r = f"{self.api}/repos/{repo.full_name}"
        c = f"{r}/pulls/comments/{row['id']}"
        p = f"{r}/pulls/{row['number']}"
        html = f"{HTML}/{repo.full_name}/pull/{row['number']}#discussion_r{row['id']}"
        return {
            "url": c,
            "pull_request_review_id": row["review_id"],
            "id": row["id"],
            "node_id": node_id("PullRequestReviewComment", row["id"]),
            "diff_hunk": "@@ -1,1 +1,1 @@",
            "path": row["path"],
            "position": 1,
            "original_position": 1,
            "commit_id": row["commit_id"],
            "original_commit_id": row["commit_id"],
            "user": self.user_of(row["author_id"]),
            "body": row["body"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "html_url": html,
            "pull_request_url": p,
            "author_association": row["author_association"],
            "_links": {"self": {"href": c}, "html": {"href": html}, "pull_request": {"href": p}},
            "line": 1,
            "original_line": 1,
            "side": "RIGHT",
            "subject_type": "line",
            "reactions": self._reactions(c),
        }

    def issue_event(
        self, repo: Repo, row: sqlite3.Row, item: dict[str, Any] | None
    ) -> dict[str, Any]:
        r = f"{self.api}/repos/{repo.full_name}"
        data = {
            "id": row["id"],
            "node_id": node_id(_EVENT_TYPES.get(row["event"], "IssueEvent"), row["id"]),
            "url": f"{r}/issues/events/{row['id']}",
            "actor": self.user_of(row["actor_id"]),
            "event": row["event"],
            "commit_id": row["commit_id"],
            "commit_url": f"{r}/commits/{row['commit_id']}" if row["commit_id"] else None,
            "created_at": row["created_at"],
            "performed_via_github_app": None,
        }
        if item is not None:
            data["issue"] = item
        if row["label"]:
            data["label"] = {"name": row["label"], "color": _colour(row["label"])}
        if row["event"] == "locked":
            data["lock_reason"] = row["lock_reason"]
        return data

    # -- git --------------------------------------------------------------------------------
    def commit(self, repo: Repo, row: sqlite3.Row) -> dict[str, Any]:
        r = f"{self.api}/repos/{repo.full_name}"
        sha = row["sha"]
        return {
            "sha": sha,
            "node_id": node_id("Commit", repo.id, sha),
            "url": f"{r}/commits/{sha}",
            "html_url": f"{HTML}/{repo.full_name}/commit/{sha}",
            "comments_url": f"{r}/commits/{sha}/comments",
            "commit": {
                "url": f"{r}/git/commits/{sha}",
                "author": {
                    "name": row["author_name"],
                    "email": row["author_email"],
                    "date": row["authored_at"],
                },
                "committer": {
                    "name": row["committer_name"],
                    "email": row["committer_email"],
                    "date": row["committed_at"],
                },
                "message": row["message"],
                "comment_count": 0,
                "tree": {
                    "sha": hashlib.sha1(f"tree:{sha}".encode()).hexdigest(),
                    "url": f"{r}/git/trees/{hashlib.sha1(f'tree:{sha}'.encode()).hexdigest()}",
                },
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "author": self.user_of(row["author_id"]),
            "committer": self.user_of(row["committer_id"]),
            "parents": [
                {
                    "sha": p,
                    "url": f"{r}/commits/{p}",
                    "html_url": f"{HTML}/{repo.full_name}/commit/{p}",
                }
                for p in json.loads(row["parents"])
            ],
        }

    def content_file(self, repo: Repo, row: sqlite3.Row, ref: str) -> dict[str, Any]:
        r = f"{self.api}/repos/{repo.full_name}"
        path = row["path"]
        self_url = f"{r}/contents/{path}?ref={ref}"
        git_url = f"{r}/git/blobs/{row['blob_sha']}"
        html = f"{HTML}/{repo.full_name}/blob/{ref}/{path}"
        encoded = base64.b64encode(row["content"]).decode()
        # GitHub wraps the base64 text at 60 characters; clients must strip the newlines.
        wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
        return {
            "type": "file",
            "encoding": "base64",
            "size": len(row["content"]),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": wrapped,
            "sha": row["blob_sha"],
            "url": self_url,
            "git_url": git_url,
            "html_url": html,
            "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
            "_links": {"self": self_url, "git": git_url, "html": html},
        }


LABEL_DESCRIPTIONS = {
    "easy": "Good for newcomers",
    "medium": "Needs some knowledge of the code",
    "hard": "Needs deep knowledge of the code",
    "bug": "Something isn't working",
}

_EVENT_TYPES = {
    "closed": "ClosedEvent",
    "merged": "MergedEvent",
    "labeled": "LabeledEvent",
    "reopened": "ReopenedEvent",
    "locked": "LockedEvent",
}


def _colour(name: str) -> str:
    return hashlib.md5(name.encode()).hexdigest()[:6]  # noqa: S324 - a stable colour, not security
