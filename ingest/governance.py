"""Who a governance file lists: parsers for OWNERS, MAINTAINERS, COMMITTERS(.md) and people lists.

`governance_people(path=…, text=…)` returns `{"approvers": [...], "reviewers": [...],
"maintainers": [...], "committers": [...], "pmc": [...]}` (only the keys the file fills), the
shape stored in `GovernanceFileVersion.people`. Logins keep the case the file wrote; readers
compare them case-insensitively, as GitHub does.

- `OWNERS` (Kubernetes / Prow style, a YAML subset): `approvers:` and `reviewers:` lists, block
  (`- alice`) or inline (`[alice, bob]`), also inside `filters:`; `emeritus_*` lists are former
  holders and are left out. Parsed by hand because the file is a tiny YAML subset and the project
  carries no YAML dependency.
- `MAINTAINERS`, `COMMITTERS`, `REVIEWERS`, `PMC` (any extension) and other people lists: the
  GitHub logins written as `@login`, as `github.com/login` links, in a table column headed
  GitHub / login / ID, or (outside Markdown files) as a bare login per line. A Markdown heading
  that names a role (Maintainers, Owners, PMC / steering committee, Committers, Reviewers,
  Approvers) switches the category for what follows it (`pmc` for a PMC or steering committee:
  a project's rule can let it prove PMC while plain maintainer lists prove Committer);
  a heading naming former members (Emeritus, Alumni, Former, Retired, Inactive) drops what
  follows until the next role heading.
"""

from __future__ import annotations

import re

# Paths ingest reads in each repository (at the root and in .github/, where projects put them).
GOVERNANCE_PATHS = [
    "OWNERS",
    "MAINTAINERS",
    "MAINTAINERS.md",
    "COMMITTERS",
    "COMMITTERS.md",
    ".github/OWNERS",
    ".github/MAINTAINERS.md",
    ".github/COMMITTERS.md",
]
CATEGORIES = ("approvers", "reviewers", "maintainers", "committers", "pmc")

_LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_MENTION = re.compile(rf"(?<![\w.@/])@({_LOGIN})(?![\w.-]*\.[A-Za-z]{{2,}}\b)(?![\w-])")
_GITHUB_LINK = re.compile(rf"github\.com/({_LOGIN})(?![\w.-]*/)(?![\w-])", re.IGNORECASE)
_BARE = re.compile(rf"^\s*(?:[-*+]\s+)?({_LOGIN})\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
# github.com paths that are not people
_NOT_PEOPLE = {"orgs", "apps", "features", "settings", "sponsors", "topics", "about", "site"}
_FORMER = re.compile(r"emeritus|alumni|former|retired|inactive|past", re.IGNORECASE)
_ROLE_WORDS = [
    ("pmc", re.compile(r"\bpmc\b|steering|management committee", re.IGNORECASE)),
    ("maintainers", re.compile(r"maintainer|owner", re.IGNORECASE)),
    ("committers", re.compile(r"committer", re.IGNORECASE)),
    ("approvers", re.compile(r"approver", re.IGNORECASE)),
    ("reviewers", re.compile(r"reviewer", re.IGNORECASE)),
]
_LOGIN_COLUMN = re.compile(r"github|login|\bid\b|handle|account", re.IGNORECASE)


def default_category(path: str) -> str | None:
    """The category a people list names by its file name (None: OWNERS or unknown)."""
    name = path.rsplit("/", 1)[-1].split(".", 1)[0].upper()
    if name in ("MAINTAINERS", "MAINTAINER"):
        return "maintainers"
    if name == "PMC":
        return "pmc"
    if name in ("COMMITTERS", "COMMITTER"):
        return "committers"
    if name in ("REVIEWERS", "REVIEWER"):
        return "reviewers"
    if name in ("APPROVERS", "APPROVER"):
        return "approvers"
    return None


def governance_people(*, path: str, text: str) -> dict[str, list[str]]:
    """Who the file at `path` lists, by category (see the module docstring)."""
    name = path.rsplit("/", 1)[-1].upper()
    if name == "OWNERS" or name.startswith("OWNERS."):
        return parse_owners(text)
    # A bare word on its own line is a login in a plain-text list, but prose in Markdown.
    return parse_people_list(
        text,
        category=default_category(path) or "maintainers",
        bare_logins=not path.lower().endswith(".md"),
    )


def _add(found: dict[str, list[str]], category: str, login: str) -> None:
    logins = found.setdefault(category, [])
    if login.lower() not in {x.lower() for x in logins}:
        logins.append(login)


def parse_owners(text: str) -> dict[str, list[str]]:
    """approvers / reviewers of a Prow-style OWNERS file (aliases are kept as written)."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        key = re.match(r"^\s*[\"']?([A-Za-z_.*]+)[\"']?\s*:\s*(.*)$", line)
        if key and not line.lstrip().startswith("-"):
            word, rest = key.group(1).lower(), key.group(2).strip()
            current = word if word in ("approvers", "reviewers") else None
            if current and rest.startswith("["):
                for item in rest.strip("[]").split(","):
                    item = item.strip().strip("\"'")
                    if re.fullmatch(_LOGIN, item):
                        _add(found, current, item)
                current = None
            continue
        item = re.match(r"^\s*-\s*[\"']?([^\"'\s]+)[\"']?\s*$", line)
        if current and item and re.fullmatch(_LOGIN, item.group(1)):
            _add(found, current, item.group(1))
    return found


def _table_cells(line: str) -> list[str] | None:
    stripped = line.strip()
    if not (stripped.startswith("|") or stripped.count("|") >= 2):
        return None
    return [cell.strip() for cell in stripped.strip("|").split("|")]


def parse_people_list(
    text: str, *, category: str, bare_logins: bool = True
) -> dict[str, list[str]]:
    """GitHub logins of a MAINTAINERS / COMMITTERS style list (see the module docstring)."""
    found: dict[str, list[str]] = {}
    current: str | None = category
    login_column: int | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(2)
            login_column = None
            role = next((cat for cat, word in _ROLE_WORDS if word.search(title)), None)
            if _FORMER.search(title):
                current = None
            elif role:
                current = role
            continue
        cells = _table_cells(line)
        if cells is not None:
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue  # the |---|---| separator row
            header = [i for i, c in enumerate(cells) if _LOGIN_COLUMN.search(c)]
            if login_column is None and header and not any(_MENTION.search(c) for c in cells):
                login_column = header[0]
                continue
            if current is None:
                continue
            if login_column is not None and login_column < len(cells):
                cell = cells[login_column]
                logins = _logins_in(cell) or (
                    [cell.strip("`* ")] if re.fullmatch(_LOGIN, cell.strip("`* ")) else []
                )
            else:
                logins = _logins_in(line)
            for login in logins:
                _add(found, current, login)
            continue
        login_column = None
        if current is None:
            continue
        logins = _logins_in(line)
        if not logins and bare_logins:
            bare = _BARE.match(line)
            if bare and not line.lstrip().startswith(("#", ">")):
                logins = [bare.group(1)]
        for login in logins:
            _add(found, current, login)
    return found


def _logins_in(text: str) -> list[str]:
    logins = [m.group(1) for m in _GITHUB_LINK.finditer(text)]
    logins = [x for x in logins if x.lower() not in _NOT_PEOPLE]
    logins += [m.group(1) for m in _MENTION.finditer(text)]
    seen: list[str] = []
    for login in logins:
        if login.lower() not in {x.lower() for x in seen}:
            seen.append(login)
    return seen
