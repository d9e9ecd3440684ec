"""The simulator's mutable world: GitHub things stored in SQLite, with GitHub's ids and numbering.

SQLite (in memory by default, a file for big worlds) keeps a million-item world out of the
Python heap, and lets the REST and GraphQL layers filter, sort and page in SQL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import sqlite3
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GHOST_ID = 10137  # GitHub's real "ghost" account, which stands in for deleted users

_SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE COLLATE NOCASE, node_id TEXT NOT NULL,
    type TEXT NOT NULL, name TEXT, company TEXT, email TEXT, location TEXT,
    created_at TEXT NOT NULL, deleted TEXT  -- NULL, 'ghost' or 'null': how REST shows their content
);
CREATE TABLE repos (
    id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, name TEXT NOT NULL,
    full_name TEXT NOT NULL UNIQUE COLLATE NOCASE, node_id TEXT NOT NULL, description TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, pushed_at TEXT NOT NULL,
    default_branch TEXT NOT NULL, archived INTEGER NOT NULL, fork INTEGER NOT NULL,
    next_number INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE repo_redirects (full_name TEXT PRIMARY KEY COLLATE NOCASE, repo_id INTEGER NOT NULL);
CREATE TABLE issues (
    id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL, number INTEGER NOT NULL,
    is_pull INTEGER NOT NULL, pr_id INTEGER, author_id INTEGER, title TEXT NOT NULL, body TEXT,
    state TEXT NOT NULL, state_reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    closed_at TEXT, closed_by_id INTEGER, locked INTEGER NOT NULL, lock_reason TEXT,
    labels TEXT NOT NULL, author_association TEXT NOT NULL, comments INTEGER NOT NULL DEFAULT 0,
    review_comments INTEGER NOT NULL DEFAULT 0,
    merged_at TEXT, merged_by_id INTEGER, additions INTEGER, deletions INTEGER,
    changed_files INTEGER, draft INTEGER, commits INTEGER, head_sha TEXT, merge_commit_sha TEXT,
    closes TEXT,
    UNIQUE (repo_id, number)
);
CREATE INDEX issues_updated ON issues (repo_id, updated_at, id);
CREATE INDEX issues_created ON issues (repo_id, created_at, id);
CREATE INDEX issues_pr ON issues (repo_id, is_pull, updated_at, id);
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL, number INTEGER NOT NULL, author_id INTEGER,
    state TEXT NOT NULL, body TEXT NOT NULL, submitted_at TEXT, author_association TEXT NOT NULL,
    commit_id TEXT NOT NULL
);
CREATE INDEX reviews_pull ON reviews (repo_id, number, id);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL, number INTEGER NOT NULL,
    kind TEXT NOT NULL,  -- 'issue' (conversation) or 'review' (on a diff line)
    author_id INTEGER, body TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    author_association TEXT NOT NULL, review_id INTEGER, path TEXT, commit_id TEXT
);
CREATE INDEX comments_repo ON comments (repo_id, kind, created_at, id);
CREATE INDEX comments_updated ON comments (repo_id, kind, updated_at, id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL, number INTEGER NOT NULL, actor_id INTEGER,
    event TEXT NOT NULL, created_at TEXT NOT NULL, commit_id TEXT, label TEXT, lock_reason TEXT
);
CREATE INDEX events_repo ON events (repo_id, id);
CREATE TABLE commits (
    sha TEXT NOT NULL, repo_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    author_id INTEGER, author_name TEXT, author_email TEXT,
    committer_id INTEGER, committer_name TEXT, committer_email TEXT,
    authored_at TEXT NOT NULL, committed_at TEXT NOT NULL, message TEXT NOT NULL,
    additions INTEGER NOT NULL, deletions INTEGER NOT NULL, changed_files INTEGER NOT NULL,
    parents TEXT NOT NULL, pr_number INTEGER, paths TEXT NOT NULL,
    PRIMARY KEY (repo_id, sha)
);
CREATE INDEX commits_order ON commits (repo_id, committed_at, seq);
CREATE TABLE stars (
    repo_id INTEGER NOT NULL, user_id INTEGER NOT NULL, starred_at TEXT NOT NULL,
    PRIMARY KEY (repo_id, user_id)
);
CREATE INDEX stars_order ON stars (repo_id, starred_at, user_id);
CREATE TABLE files (
    repo_id INTEGER NOT NULL, path TEXT NOT NULL, seq INTEGER NOT NULL, content BLOB NOT NULL,
    committed_at TEXT NOT NULL, commit_sha TEXT NOT NULL, blob_sha TEXT NOT NULL,
    PRIMARY KEY (repo_id, path, seq)
);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
# A commit's `Co-authored-by:` people (GitHub's `Commit.authors` after the author), position 1..;
# created apart from _SCHEMA so that a world file made before it gains the table when opened.
_CO_AUTHORS = """
CREATE TABLE IF NOT EXISTS co_authors (
    repo_id INTEGER NOT NULL, sha TEXT NOT NULL, position INTEGER NOT NULL,
    user_id INTEGER, name TEXT NOT NULL, email TEXT NOT NULL,
    PRIMARY KEY (repo_id, sha, position)
);
"""

# Separate id ranges per kind, as on GitHub where a user, an issue and a review never share an
# id in practice; this also catches a client that mixes up which id it stored.
_ID_START = {
    "user": 1_000,
    "repo": 100_000,
    "issue": 1_000_000_000,
    "pull": 2_000_000_000,
    "review": 3_000_000_000,
    "comment": 4_000_000_000,
    "event": 5_000_000_000,
}

_FIXES = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)", re.IGNORECASE)


class WorldError(ValueError):
    """A world was asked for something that cannot exist (unknown repo, duplicate login, …)."""


@dataclass(frozen=True)
class User:
    """A user, bot or organisation account as the world stores it."""

    id: int
    login: str
    node_id: str
    type: str
    name: str | None = None
    company: str | None = None
    email: str | None = None
    location: str | None = None
    created_at: str = ""
    deleted: str | None = None


@dataclass(frozen=True)
class Repo:
    """A repository as the world stores it."""

    id: int
    owner_id: int
    owner_login: str
    name: str
    full_name: str
    node_id: str
    description: str | None
    created_at: str
    updated_at: str
    pushed_at: str
    default_branch: str
    archived: bool
    fork: bool


def iso(value: datetime | str | None) -> str | None:
    """GitHub's timestamp form: ISO 8601 in UTC with a Z, whole seconds."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, *parts: object) -> str:
    """GitHub's legacy global node id: base64 of "<len>:<Type><id>"; decodable by `parse_node_id`."""
    raw = f"0{len(kind)}:{kind}{':'.join(str(p) for p in parts)}"
    return base64.b64encode(raw.encode()).decode()


