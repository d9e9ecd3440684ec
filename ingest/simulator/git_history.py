"""The git-history world: real SOFAStack commit history (../shared/data/sofastack-git) served as GitHub.

Input: `<owner>__<name>.commits.jsonl[.gz]` files (format: that folder's README), with the
sibling `.pulls.jsonl[.gz]` and `.meta.json` read when present. Commits are served exactly
as recorded (sha, parents, names, e-mails, dates, sizes, headline as message, with the
`Co-authored-by:` trailers of `co_authors`). Everything else is inferred, because git does
not record it:

- People: the git identities of the commits (authors, co-authors, committers other than
  GitHub's web-flow) are joined into people by the data set's own identity rule (the same
  e-mail, the same name, the same noreply login or numeric user id, or a whitespace-free name
  equal to such a login; placeholder e-mails and generic names join nobody), so that the world
  has the people its ground truth counts. A pull request's head commit (`.pulls.jsonl`) never
  joins two people: one of a merged pull request that no commit knows is the author's own
  (the name and e-mail they push under); one of an unmerged pull request belongs to the person
  its e-mail, else its noreply login, else its name points to, else to a person of its own.
- Accounts: one per person at most, as on GitHub. A person with a noreply address
  (`12345+login@…`) is that account (`[bot]` logins are Bot accounts; addresses with the same
  numeric id are one account under the login of the latest of them, as GitHub shows a renamed
  account's old commits). A person without one gets an account only when GitHub would need
  one: they authored or merged a pull request. Its login is the fork owner that pull requests
  came from (`Merge pull request #N from <login>/…`), else a name or e-mail local part of
  theirs that is a free, valid login (a person's own name before another's e-mail), else
  `<local part>-at-<domain>`; never an invented `-2` variant of a login that exists.
  Accounts are created the day before their first appearance; profiles are unknown and empty
  but for the name they most use.
- Which commits GitHub links to an account (`Commit.author.user`, each of `Commit.authors`,
  `committer.user`, the REST `author`/`committer`): those with the account's noreply address,
  and those with an e-mail verified on the account. An e-mail counts as verified where GitHub
  itself put it or the account's own pull requests carry it: the author e-mail of a squash
  commit (GitHub writes the pull request author's), of a web-UI merge commit (the merger's),
  of the commits a merged branch brought in that are the credited person's own, and of an
  unmerged pull request's head commit. The head commit of a squash-merged pull request is not
  evidence (maintainers often push to or update a contributor's branch).
- Merged pull requests: one per PR number of a squash commit (`… (#N)`, this wins) or a
  verified `Merge pull request #N from owner/branch` commit (`pr_verified` not false).
  merged_at = that commit's committed_at; title = headline without ` (#N)`; sizes from the
  commit. Author, always a person: the squash commit's author; for a merge commit, the fork's
  owner when that is a person, else (an organisation's branch) the person who authored most of
  the commits the merge brought in (ties: the head commit's author). An owner is an
  organisation when it owns one of the repositories, is one of SOFAStack's organisations, or
  the branches merged from it were authored by more than one person. merged_by: for merge
  commits the merge commit's author (who clicked merge); squash merges do not record it, so
  merged_by is null. created_at: the head commit's authored_at from pulls.jsonl when known,
  else the commit's authored_at (both ≤ merged_at).
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
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ingest.simulator.world import World

WEB_FLOW = "noreply@github.com"
SQUASH = re.compile(r"\s*\(#\d+\)\s*$")
NOREPLY = re.compile(
    r"^(?:(?P<id>\d+)\+)?(?P<login>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?)"
    r"@users\.noreply\.github\.com$",
    re.IGNORECASE,
)
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
FILE = re.compile(
    r"^(?P<owner>[^_]+(?:_[^_]+)*)__(?P<name>.+?)\.(?P<kind>commits|pulls)\.jsonl(?:\.gz)?$"
)
# Organisations SOFAStack's repositories have lived under (their branches are no one's fork).
SOFASTACK_ORGS = frozenset({"alipay", "sofastack", "mosn", "sofastack-incubator"})
# The data set's placeholder names: never evidence that two identities are one person.
GENERIC_NAMES = frozenset(
    {
        "admin",
        "administrator",
        "author",
        "default",
        "dev",
        "developer",
        "git",
        "github",
        "local",
        "me",
        "name",
        "none",
        "null",
        "root",
        "test",
        "ubuntu",
        "unknown",
        "user",
        "your name",
        "yourname",
    }
)


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _email_key(email: str | None) -> str | None:
    """The e-mail as evidence of who someone is, or None for the placeholders many share."""
    text = (email or "").strip().lower()
    if not text or text == WEB_FLOW or text.split("@")[0] in ("none", "unknown"):
        return None
    if text.endswith(("@localhost", "@example.com")):
        return None
    return text


def _name_key(name: str | None) -> str | None:
    text = " ".join(unicodedata.normalize("NFKC", name or "").split()).lower()
    return None if len(text) < 2 or text in GENERIC_NAMES else text


def _display(name: str) -> bool:
    """A git name a person would show on their profile (not a placeholder, not an address)."""
    return _name_key(name) is not None and "@" not in name


class People:
    """Git identities joined into people (union-find over the data set's identity keys)."""

    def __init__(self, current_login: dict[str, str]) -> None:
        self.current_login = current_login  # numeric user id -> latest login
        self.parent: list[int] = []
        self.owner: dict[str, int] = {}  # key -> a node holding it
        self.first_at: list[str] = []
        self.names: list[Counter] = []
        self.emails: list[Counter] = []
        self.accounts: list[dict[str, str]] = []  # noreply login -> latest appearance
        self.commit_keys: frozenset[str] = frozenset()  # the keys of the commits' identities

    def login_of(self, email: str | None, login: str | None = None) -> str | None:
        """The current login of a noreply address (None for any other e-mail)."""
        found = NOREPLY.match((email or "").strip())
        if not found:
            return None
        if found["id"] and found["id"] in self.current_login:
            return self.current_login[found["id"]]
        return login or found["login"]

    def _keys(self, name: str | None, email: str | None, login: str | None) -> list[str]:
        """Strongest first: e-mail, numeric user id, login, name, name as a login."""
        keys = []
        email_key = _email_key(email)
        if email_key:
            keys.append(f"email:{email_key}")
        found = NOREPLY.match((email or "").strip())
        if found and found["id"]:
            keys.append(f"id:{found['id']}")
        if login:
            keys.append(f"login:{login.lower()}")
        name_key = _name_key(name)
        if name_key:
            keys.append(f"name:{name_key}")
            if " " not in name_key:
                keys.append(f"login:{name_key}")
        return keys

    def root(self, node: int) -> int:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def _new(self) -> int:
        node = len(self.parent)
        self.parent.append(node)
        self.first_at.append("9999")
        self.names.append(Counter())
        self.emails.append(Counter())
        self.accounts.append({})
        return node

    def _record(self, node: int, name: str | None, email: str | None, login: str | None, at: str):
        self.first_at[node] = min(self.first_at[node], at)
        if name and name.strip():
            self.names[node][name.strip()] += 1
        if _email_key(email):
            self.emails[node][(email or "").strip().lower()] += 1
        if login:
            self.accounts[node][login] = max(self.accounts[node].get(login, ""), at)

    def add(self, name: str | None, email: str | None, *, at: str) -> int:
        """A git identity of a commit: joins every person it shares a key with."""
        login = self.login_of(email)
        node = self._new()
        for key in self._keys(name, email, login):
            if key in self.owner:
                self._join(self.owner[key], node)
            else:
                self.owner[key] = node
        self._record(self.root(node), name, email, login, at)
        return self.root(node)

    def pushed(self, name: str | None, email: str | None, *, by: int, at: str) -> None:
        """The head identity of a pull request merged as `by`'s: theirs when no commit knows
        it (someone updating their branch is known: they commit), so that their unmerged pull
        requests under it are theirs too."""
        keys = self._keys(name, email, self.login_of(email))
        if keys and not any(k in self.commit_keys for k in keys):
            self.attach(name, email, at=at, to=by)

    def attach(self, name: str | None, email: str | None, *, at: str, to: int | None = None) -> int:
        """A pull request's head identity: the person its strongest key points to (never
        joining two), else `to` or a person of its own."""
        login = self.login_of(email)
        keys = self._keys(name, email, login)
        node = next((self.root(self.owner[k]) for k in keys if k in self.owner), to)
        if node is None:
            node = self._new()
        for key in keys:
            self.owner.setdefault(key, node)
        self._record(node, name, email, login, at)
        return node

    def blank(self, *, at: str) -> int:
        """A person known by nothing but a login (a fork's owner)."""
        node = self._new()
        self.first_at[node] = at
        return node

    def _join(self, a: int, b: int) -> None:
        a, b = self.root(a), self.root(b)
        if a == b:
            return
        if a > b:
            a, b = b, a
        self.parent[b] = a
        self.first_at[a] = min(self.first_at[a], self.first_at[b])
        self.names[a].update(self.names[b])
        self.emails[a].update(self.emails[b])
        for login, at in self.accounts[b].items():
            self.accounts[a][login] = max(self.accounts[a].get(login, ""), at)


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

    # -- reading ----------------------------------------------------------------------------
    def build(self) -> World:
        self.data = {name: self._read(name, files) for name, files in sorted(self.repos.items())}
        self.people = People(self._renames())
        people = self.people
        for data in self.data.values():
            for c in data["commits"]:
                c["_author"] = people.add(c["author_name"], c["author_email"], at=c["authored_at"])
                for co in c["co_authors"] or ():
                    people.add(co.get("name"), co.get("email"), at=c["authored_at"])
                c["_committer"] = (
                    people.add(c["committer_name"], c["committer_email"], at=c["committed_at"])
                    if c["committer_email"] != WEB_FLOW
                    else None
                )
        people.commit_keys = frozenset(people.owner)
        for data in self.data.values():  # the joins are complete: each commit's people
            for c in data["commits"]:
                c["_author"] = people.root(c["_author"])
                if c["_committer"] is not None:
                    c["_committer"] = people.root(c["_committer"])
        self.orgs = {name.split("/")[0].lower() for name in self.data} | SOFASTACK_ORGS
        self.verified: dict[str, int] = {}  # e-mail -> person whose account it is verified on
        self.fork_logins: dict[int, str] = {}  # person -> the fork owner login they push from
        self.fork_owners: dict[str, int] = {}  # fork owner -> a person known only by it
        items = {name: self._merged_items(data) for name, data in self.data.items()}
        for name, data in self.data.items():  # after every merged one: their heads are known
            items[name].update(self._unmerged_items(data, items[name]))
        self._accounts(items)
        for full_name in sorted(self.data):
            self._repository(full_name, self.data[full_name], items[full_name])
        return self.world

    def _read(self, full_name: str, files: dict[str, Path]) -> dict[str, Any]:
        owner, name = full_name.split("/")
        commits = list(_lines(files["commits"]))[::-1] if "commits" in files else []  # oldest first
        pulls = {p["pr_number"]: p for p in _lines(files["pulls"])} if "pulls" in files else {}
        meta_path = files.get("commits", files.get("pulls")).with_name(f"{owner}__{name}.meta.json")
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        return {"commits": commits, "pulls": pulls, "meta": meta}

    def _renames(self) -> dict[str, str]:
        """Numeric user id -> the login of its latest noreply appearance (renamed accounts)."""
        latest: dict[str, tuple[str, str]] = {}

        def seen(email: str | None, at: str) -> None:
            found = NOREPLY.match((email or "").strip())
            if found and found["id"] and (at, found["login"]) > latest.get(found["id"], ("", "")):
                latest[found["id"]] = (at, found["login"])

        for data in self.data.values():
            for c in data["commits"]:
                seen(c["author_email"], c["authored_at"])
                seen(c["committer_email"], c["committed_at"])
                for co in c["co_authors"] or ():
                    seen(co.get("email"), c["authored_at"])
            for p in data["pulls"].values():
                seen(p.get("head_author_email"), p["head_authored_at"])
        return {user_id: login for user_id, (_, login) in latest.items()}

    # -- pull requests ----------------------------------------------------------------------
    def _verify(self, email: str | None, person: int) -> None:
        """An e-mail GitHub has verified on the person's account (see the module docstring)."""
        key = _email_key(email)
        if key and "@" in key and not NOREPLY.match(key):
            self.verified.setdefault(key, person)

    def _merged_items(self, data: dict[str, Any]) -> dict[int, dict]:
        """A repository's merged pull requests (module docstring), by number."""
        commits, pulls = data["commits"], data["pulls"]
        by_sha = {c["sha"]: c for c in commits}
        brought: dict[int, list[dict]] = {}  # PR number -> the commits its merge brought in
        for c in commits:
            if c.get("merged_via_pr") is not None:
                brought.setdefault(c["merged_via_pr"], []).append(c)
        items: dict[int, dict] = {}
        for c in commits:  # oldest first: the earliest commit carrying a number wins
            number = c["pr_number"]
            if number is None or c["pr_verified"] is False or number in items:
                continue
            item = {
                "merged_at": c["committed_at"],
                "sha": c["sha"],
                "additions": c["additions"],
                "deletions": c["deletions"],
                "changed_files": c["files_changed"],
                "created_at": c["authored_at"],
            }
            if c["is_merge"]:
                head = by_sha.get(c["parents"][1]) if len(c["parents"]) > 1 else None
                branch = brought.get(number) or ([head] if head else [])
                if head is not None:
                    item["created_at"] = min(item["created_at"], head["authored_at"])
                counts = Counter(b["_author"] for b in branch)
                if counts:
                    best = max(counts.values())
                    tied = [p for p, n in counts.items() if n == best]
                    author = head["_author"] if head and head["_author"] in tied else min(tied)
                else:
                    author = c["_author"]
                item.update(
                    author=author,
                    branch=[b for b in branch if b["_author"] == author],
                    head_owner=c["merge_pr_head_owner"],
                    merged_by=c["_author"],
                    title=c["headline"],
                )
                if c["committer_email"] == WEB_FLOW:
                    self._verify(c["author_email"], c["_author"])
            else:
                item.update(
                    author=c["_author"],
                    merged_by=None,
                    title=SQUASH.sub("", c["headline"]) or c["headline"],
                )
                self._verify(c["author_email"], c["_author"])
            known = pulls.get(number)
            if known and known.get("head_authored_at"):
                item["created_at"] = min(item["created_at"], known["head_authored_at"])
            if known:
                self.people.pushed(
                    known.get("head_author_name"),
                    known.get("head_author_email"),
                    by=item["author"],
                    at=known["head_authored_at"],
                )
            item["created_at"] = min(item["created_at"], item["merged_at"])
            items[number] = item
        return items

    def _unmerged_items(self, data: dict[str, Any], merged: dict[int, dict]) -> dict[int, dict]:
        """A repository's other pull requests (module docstring), by number."""
        commits, pulls = data["commits"], data["pulls"]
        items: dict[int, dict] = {}
        recent = _when(
            data["meta"].get("head_committed_at")
            or max((c["committed_at"] for c in commits), default="2018-01-01T00:00:00Z")
        ) - timedelta(days=90)
        for number, p in sorted(pulls.items()):
            if number in merged:
                continue
            author = self.people.attach(
                p.get("head_author_name"), p.get("head_author_email"), at=p["head_authored_at"]
            )
            self._verify(p.get("head_author_email"), author)
            closed = None if _when(p["head_committed_at"]) >= recent else p["head_committed_at"]
            items[number] = {
                "author": author,
                "merged_by": None,
                "title": p.get("head_headline") or f"Pull request {number}",
                "created_at": min(p["head_authored_at"], p["head_committed_at"]),
                "closed_at": closed,
            }
        return items

    def _credit_forks(self, items: dict[str, dict[int, dict]]) -> None:
        """A merge from a person's fork is theirs; from an organisation's branch, the person's
        who wrote its commits. Sets each such item's author and the person's fork login."""
        noreply = {}
        for person, accounts in enumerate(self.people.accounts):
            for login in accounts:
                noreply.setdefault(login.lower(), self.people.root(person))
        credited: dict[str, set[int]] = {}
        for repo_items in items.values():
            for item in repo_items.values():
                if item.get("head_owner"):
                    credited.setdefault(item["head_owner"].lower(), set()).add(item["author"])
        for repo_items in items.values():
            for item in repo_items.values():
                owner = item.get("head_owner")
                if not owner or owner.lower() in self.orgs:
                    continue
                lowered = owner.lower()
                if lowered in noreply:  # an account of its own: the fork's owner opened it
                    person = noreply[lowered]
                elif len(credited[lowered]) > 1:  # several people's branches: an organisation
                    continue
                elif (
                    not self.people.accounts[item["author"]]
                    and self.fork_logins.get(item["author"], owner) == owner
                ):
                    self.fork_logins[item["author"]] = owner
                    continue
                else:  # the commits' author has another account: the fork is someone else's
                    person = self.fork_owners.get(lowered)
                    if person is None:
                        person = self.fork_owners[lowered] = self.people.blank(
                            at=item["created_at"]
                        )
                        self.fork_logins[person] = owner
                if person != item["author"]:
                    item["author"], item["branch"] = person, []

    def _accounts(self, items: dict[str, dict[int, dict]]) -> None:
        """Every account of the world, created (oldest first) before any repository."""
        self._credit_forks(items)
        for repo_items in items.values():
            for item in repo_items.values():
                for c in item.get("branch") or ():
                    self._verify(c["author_email"], item["author"])
        people = self.people
        needed = {item["author"] for r in items.values() for item in r.values()}
        needed |= {item["merged_by"] for r in items.values() for item in r.values()}
        needed.discard(None)
        needed |= {
            p for p in range(len(people.parent)) if people.root(p) == p and people.accounts[p]
        }
        needed_in_order = sorted(needed, key=lambda p: (people.first_at[p], p))
        taken = set(self.orgs)
        self.login: dict[int, str] = {}  # person -> the account acting for them
        types: dict[str, str] = {}
        for person in needed_in_order:
            accounts = people.accounts[person]
            if accounts:  # noreply accounts; the latest used is the one that acts for them
                for login in sorted(accounts, key=lambda x: (accounts[x], x)):
                    if login.lower() not in taken:
                        taken.add(login.lower())
                        types[login] = "Bot" if login.endswith("[bot]") else "User"
                self.login[person] = max(accounts, key=lambda x: (accounts[x], x))
        unnamed = [p for p in needed_in_order if p not in self.login]
        for person, login in self._name_accounts(unnamed, taken).items():
            types[login] = "User"
            self.login[person] = login
        created: dict[str, str] = {}
        for person, accounts in enumerate(people.accounts):
            for login in accounts:
                created[login] = min(created.get(login, "9999"), people.first_at[person])
        for person, login in self.login.items():
            created[login] = min(created.get(login, "9999"), people.first_at[person])
        for r in items.values():
            for item in r.values():
                login = self.login[item["author"]]
                created[login] = min(created[login], item["created_at"])
        acting = {login: person for person, login in self.login.items()}
        for login in sorted(types, key=lambda x: (created[x], x.lower())):
            names = people.names[acting[login]] if login in acting else {}
            shown = [n for n in names if _display(n)]
            self.world.add_user(
                login,
                name=max(shown, key=lambda n: (names[n], n)) if shown else None,
                created_at=(_when(created[login]) - timedelta(days=1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                type=types[login],
            )
        self.account_of_login = {login.lower(): login for login in types}

    def _login_candidates(self, person: int) -> list[list[str]]:
        """Logins a person may go by, strongest kind first: the fork they push from, their
        names that are valid logins (including those they pushed their pull requests under),
        their names made into one, their e-mail local parts (most used first within a kind);
        generic names and placeholders never."""
        names, emails = self.people.names[person], self.people.emails[person]
        by_use = [n for n in sorted(names, key=lambda n: (-names[n], n)) if _display(n)]
        locals_ = [e.split("@")[0] for e in sorted(emails, key=lambda e: (-emails[e], e))]
        kinds = [
            [self.fork_logins[person]] if person in self.fork_logins else [],
            by_use,
            [self._slug(n) for n in by_use],
            [self._slug(x) for x in locals_ if _name_key(x)],
            # Every name of theirs is someone else's login: say whose address it is.
            [
                self._slug(f"{e.split('@')[0]}-at-{e.split('@')[1].split('.')[0]}")
                for e in sorted(emails)
                if "@" in e
            ],
        ]
        return [[c for c in kind if c and LOGIN.match(c)] for kind in kinds]

    def _name_accounts(self, people: list[int], taken: set[str]) -> dict[int, str]:
        """Logins for people GitHub needs an account for and the data gives none: kind by kind
        over everyone (a person's own name wins over another's e-mail local part), oldest
        first within a kind; never a numbered variant of a taken login."""
        candidates = {person: self._login_candidates(person) for person in people}
        chosen: dict[int, str] = {}
        for kind in range(len(next(iter(candidates.values()), []))):
            for person in people:
                if person in chosen:
                    continue
                login = next((c for c in candidates[person][kind] if c.lower() not in taken), None)
                if login is not None:
                    chosen[person] = login
                    taken.add(login.lower())
        for person in people:
            if person not in chosen:
                seed = json.dumps(sorted(self.people.emails[person]) or [person])
                chosen[person] = "user-" + hashlib.sha1(seed.encode()).hexdigest()[:8]
                taken.add(chosen[person])
        return chosen

    def _slug(self, text: str | None) -> str:
        ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:39].strip("-")

    # -- the world --------------------------------------------------------------------------
    def _linked(self, email: str | None) -> str | None:
        """The login GitHub links a commit e-mail to: a noreply address's account, or the
        account the e-mail is verified on; else None."""
        login = self.people.login_of(email)
        if login:
            return self.account_of_login.get(login.lower())
        person = self.verified.get((email or "").strip().lower())
        return self.login.get(person) if person is not None else None

    def _repository(self, full_name: str, data: dict[str, Any], items: dict[int, dict]) -> None:
        owner, name = full_name.split("/")
        commits = data["commits"]
        branch = data["meta"].get("default_branch", "refs/heads/master").removeprefix("refs/heads/")
        first = min((c["authored_at"] for c in commits), default="2018-01-01T00:00:00Z")
        if self.world.user(owner) is None:
            self.world.add_org(owner, created_at=first)
        self.world.add_repo(owner, name, created_at=first, default_branch=branch)
        write_from = self._write_access(commits)
        contributed: set[str] = set()
        for number in sorted(items):
            item = items[number]
            author = self.login[item["author"]]
            since = write_from.get(item["author"])
            if since is not None and since <= item["created_at"]:
                association = "COLLABORATOR"
            elif author in contributed:
                association = "CONTRIBUTOR"
            else:
                association = "FIRST_TIME_CONTRIBUTOR"
            merged_by = self.login[item["merged_by"]] if item["merged_by"] is not None else None
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
            self.world.add_commit(
                full_name,
                sha=c["sha"],
                author_login=self._linked(c["author_email"]),
                author_name=c["author_name"],
                author_email=c["author_email"],
                committer_login=self._linked(c["committer_email"]),
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
                co_authors=[
                    {
                        "name": co.get("name") or "",
                        "email": co.get("email") or "",
                        "login": self._linked(co.get("email")),
                    }
                    for co in c["co_authors"] or ()
                ],
            )

    def _write_access(self, commits: list[dict]) -> dict[int, str]:
        """Person -> first date with write-access evidence (web-UI merge, direct first-parent commit)."""
        since: dict[int, str] = {}
        for c in commits:
            if (
                c["is_merge"]
                and c["committer_email"] == WEB_FLOW
                and c["pr_verified"] is not False
                and c["pr_number"]
            ):
                person = c["_author"]
            elif c["first_parent"] and c["_committer"] is not None:
                person = c["_committer"]
            else:
                continue
            since.setdefault(person, c["committed_at"])
        return since
