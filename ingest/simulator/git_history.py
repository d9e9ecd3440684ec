"""The git-history world: real SOFAStack commit history (../shared/data/sofastack-git) served as GitHub.

Input: `<owner>__<name>.commits.jsonl[.gz]` files (format: that folder's README), with the
sibling `.pulls.jsonl[.gz]` and `.meta.json` read when present. Commits are served exactly
as recorded (sha, parents, names, e-mails, dates, sizes, headline as message). Everything
else is inferred, because git does not record it:

- Accounts: an identity with a GitHub login (from a noreply e-mail) is that account
  (`[bot]` logins are Bot accounts); noreply addresses with the same numeric user id
  (`12345+login@…`) are one account under the login of the latest of them, as GitHub links
  a renamed account's old commits to its current login; identities without one are e-mail-only commit authors
  (no account on their commits). Pull requests need an author, so such an identity gets an
  inferred account named after it (`<name or e-mail local part>`, ascii, made unique).
  Identities are keyed by login, else by lower-cased e-mail or name (the data set's rule). Accounts are created at their
  first appearance; profiles (company, location) are unknown and left empty.
- Merged pull requests: one per PR number of a squash commit (`… (#N)`, this wins) or a
  verified `Merge pull request #N from owner/branch` commit (`pr_verified` not false).
  merged_at = that commit's committed_at; title = headline without ` (#N)`; sizes from the
  commit. Author: the squash commit's author; for merge commits the `owner` of the branch
  when it is a person, else the author of the merged head commit. merged_by: for merge
  commits the merge commit's author (who clicked merge); squash merges do not record it,
  so merged_by is null. created_at: the head commit's authored_at from pulls.jsonl when
  known, else the commit's authored_at (both ≤ merged_at).
- Unmerged pull requests (a `refs/pull/N/head` with no merge in the history): author from
  the head commit, created at its authored_at; open when its last push is within 90 days of
  the snapshot's HEAD, else closed at that push (the real close date is unknown).
- author_association: COLLABORATOR from the first evidence of write access (a web-UI merge,
  or a first-parent commit not committed by GitHub's web-flow), CONTRIBUTOR after a first
  merged pull request, else FIRST_TIME_CONTRIBUTOR.
- No issues, comments, reviews, stars or file contents: git has none of them.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ingest.simulator.world import World

WEB_FLOW = "noreply@github.com"
SQUASH = re.compile(r"\s*\(#\d+\)\s*$")
NOREPLY_ID = re.compile(r"^(?P<id>\d+)\+[^@]+@users\.noreply\.github\.com$", re.IGNORECASE)
FILE = re.compile(
    r"^(?P<owner>[^_]+(?:_[^_]+)*)__(?P<name>.+?)\.(?P<kind>commits|pulls)\.jsonl(?:\.gz)?$"
)


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class GitHistoryWorld:
    """Builds a World from commit-history files; `build()` returns it."""

    def __init__(self, paths: list[str] | list[Path], *, path: str | None = None) -> None:
        self.repos: dict[str, dict[str, Path]] = {}
        for raw in paths:
            file = Path(raw)
            found = FILE.match(file.name)
            if found is None:
                if file.name.endswith(".meta.json") or file.name in (
                    "README.md",
                    "ground_truth.json",
                ):
                    continue
                raise ValueError(f"{file.name}: expected <owner>__<name>.commits.jsonl[.gz]")
            if not file.is_file():
                raise FileNotFoundError(file)
            self.repos.setdefault(f"{found['owner']}/{found['name']}", {})[found["kind"]] = file
        if not any("commits" in kinds for kinds in self.repos.values()):
            raise ValueError("no .commits.jsonl file given")
        self.world = World(path or ":memory:")
        self.accounts: dict[str, str] = {}  # identity key -> login
        self.logins: set[str] = set()

    # -- accounts ---------------------------------------------------------------------------
    def _key(self, login: str | None, email: str | None, name: str | None) -> str:
        if login:
            return f"login:{login.lower()}"
        return f"email:{(email or '').strip().lower() or (name or '').strip().lower()}"

    def _account(self, *, login: str | None, name: str | None, email: str | None, at: str) -> str:
        """The login for an identity, creating the (possibly inferred) account at first sight."""
        key = self._key(login, email, name)
        # Like the data set's identity rule: the same e-mail or the same name is the same person.
        name_key = (
            f"name:{' '.join((name or '').split()).lower()}"
            if name and len(name.strip()) > 1
            else None
        )
        for known in (key, name_key if login is None else None):
            if known in self.accounts:
                self.accounts[key] = self.accounts[known]
                return self.accounts[known]
        key_aliases = [name_key] if login is None and name_key else []
        if login is None:
            login = self._unique(
                self._slug(name) or self._slug((email or "").split("@")[0]) or "someone"
            )
        elif login.lower() in self.logins:
            self.accounts[key] = login
            return login
        self.logins.add(login.lower())
        created = (_when(at) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.world.add_user(
            login, name=name, created_at=created, type="Bot" if login.endswith("[bot]") else "User"
        )
        self.accounts[key] = login
        for alias in key_aliases:
            self.accounts[alias] = login
        return login

    def _slug(self, text: str | None) -> str:
        ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:39]

    def _unique(self, base: str) -> str:
        login, n = base, 1
        while login.lower() in self.logins:
            n += 1
            login = f"{base}-{n}"
        return login

    # -- the world --------------------------------------------------------------------------
    def build(self) -> World:
        self._find_renames()
        for full_name in sorted(self.repos):
            self._repository(full_name, self.repos[full_name])
        return self.world

    def _find_renames(self) -> None:
        """Numeric user id -> the login of its latest noreply appearance (renamed accounts)."""
        latest: dict[str, tuple[str, str]] = {}
        for files in self.repos.values():
            for kind, prefix, at in (
                ("commits", "author_", "authored_at"),
                ("pulls", "head_author_", "head_authored_at"),
            ):
                for row in _lines(files[kind]) if kind in files else ():
                    found = NOREPLY_ID.match((row.get(prefix + "email") or "").strip())
                    login = row.get(prefix + "login")
                    if found and login and (row[at], login) > latest.get(found["id"], ("", "")):
                        latest[found["id"]] = (row[at], login)
        self.current_login = {user_id: login for user_id, (_, login) in latest.items()}

    def _current(self, row: dict, prefix: str) -> None:
        found = NOREPLY_ID.match((row.get(prefix + "email") or "").strip())
        if found and row.get(prefix + "login"):
            row[prefix + "login"] = self.current_login.get(found["id"], row[prefix + "login"])

    def _repository(self, full_name: str, files: dict[str, Path]) -> None:
        owner, name = full_name.split("/")
        commits = list(_lines(files["commits"]))[::-1] if "commits" in files else []  # oldest first
        pulls = {p["pr_number"]: p for p in _lines(files["pulls"])} if "pulls" in files else {}
        for c in commits:
            self._current(c, "author_")
        for p in pulls.values():
            self._current(p, "head_author_")
        meta_path = files.get("commits", files.get("pulls")).with_name(f"{owner}__{name}.meta.json")
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        branch = meta.get("default_branch", "refs/heads/master").removeprefix("refs/heads/")
        first = min((c["authored_at"] for c in commits), default="2018-01-01T00:00:00Z")
        if self.world.user(owner) is None:
            self.logins.add(owner.lower())
            self.world.add_org(owner, created_at=first)
        self.world.add_repo(owner, name, created_at=first, default_branch=branch)
        by_sha = {c["sha"]: c for c in commits}
        merged = self._merged_pulls(owner, commits, by_sha)
        write_from = self._write_access(commits)
        head_time = meta.get("head_committed_at") or max(
            (c["committed_at"] for c in commits), default=first
        )
        items = self._pull_items(merged, pulls, head_time)
        contributed: set[str] = set()
        for number in sorted(items):
            item = items[number]
            author = self._account(**item["author"])
            since = write_from.get(
                self._key(item["author"]["login"], item["author"]["email"], item["author"]["name"])
            )
            if since is not None and since <= item["created_at"]:
                association = "COLLABORATOR"
            elif author in contributed:
                association = "CONTRIBUTOR"
            else:
                association = "FIRST_TIME_CONTRIBUTOR"
            merged_by = self._account(**item["merged_by"]) if item.get("merged_by") else None
            self.world.add_pull(
                full_name,
                number=number,
                author=author,
                title=item["title"],
                body="",
                created_at=item["created_at"],
                merged_at=item.get("merged_at"),
                merged_by=merged_by,
                closed_at=item.get("closed_at"),
                additions=item.get("additions", 0),
                deletions=item.get("deletions", 0),
                changed_files=item.get("changed_files", 0),
                author_association=association,
                merge_commit_sha=item.get("sha"),
            )
            if item.get("merged_at"):
                contributed.add(author)
        for c in commits:
            login = None
            if c["author_login"]:
                login = self._account(
                    login=c["author_login"],
                    name=c["author_name"],
                    email=c["author_email"],
                    at=c["authored_at"],
                )
            self.world.add_commit(
                full_name,
                sha=c["sha"],
                author_login=login,
                author_name=c["author_name"],
                author_email=c["author_email"],
                committer_name=c["committer_name"],
                committer_email=c["committer_email"],
                authored_at=c["authored_at"],
                committed_at=c["committed_at"],
                message=c["headline"],
                additions=c["additions"],
                deletions=c["deletions"],
                changed_files=c["files_changed"],
                parents=list(c["parents"]),
                pr_number=c["pr_number"] if c["pr_number"] in items else None,
            )

    def _merged_pulls(
        self, owner: str, commits: list[dict], by_sha: dict[str, dict]
    ) -> dict[int, dict]:
        merged: dict[int, dict] = {}
        for c in commits:  # oldest first: the earliest commit carrying a number wins
            number = c["pr_number"]
            if number is None or c["pr_verified"] is False or number in merged:
                continue
            identity = {
                "login": c["author_login"],
                "name": c["author_name"],
                "email": c["author_email"],
                "at": c["authored_at"],
            }
            item = {
                "merged_at": c["committed_at"],
                "sha": c["sha"],
                "additions": c["additions"],
                "deletions": c["deletions"],
                "changed_files": c["files_changed"],
                "authored_at": c["authored_at"],
            }
            if c["is_merge"]:
                head_owner = c["merge_pr_head_owner"]
                head = by_sha.get(c["parents"][1]) if len(c["parents"]) > 1 else None
                if head_owner and head_owner.lower() not in (
                    owner.lower(),
                    "alipay",
                    "sofastack",
                    "mosn",
                ):
                    author = {
                        "login": head_owner,
                        "name": None,
                        "email": None,
                        "at": c["authored_at"],
                    }
                elif head is not None:
                    author = {
                        "login": head["author_login"],
                        "name": head["author_name"],
                        "email": head["author_email"],
                        "at": head["authored_at"],
                    }
                else:
                    author = identity
                item.update(author=author, merged_by=identity, title=c["headline"])
                if head is not None:
                    item["authored_at"] = min(item["authored_at"], head["authored_at"])
            else:
                item.update(
                    author=identity,
                    merged_by=None,
                    title=SQUASH.sub("", c["headline"]) or c["headline"],
                )
            merged[number] = item
        return merged

    def _write_access(self, commits: list[dict]) -> dict[str, str]:
        """Identity key -> first date with write-access evidence (web-UI merge, direct first-parent commit)."""
        since: dict[str, str] = {}
        for c in commits:
            if (
                c["is_merge"]
                and c["committer_email"] == WEB_FLOW
                and c["pr_verified"] is not False
                and c["pr_number"]
            ):
                key = self._key(c["author_login"], c["author_email"], c["author_name"])
            elif c["first_parent"] and c["committer_email"] != WEB_FLOW:
                key = self._key(None, c["committer_email"], c["committer_name"])
            else:
                continue
            since.setdefault(key, c["committed_at"])
        return since

    def _pull_items(
        self, merged: dict[int, dict], pulls: dict[int, dict], head_time: str
    ) -> dict[int, dict]:
        items: dict[int, dict] = {}
        recent = _when(head_time) - timedelta(days=90)
        for number, item in merged.items():
            created = item["authored_at"]
            known = pulls.get(number)
            if known and known.get("head_authored_at"):
                created = min(created, known["head_authored_at"])
            items[number] = {**item, "created_at": min(created, item["merged_at"])}
        for number, p in pulls.items():
            if number in items:
                continue
            author = {
                "login": p.get("head_author_login"),
                "name": p.get("head_author_name"),
                "email": p.get("head_author_email"),
                "at": p["head_authored_at"],
            }
            created = min(p["head_authored_at"], p["head_committed_at"])
            closed = None if _when(p["head_committed_at"]) >= recent else p["head_committed_at"]
            items[number] = {
                "author": author,
                "title": p.get("head_headline") or f"Pull request {number}",
                "created_at": created,
                "closed_at": closed,
            }
        return items