def parse_node_id(value: str) -> tuple[str, str] | None:
    """(type, id part) of a node id made by `node_id`, or None for anything else."""
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
        size, rest = raw.split(":", 1)
        length = int(size)
    except (ValueError, UnicodeDecodeError):
        return None
    if length <= 0 or len(rest) <= length:
        return None
    return rest[:length], rest[length:]


def closing_numbers(body: str | None) -> list[int]:
    """Issue numbers a body closes with GitHub's keywords ("Fixes #12", "closes #3")."""
    return sorted({int(n) for n in _FIXES.findall(body or "")})


def _now() -> str:
    return iso(datetime.now(UTC))


class World:
    """A GitHub world: organisations, users, repositories and their activity. Thread-safe."""

    def __init__(self, path: str = ":memory:", *, temporary_dir: str | None = None) -> None:
        """`path`: SQLite file or ":memory:"; `temporary_dir` is removed when the world goes away."""
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        # Accounts by id, looked up for every author on every page served; emptied by any
        # mutation (`_write`), so it never answers with an account the world has changed.
        self._users_by_id: dict[int, User] = {}
        self._finalizer = weakref.finalize(self, _discard, self.db, temporary_dir)
        with self.lock:
            # A simulated world needs no crash safety: no journal, no fsync (and no WAL file
            # doubling a big world on disk while it is generated in one transaction).
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            if not self.db.execute("SELECT 1 FROM sqlite_master WHERE name='users'").fetchone():
                self.db.executescript(_SCHEMA)
            self.db.executescript(_CO_AUTHORS)

    @classmethod
    def synthetic(cls, *, seed: int = 1, scale: str = "small", path: str | None = None) -> World:
        """A SOFAStack-like community, deterministic by seed (see `synthetic.py`)."""
        from ingest.simulator.synthetic import SyntheticWorld

        return SyntheticWorld(seed=seed, scale=scale, path=path).build()

    # -- plumbing ---------------------------------------------------------------------------
    def query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query (used by the REST and GraphQL layers)."""
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple | list = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute(sql, params).fetchone()

    def _write(self, sql: str, params: tuple | list = ()) -> sqlite3.Cursor:
        with self.lock:
            self._users_by_id.clear()
            return self.db.execute(sql, params)

    def next_id(self, kind: str, count: int = 1) -> int:
        """The first of `count` fresh ids of a kind."""
        with self.lock:
            row = self.db.execute("SELECT value FROM counters WHERE name=?", (kind,)).fetchone()
            first = row["value"] if row else _ID_START[kind]
            self.db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value=excluded.value",
                (kind, first + count),
            )
            return first

    def close(self) -> None:
        with self.lock:
            self._finalizer()

    # -- accounts ---------------------------------------------------------------------------
    def add_user(
        self,
        login: str,
        *,
        name: str | None = None,
        company: str | None = None,
        email: str | None = None,
        location: str | None = None,
        created_at: datetime | str | None = None,
        type: str = "User",  # noqa: A002 - GitHub's field name
    ) -> User:
        """A user ("User"), bot ("Bot") or organisation ("Organization") account."""
        if type not in ("User", "Bot", "Organization"):
            raise WorldError(f"unknown account type {type!r}")
        with self.lock:
            if self.user(login):
                raise WorldError(f"login {login!r} is taken")
            uid = self.next_id("user")
            self._write(
                "INSERT INTO users (id, login, node_id, type, name, company, email, location, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    uid,
                    login,
                    node_id(type, uid),
                    type,
                    name,
                    company,
                    email,
                    location,
                    iso(created_at) or "2015-01-01T00:00:00Z",
                ),
            )
            return self.user(login)

    def add_org(
        self,
        login: str,
        *,
        name: str | None = None,
        created_at: datetime | str | None = None,
        email: str | None = None,
        location: str | None = None,
    ) -> User:
        return self.add_user(
            login,
            name=name,
            created_at=created_at or "2017-01-01T00:00:00Z",
            email=email,
            location=location,
            type="Organization",
        )

    def user(self, login: str) -> User | None:
        row = self.query_one("SELECT * FROM users WHERE login=?", (login,))
        return User(**dict(row)) if row else None

    def user_by_id(self, uid: int) -> User | None:
        found = self._users_by_id.get(uid)
        if found is not None:
            return found
        with self.lock:  # read and kept under the lock: no mutation can come in between
            row = self.db.execute("SELECT * FROM users WHERE id=?", (uid,)).fetchone()
            if row is None:
                return None  # not kept: the account may be created later
            user = self._users_by_id[uid] = User(**dict(row))
        return user

    def update_user(self, login: str, **changes: Any) -> User:
        allowed = {"name", "company", "email", "location"}
        if unknown := set(changes) - allowed:
            raise WorldError(f"cannot change {sorted(unknown)} of a user")
        self._require_user(login)
        for key, value in changes.items():
            self._write(f"UPDATE users SET {key}=? WHERE login=?", (value, login))
        return self.user(login)

    def delete_user(self, login: str, *, shown_as: str = "ghost") -> None:
        """Delete an account; its content stays, shown as GitHub's `ghost` user or as `null`."""
        if shown_as not in ("ghost", "null"):
            raise WorldError("shown_as is 'ghost' or 'null'")
        self._require_user(login)
        self._write("UPDATE users SET deleted=? WHERE login=?", (shown_as, login))

    def _require_user(self, login: str | None) -> int | None:
        if login is None:
            return None
        user = self.user(login)
        if user is None:
            raise WorldError(f"unknown user {login!r}")
        return user.id

    # -- repositories -----------------------------------------------------------------------
    def add_repo(
        self,
        owner: str,
        name: str,
        *,
        created_at: datetime | str | None = None,
        default_branch: str = "master",
        archived: bool = False,
        fork: bool = False,
        description: str | None = None,
    ) -> Repo:
        owner_id = self._require_user(owner)
        full_name = f"{self.user(owner).login}/{name}"
        with self.lock:
            if self.repo(full_name, follow=False):
                raise WorldError(f"repository {full_name} exists")
            rid = self.next_id("repo")
            created = iso(created_at) or "2018-01-01T00:00:00Z"
            self._write(
                "INSERT INTO repos (id, owner_id, name, full_name, node_id, description, created_at,"
                " updated_at, pushed_at, default_branch, archived, fork) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rid,
                    owner_id,
                    name,
                    full_name,
                    node_id("Repository", rid),
                    description,
                    created,
                    created,
                    created,
                    default_branch,
                    int(archived),
                    int(fork),
                ),
            )
            return self.repo(full_name)

    _REPO_SQL = "SELECT r.*, u.login AS owner_login FROM repos r JOIN users u ON u.id = r.owner_id"

    def _repo_from(self, row: sqlite3.Row | None) -> Repo | None:
        if row is None:
            return None
        data = dict(row)
        data.pop("next_number")
        data["archived"], data["fork"] = bool(data["archived"]), bool(data["fork"])
        return Repo(**data)

    def repo(self, full_name: str, *, follow: bool = True) -> Repo | None:
        """A repository by "owner/name"; with `follow`, old names of renamed/moved ones too."""
        found = self._repo_from(
            self.query_one(f"{self._REPO_SQL} WHERE r.full_name=?", (full_name,))
        )
        if found is None and follow:
            row = self.query_one(
                "SELECT repo_id FROM repo_redirects WHERE full_name=?", (full_name,)
            )
            if row:
                return self.repo_by_id(row["repo_id"])
        return found

    def repo_by_id(self, rid: int) -> Repo | None:
        return self._repo_from(self.query_one(f"{self._REPO_SQL} WHERE r.id=?", (rid,)))

    def repos(self, owner: str | None = None) -> list[Repo]:
        if owner is None:
            rows = self.query(f"{self._REPO_SQL} ORDER BY r.id")
        else:
            rows = self.query(f"{self._REPO_SQL} WHERE u.login=? ORDER BY r.id", (owner,))
        return [self._repo_from(r) for r in rows]

    def _require_repo(self, full_name: str) -> Repo:
        repo = self.repo(full_name)
        if repo is None:
            raise WorldError(f"unknown repository {full_name!r}")
        return repo

    def rename_repo(self, full_name: str, new_name: str) -> Repo:
        """Rename; the old name keeps answering with a 301, as on GitHub."""
        repo = self._require_repo(full_name)
        return self._move(repo, repo.owner_login, new_name)

    def transfer_repo(self, full_name: str, new_owner: str) -> Repo:
        """Move to another owner; the old name keeps answering with a 301, as on GitHub."""
        repo = self._require_repo(full_name)
        self._require_user(new_owner)
        return self._move(repo, self.user(new_owner).login, repo.name)

    def _move(self, repo: Repo, owner: str, name: str) -> Repo:
        new_full = f"{owner}/{name}"
        with self.lock:
            if self.repo(new_full, follow=False):
                raise WorldError(f"repository {new_full} exists")
            self._write(
                "INSERT OR REPLACE INTO repo_redirects VALUES (?, ?)", (repo.full_name, repo.id)
            )
            self._write("DELETE FROM repo_redirects WHERE full_name=?", (new_full,))
            self._write(
                "UPDATE repos SET name=?, full_name=?, owner_id=(SELECT id FROM users WHERE login=?) WHERE id=?",
                (name, new_full, owner, repo.id),
            )
            return self.repo_by_id(repo.id)

    def update_repo(self, full_name: str, **changes: Any) -> Repo:
        allowed = {"description", "archived", "default_branch", "updated_at", "pushed_at"}
        if unknown := set(changes) - allowed:
            raise WorldError(f"cannot change {sorted(unknown)} of a repository")
        repo = self._require_repo(full_name)
        for key, value in changes.items():
            if key.endswith("_at"):
                value = iso(value)
            self._write(f"UPDATE repos SET {key}=? WHERE id=?", (value, repo.id))
        return self.repo_by_id(repo.id)

    def _touch_repo(self, repo_id: int, at: str, *, pushed: bool = False) -> None:
        column = "pushed_at" if pushed else "updated_at"
        self._write(f"UPDATE repos SET {column}=max({column}, ?) WHERE id=?", (at, repo_id))

    # -- issues and pull requests -----------------------------------------------------------
    def _take_number(self, repo_id: int, wanted: int | None = None) -> int:
        with self.lock:
            nxt = self.db.execute(
                "SELECT next_number FROM repos WHERE id=?", (repo_id,)
            ).fetchone()[0]
            number = nxt
            if wanted is not None:
                # A given number (e.g. from real history) may leave gaps, as deleted or unknown items do.
                taken = self.db.execute(
                    "SELECT 1 FROM issues WHERE repo_id=? AND number=?", (repo_id, wanted)
                ).fetchone()
                if wanted < 1 or taken:
                    raise WorldError(f"number {wanted} is taken or invalid")
                number = wanted
            self._write(
                "UPDATE repos SET next_number=? WHERE id=?", (max(nxt, number + 1), repo_id)
            )
            return number

    def add_issue(
        self,
        repo: str,
        *,
        author: str | None,
        title: str,
        body: str | None = "",
        created_at: datetime | str,
        updated_at: datetime | str | None = None,
        closed_at: datetime | str | None = None,
        closed_by: str | None = None,
        state_reason: str | None = None,
        labels: list[str] | tuple[str, ...] = (),
        locked: bool = False,
        lock_reason: str | None = None,
        author_association: str = "NONE",
        number: int | None = None,
    ) -> int:
        """Open (or, with `closed_at`, open and close) an issue; returns its number (next free unless given)."""
        record = self._require_repo(repo)
        with self.lock:
            number = self._take_number(record.id, number)
            self._insert_item(
                record,
                number,
                is_pull=False,
                author=author,
                title=title,
                body=body,
                created_at=created_at,
                updated_at=updated_at,
                closed_at=closed_at,
                closer=closed_by or author,
                labels=labels,
                locked=locked,
                lock_reason=lock_reason,
                author_association=author_association,
                state_reason=state_reason or ("completed" if closed_at else None),
            )
            return number

    def add_pull(
        self,
        repo: str,
        *,
        author: str | None,
        title: str,
        body: str | None = "",
        created_at: datetime | str,
        updated_at: datetime | str | None = None,
        merged_at: datetime | str | None = None,
        merged_by: str | None = None,
        closed_at: datetime | str | None = None,
        additions: int = 0,
        deletions: int = 0,
        changed_files: int = 0,
        commits: int = 1,
        labels: list[str] | tuple[str, ...] = (),
        draft: bool = False,
        locked: bool = False,
        author_association: str = "NONE",
        merge_commit_sha: str | None = None,
        number: int | None = None,
    ) -> int:
        """Open a pull request (merged if `merged_at`); shares the issue number space."""
        record = self._require_repo(repo)
        if merged_at and not closed_at:
            closed_at = merged_at
        with self.lock:
            number = self._take_number(record.id, number)
            self._insert_item(
                record,
                number,
                is_pull=True,
                author=author,
                title=title,
                body=body,
                created_at=created_at,
                updated_at=updated_at,
                closed_at=closed_at,
                closer=merged_by or author,
                labels=labels,
                locked=locked,
                lock_reason=None,
                author_association=author_association,
                state_reason=None,
                merged_at=merged_at,
                merged_by=merged_by,
                additions=additions,
                deletions=deletions,
                changed_files=changed_files,
                draft=draft,
                commits=commits,
                merge_commit_sha=merge_commit_sha,
            )
            return number

    def _insert_item(
        self,
        repo: Repo,
        number: int,
        *,
        is_pull: bool,
        author: str | None,
        title: str,
        body: str | None,
        created_at,
        updated_at,
        closed_at,
        closer: str | None,
        labels,
        locked: bool,
        lock_reason: str | None,
        author_association: str,
        state_reason: str | None,
        merged_at=None,
        merged_by: str | None = None,
        additions: int = 0,
        deletions: int = 0,
        changed_files: int = 0,
        draft: bool = False,
        commits: int = 1,
        merge_commit_sha: str | None = None,
    ) -> None:
        created = iso(created_at)
        closed = iso(closed_at)
        merged = iso(merged_at)
        updated = iso(updated_at) or max(t for t in (created, closed, merged) if t)
        author_id = self._require_user(author)
        closer_id = self._require_user(closer) if closed else None
        merged_by_id = self._require_user(merged_by) if merged else None
        iid = self.next_id("issue")
        pr_id = self.next_id("pull") if is_pull else None
        head_sha = _sha("head", repo.id, number) if is_pull else None
        if merged and not merge_commit_sha:
            merge_commit_sha = _sha("merge", repo.id, number)
        self._write(
            "INSERT INTO issues (id, repo_id, number, is_pull, pr_id, author_id, title, body, state,"
            " state_reason, created_at, updated_at, closed_at, closed_by_id, locked, lock_reason, labels,"
            " author_association, merged_at, merged_by_id, additions, deletions, changed_files, draft,"
            " commits, head_sha, merge_commit_sha, closes)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                iid,
                repo.id,
                number,
                int(is_pull),
                pr_id,
                author_id,
                title,
                body,
                "closed" if closed else "open",
                state_reason,
                created,
                updated,
                closed,
                closer_id,
                int(locked),
                lock_reason if locked else None,
                json.dumps(list(labels)),
                author_association,
                merged,
                merged_by_id,
                additions if is_pull else None,
                deletions if is_pull else None,
                changed_files if is_pull else None,
                int(draft) if is_pull else None,
                commits if is_pull else None,
                head_sha,
                merge_commit_sha if is_pull else None,
                json.dumps(closing_numbers(body)) if is_pull else None,
            ),
        )
        for label in labels:
            self._event(repo.id, number, author_id, "labeled", created, label=label)
        if merged:
            self._event(repo.id, number, merged_by_id, "merged", merged, commit_id=merge_commit_sha)
        if closed:
            self._event(
                repo.id,
                number,
                closer_id,
                "closed",
                closed,
                commit_id=merge_commit_sha if merged else None,
            )
        if locked:
            self._event(
                repo.id, number, closer_id or author_id, "locked", updated, lock_reason=lock_reason
            )
        self._touch_repo(repo.id, updated)

    def _event(
        self,
        repo_id: int,
        number: int,
        actor_id: int | None,
        event: str,
        at: str,
        *,
        commit_id: str | None = None,
        label: str | None = None,
        lock_reason: str | None = None,
    ) -> None:
        self._write(
            "INSERT INTO events (id, repo_id, number, actor_id, event, created_at, commit_id, label, lock_reason)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (
                self.next_id("event"),
                repo_id,
                number,
                actor_id,
                event,
                at,
                commit_id,
                label,
                lock_reason,
            ),
        )

    def item(self, repo: str, number: int) -> sqlite3.Row | None:
        record = self._require_repo(repo)
        return self.query_one(
            "SELECT * FROM issues WHERE repo_id=? AND number=?", (record.id, number)
        )

    def _require_item(
        self, repo: str, number: int, *, pull: bool | None = None
    ) -> tuple[Repo, sqlite3.Row]:
        record = self._require_repo(repo)
        row = self.query_one(
            "SELECT * FROM issues WHERE repo_id=? AND number=?", (record.id, number)
        )
        if row is None or (pull is not None and bool(row["is_pull"]) != pull):
            kind = {True: "pull request", False: "issue", None: "issue or pull request"}[pull]
            raise WorldError(f"no {kind} #{number} in {repo}")
        return record, row

    def update_issue(self, repo: str, number: int, **changes: Any) -> None:
        """Change fields of an issue (title, body, state, closed_at, labels, locked, …); bumps updated_at."""
        self._update_item(repo, number, changes, pull=False)

    def update_pull(self, repo: str, number: int, **changes: Any) -> None:
        """Change fields of a pull request (also merged_at/merged_by, sizes, draft); bumps updated_at."""
        self._update_item(repo, number, changes, pull=True)

    _ITEM_FIELDS = {
        "title",
        "body",
        "state",
        "state_reason",
        "closed_at",
        "closed_by",
        "labels",
        "locked",
        "lock_reason",
        "author_association",
        "updated_at",
    }
    _PULL_FIELDS = {
        "merged_at",
        "merged_by",
        "additions",
        "deletions",
        "changed_files",
        "draft",
        "commits",
    }

    def _update_item(self, repo: str, number: int, changes: dict[str, Any], *, pull: bool) -> None:
        allowed = self._ITEM_FIELDS | (self._PULL_FIELDS if pull else set())
        if unknown := set(changes) - allowed:
            raise WorldError(
                f"cannot change {sorted(unknown)} of a {'pull request' if pull else 'issue'}"
            )
        with self.lock:
            record, row = self._require_item(repo, number, pull=pull)
            updated = iso(changes.pop("updated_at", None)) or max(_now(), row["updated_at"])
            columns: dict[str, Any] = {"updated_at": updated}
            actor_id = row["author_id"]
            if "merged_at" in changes:
                merged = iso(changes.pop("merged_at"))
                columns["merged_at"] = merged
                if merged:
                    columns.setdefault("closed_at", merged)
                    columns["state"] = "closed"
                    columns["merge_commit_sha"] = row["merge_commit_sha"] or _sha(
                        "merge", record.id, number
                    )
            if "merged_by" in changes:
                columns["merged_by_id"] = actor_id = self._require_user(changes.pop("merged_by"))
            if "closed_by" in changes:
                columns["closed_by_id"] = actor_id = self._require_user(changes.pop("closed_by"))
            if "closed_at" in changes:
                closed = iso(changes.pop("closed_at"))
                columns["closed_at"] = closed
                columns["state"] = "closed" if closed else "open"
            if "state" in changes:
                state = changes.pop("state")
                if state not in ("open", "closed"):
                    raise WorldError("state is 'open' or 'closed'")
                columns["state"] = state
                if state == "closed" and not (columns.get("closed_at") or row["closed_at"]):
                    columns["closed_at"] = updated
                if state == "open":
                    columns["closed_at"] = None
            if "labels" in changes:
                labels = list(changes.pop("labels"))
                for label in set(labels) - set(json.loads(row["labels"])):
                    self._event(record.id, number, actor_id, "labeled", updated, label=label)
                columns["labels"] = json.dumps(labels)
            if "body" in changes and pull:
                columns["closes"] = json.dumps(closing_numbers(changes["body"]))
            for key in ("locked", "draft"):
                if key in changes:
                    changes[key] = int(bool(changes[key]))
            columns.update(changes)
            if columns.get("locked") and not row["locked"]:
                self._event(
                    record.id,
                    number,
                    actor_id,
                    "locked",
                    updated,
                    lock_reason=columns.get("lock_reason"),
                )
            if columns.get("merged_at") and not row["merged_at"]:
                self._event(
                    record.id,
                    number,
                    actor_id,
                    "merged",
                    columns["merged_at"],
                    commit_id=columns.get("merge_commit_sha"),
                )
            if columns.get("state") == "closed" and row["state"] == "open":
                self._event(
                    record.id, number, actor_id, "closed", columns.get("closed_at") or updated
                )
            if columns.get("state") == "open" and row["state"] == "closed":
                self._event(record.id, number, actor_id, "reopened", updated)
            assignments = ", ".join(f"{key}=?" for key in columns)
            self._write(
                f"UPDATE issues SET {assignments} WHERE id=?", (*columns.values(), row["id"])
            )
            self._touch_repo(record.id, updated)

    def delete_issue(self, repo: str, number: int) -> None:
        """Delete an issue (GitHub lets admins do this); its number then answers 404/410."""
        with self.lock:
            record, row = self._require_item(repo, number, pull=False)
            for table in ("issues", "comments", "events"):
                self._write(
                    f"DELETE FROM {table} WHERE repo_id=? AND number=?", (record.id, number)
                )

    # -- reviews and comments ---------------------------------------------------------------
    def add_review(
        self,
        repo: str,
        number: int,
        *,
        author: str | None,
        state: str,
        submitted_at: datetime | str,
        author_association: str = "NONE",
        body: str = "",
    ) -> int:
        """A submitted review of a pull request; returns its id."""
        if state not in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"):
            raise WorldError(f"unknown review state {state!r}")
        with self.lock:
            record, row = self._require_item(repo, number, pull=True)
            rid = self.next_id("review")
            at = iso(submitted_at)
            self._write(
                "INSERT INTO reviews (id, repo_id, number, author_id, state, body, submitted_at,"
                " author_association, commit_id) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    rid,
                    record.id,
                    number,
                    self._require_user(author),
                    state,
                    body,
                    None if state == "PENDING" else at,
                    author_association,
                    row["head_sha"],
                ),
            )
            self._bump_item(row, at)
            return rid

    def add_comment(
        self,
        repo: str,
        number: int,
        *,
        author: str | None,
        body: str,
        created_at: datetime | str,
        updated_at: datetime | str | None = None,
        author_association: str = "NONE",
    ) -> int:
        """A conversation comment on an issue or pull request; returns its id."""
        with self.lock:
            record, row = self._require_item(repo, number)
            cid = self._insert_comment(
                record, row, "issue", author, body, created_at, updated_at, author_association
            )
            self._write("UPDATE issues SET comments=comments+1 WHERE id=?", (row["id"],))
            return cid

    def add_review_comment(
        self,
        repo: str,
        number: int,
        *,
        author: str | None,
        body: str,
        created_at: datetime | str,
        path: str = "README.md",
        review_id: int | None = None,
        author_association: str = "NONE",
    ) -> int:
        """A comment on a line of a pull request's diff; returns its id."""
        with self.lock:
            record, row = self._require_item(repo, number, pull=True)
            if review_id is None:
                review_id = self.add_review(
                    repo,
                    number,
                    author=author,
                    state="COMMENTED",
                    submitted_at=created_at,
                    author_association=author_association,
                )
            cid = self._insert_comment(
                record,
                row,
                "review",
                author,
                body,
                created_at,
                None,
                author_association,
                review_id=review_id,
                path=path,
            )
            self._write(
                "UPDATE issues SET review_comments=review_comments+1 WHERE id=?", (row["id"],)
            )
            return cid

    def _insert_comment(
        self,
        record: Repo,
        row: sqlite3.Row,
        kind: str,
        author: str | None,
        body: str,
        created_at,
        updated_at,
        association: str,
        *,
        review_id: int | None = None,
        path: str | None = None,
    ) -> int:
        cid = self.next_id("comment")
        created = iso(created_at)
        updated = iso(updated_at) or created
        self._write(
            "INSERT INTO comments (id, repo_id, number, kind, author_id, body, created_at, updated_at,"
            " author_association, review_id, path, commit_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                cid,
                record.id,
                row["number"],
                kind,
                self._require_user(author),
                body,
                created,
                updated,
                association,
                review_id,
                path,
                row["head_sha"],
            ),
        )
        self._bump_item(row, updated)
        return cid

    def update_comment(
        self, repo: str, comment_id: int, *, body: str, updated_at: datetime | str | None = None
    ) -> None:
        record = self._require_repo(repo)
        at = iso(updated_at) or _now()
        if not self._write(
            "UPDATE comments SET body=?, updated_at=? WHERE id=? AND repo_id=?",
            (body, at, comment_id, record.id),
        ).rowcount:
            raise WorldError(f"no comment {comment_id} in {repo}")

    def delete_comment(self, repo: str, comment_id: int) -> None:
        """Delete a conversation or review comment (its author or a maintainer can)."""
        with self.lock:
            record = self._require_repo(repo)
            row = self.query_one(
                "SELECT number, kind FROM comments WHERE id=? AND repo_id=?",
                (comment_id, record.id),
            )
            if row is None:
                raise WorldError(f"no comment {comment_id} in {repo}")
            self._write("DELETE FROM comments WHERE id=?", (comment_id,))
            column = "comments" if row["kind"] == "issue" else "review_comments"
            self._write(
                f"UPDATE issues SET {column}={column}-1 WHERE repo_id=? AND number=?",
                (record.id, row["number"]),
            )

    def _bump_item(self, row: sqlite3.Row, at: str) -> None:
        # Activity on an issue moves its updated_at forward (what `since` and sort=updated see).
        self._write("UPDATE issues SET updated_at=max(updated_at, ?) WHERE id=?", (at, row["id"]))
        self._touch_repo(row["repo_id"], at)

    # -- commits, files, stars --------------------------------------------------------------
    def add_commit(
        self,
        repo: str,
        *,
        sha: str | None = None,
        author_login: str | None = None,
        author_name: str | None = None,
        author_email: str | None = None,
        committer_login: str | None = None,
        committer_name: str | None = None,
        committer_email: str | None = None,
        authored_at: datetime | str,
        committed_at: datetime | str | None = None,
        message: str = "Update",
        additions: int = 0,
        deletions: int = 0,
        changed_files: int = 1,
        parents: int | list[str] = 1,
        pr_number: int | None = None,
        paths: list[str] | tuple[str, ...] = (),
        co_authors: Sequence[Mapping[str, str | None]] = (),
    ) -> str:
        """A commit on the default branch; returns its sha. `parents` is a count or a list of shas.

        `co_authors`: `{name, email, login}` of its `Co-authored-by:` people (login: the account
        GitHub links the e-mail to, or None); their trailers are added to the message, from
        which GitHub reads them."""
        record = self._require_repo(repo)
        author_user = self.user(author_login) if author_login else None
        if author_login and author_user is None:
            raise WorldError(f"unknown user {author_login!r}")
        committer_user = self.user(committer_login) if committer_login else None
        co_author_rows = []
        for position, person in enumerate(co_authors, start=1):
            login = person.get("login")
            user = self.user(login) if login else None
            if login and user is None:
                raise WorldError(f"unknown user {login!r}")
            co_author_rows.append(
                (position, user.id if user else None, person["name"] or "", person["email"] or "")
            )
        trailers = [f"Co-authored-by: {name} <{email}>" for _, _, name, email in co_author_rows]
        missing = [t for t in trailers if t not in message]
        if missing:
            message = message.rstrip("\n") + "\n\n" + "\n".join(missing)
        authored = iso(authored_at)
        committed = iso(committed_at) or authored
        with self.lock:
            seq = self.db.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM commits WHERE repo_id=?", (record.id,)
            ).fetchone()[0]
            sha = sha or _sha("commit", record.id, seq, message)
            if isinstance(parents, int):
                previous = self.db.execute(
                    "SELECT sha FROM commits WHERE repo_id=? ORDER BY seq DESC LIMIT 1",
                    (record.id,),
                ).fetchone()
                chain = [previous["sha"]] if previous else []
                parent_list = (chain + [_sha("side", record.id, seq, n) for n in range(parents)])[
                    :parents
                ]
            else:
                parent_list = list(parents)
            self._write(
                "INSERT INTO commits (sha, repo_id, seq, author_id, author_name, author_email, committer_id,"
                " committer_name, committer_email, authored_at, committed_at, message, additions, deletions,"
                " changed_files, parents, pr_number, paths) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    sha,
                    record.id,
                    seq,
                    author_user.id if author_user else None,
                    author_name
                    if author_name is not None
                    else (author_user.name or author_user.login if author_user else "unknown"),
                    author_email
                    if author_email is not None
                    else (
                        f"{author_user.id}+{author_user.login}@users.noreply.github.com"
                        if author_user
                        else ""
                    ),
                    committer_user.id if committer_user else None,
                    committer_name or "GitHub",
                    committer_email or "noreply@github.com",
                    authored,
                    committed,
                    message,
                    additions,
                    deletions,
                    changed_files,
                    json.dumps(parent_list),
                    pr_number,
                    json.dumps(list(paths)),
                ),
            )
            if co_author_rows:
                self.db.executemany(
                    "INSERT INTO co_authors VALUES (?,?,?,?,?,?)",
                    [(record.id, sha, *row) for row in co_author_rows],
                )
            self._touch_repo(record.id, committed, pushed=True)
            return sha

    def set_file(
        self,
        repo: str,
        path: str,
        *,
        content: str | bytes,
        committed_at: datetime | str,
        author: str | None = None,
        message: str | None = None,
    ) -> str:
        """A new version of a file on the default branch (a commit touching only it); returns the commit sha."""
        data = content.encode() if isinstance(content, str) else content
        sha = self.add_commit(
            repo,
            author_login=author,
            authored_at=committed_at,
            committed_at=committed_at,
            message=message or f"Update {path}",
            additions=data.count(b"\n") or 1,
            deletions=0,
            changed_files=1,
            paths=[path],
        )
        record = self._require_repo(repo)
        with self.lock:
            seq = self.db.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM files WHERE repo_id=? AND path=?",
                (record.id, path),
            ).fetchone()[0]
            blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's own blob id
            self._write(
                "INSERT INTO files VALUES (?,?,?,?,?,?,?)",
                (record.id, path, seq, data, iso(committed_at), sha, blob),
            )
        return sha

    def add_star(self, repo: str, *, user: str, starred_at: datetime | str) -> None:
        record = self._require_repo(repo)
        self._write(
            "INSERT OR REPLACE INTO stars VALUES (?,?,?)",
            (record.id, self._require_user(user), iso(starred_at)),
        )

    def remove_star(self, repo: str, *, user: str) -> None:
        """The user un-stars the repository."""
        record = self._require_repo(repo)
        self._write(
            "DELETE FROM stars WHERE repo_id=? AND user_id=?",
            (record.id, self._require_user(user)),
        )


def _discard(db: sqlite3.Connection, temporary_dir: str | None) -> None:
    db.close()
    if temporary_dir:
        shutil.rmtree(temporary_dir, ignore_errors=True)


def _sha(*parts: object) -> str:
    return hashlib.sha1(":".join(str(p) for p in parts).encode()).hexdigest()
