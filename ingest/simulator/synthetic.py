"""The synthetic world: a SOFAStack-like community, deterministic by seed, from 8 to 300 repositories.

Rows are written to SQLite in bulk, repository by repository, so even the large world
(300 repositories, 1,000,000 issues and pull requests) never sits in the Python heap.

The shape is what the dashboard's questions need to find:
- people arrive over the years; activity per person is heavy-tailed (most one-off, a few stay);
- a core team from the home company (Ant Group, written several ways) does most merging;
- contributors who reach SOFAStack's Committer rule get write access on a date: from then on
  they approve reviews and their own items show COLLABORATOR (or MEMBER once in the org);
  OWNERS (sofastack) or MAINTAINERS (mosn) gain their login in a commit on that date; in
  sofastack a few later become PMC and merge, in mosn committers never merge;
- contributors without write access who come back also review others' pull requests and
  answer others' issues (as candidates for promotion do in real communities);
- bots (Bot accounts and one configurable-list user), e-mail-only commit authors,
  typo-PR floods from a few accounts, a star burst from freshly made accounts, a project that
  depends on one person, easy/medium/hard labels and "Fixes #N" bodies;
- a few surprises that are legal on GitHub: a deleted author (ghost), emoji and
  right-to-left text, a 64 KB body, a locked issue.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.simulator.world import World, node_id

START = calendar.timegm((2018, 1, 1, 0, 0, 0))
END = calendar.timegm((2026, 11, 20, 0, 0, 0))
DAY = 86400

DEMO_REPOS = [  # (org, name, created, relative activity)
    ("sofastack", "sofa-rpc", "2018-04-10", 1.6),
    ("sofastack", "sofa-jraft", "2019-03-01", 1.3),
    ("sofastack", "sofa-registry", "2019-05-20", 1.0),
    ("sofastack", "sofa-boot", "2018-04-10", 1.1),
    ("sofastack", "sofa-ark", "2018-05-30", 0.5),  # depends on one person
    ("sofastack", "sofa-bolt", "2018-04-10", 0.6),
    ("mosn", "mosn", "2018-06-01", 1.5),
    ("mosn", "layotto", "2021-06-01", 0.9),
]
ONE_PERSON_REPO = "sofastack/sofa-ark"
STAR_BURST_REPO = "mosn/layotto"

SCALES = {
    # issues + pull requests over all repositories; extra repositories beyond the demo eight
    "small": {"items": 2_000, "repos": 8, "comments": 1.2, "stars": 1_500},
    "medium": {"items": 20_000, "repos": 24, "comments": 1.0, "stars": 8_000},
    "large": {"items": 1_000_000, "repos": 300, "comments": 0.35, "stars": 60_000},
}

# Inline diff comments each review leaves, by review state (an approval leaves none).
REVIEW_COMMENTS = {"CHANGES_REQUESTED": 2, "COMMENTED": 1}

HOME_COMPANIES = ["Ant Group", "蚂蚁集团", "Alipay", "@antgroup", "Ant Financial", "蚂蚁金服"]
HOME_DOMAINS = ["antgroup.com", "antfin.com", "alipay.com"]
OTHER_COMPANIES = [
    "Alibaba",
    "ByteDance",
    "Tencent",
    "Huawei",
    "Meituan",
    "JD.com",
    "Didi",
    "Baidu",
    "NetEase",
    "Kuaishou",
    "PingCAP",
    "Red Hat",
    "Microsoft",
    "Independent",
    "@apache",
    "Zhejiang University",
    "Tsinghua University",
    None,
    None,
    None,
    None,
    None,
]
PERSONAL_DOMAINS = ["gmail.com", "163.com", "qq.com", "outlook.com", "126.com", "foxmail.com"]
SURNAMES = [
    "zhang",
    "wang",
    "li",
    "liu",
    "chen",
    "yang",
    "huang",
    "zhao",
    "wu",
    "zhou",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
    "he",
    "lin",
    "luo",
    "gao",
    "liang",
    "zheng",
    "xie",
    "song",
    "tang",
    "han",
    "feng",
    "deng",
    "cao",
    "peng",
    "smith",
    "garcia",
    "kim",
    "nguyen",
    "mueller",
    "rossi",
    "silva",
]
GIVEN = [
    "wei",
    "fang",
    "min",
    "jing",
    "lei",
    "jun",
    "yan",
    "tao",
    "ming",
    "chao",
    "hao",
    "yu",
    "xin",
    "jie",
    "bo",
    "peng",
    "hui",
    "qiang",
    "ling",
    "kai",
    "alex",
    "sam",
    "maria",
    "john",
    "anna",
    "lucas",
    "emma",
    "noah",
    "yuki",
    "omar",
]
LOCATIONS = [
    "Hangzhou",
    "Shanghai",
    "Beijing",
    "Shenzhen",
    "Chengdu",
    "Nanjing",
    "Wuhan",
    "Singapore",
    "Seattle",
    "Berlin",
    None,
    None,
]
TOPICS = [
    "registry",
    "serialization",
    "timeout",
    "connection pool",
    "router",
    "load balancer",
    "tracing",
    "metrics",
    "config",
    "leader election",
    "snapshot",
    "raft log",
    "TLS",
    "HTTP/2",
    "gRPC",
    "Dubbo",
    "Spring Boot",
    "class loader",
    "plugin",
    "health check",
    "XDS",
    "WASM",
    "sidecar",
    "docs",
]
VERBS = ["Fix", "Support", "Add", "Improve", "Refactor", "Optimize", "Remove", "Update"]
ISSUE_KINDS = [
    "[BUG] {t} fails under load",
    "Question about {t}",
    "How to configure {t}?",
    "[Feature] support {t}",
    "{t} leaks memory",
    "NPE in {t}",
    "Proposal: rework {t}",
]
SURPRISES = ["修复 {t} 的问题 🎉", "🚀 {t} ✨ 支持", "تحسين {t} (RTL نص)", "{t}: שגיאה בעת הטעינה"]


@dataclass
class Person:
    """One account (or e-mail-only identity) and how it behaves in one repository."""

    uid: int | None
    login: str | None
    name: str
    email: str
    links_email: bool  # False: commits carry an e-mail GitHub cannot tie to the account
    home: bool
    arrival: int = 0
    leave: int = 0
    items: int = 0
    role: str = "external"  # core | external | bot | typo
    member_from: int | None = None  # org membership (MEMBER)
    write_from: int | None = None  # write access (COLLABORATOR, approvals)
    merge_from: int | None = None  # merges pull requests (PMC)
    merged: int = 0
    hard: int = 0
    medium: int = 0
    seen: dict[str, bool] = field(default_factory=dict)


def _ts(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def _epoch(day: str) -> int:
    return calendar.timegm(time.strptime(day, "%Y-%m-%d"))


def _sha(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


class SyntheticWorld:
    """Builds `World.synthetic(seed=…, scale=…)`; `build()` returns the filled World."""

    def __init__(self, *, seed: int = 1, scale: str = "small", path: str | None = None) -> None:
        if scale not in SCALES:
            raise ValueError(f"scale is one of {', '.join(SCALES)}")
        self.seed = seed
        self.scale = scale
        self.params = SCALES[scale]
        temporary = None
        if path is None and scale != "small":
            # Big worlds live in a temporary file: SQLite pages, not the heap, hold them.
            temporary = tempfile.mkdtemp(prefix="pulse-sim-")
            path = str(Path(temporary) / "world.sqlite3")
        self.world = World(path or ":memory:", temporary_dir=temporary)
        self.rng = random.Random(f"pulse-synthetic:{seed}")
        self.ids = {
            "user": 1_000,
            "repo": 100_000,
            "issue": 1_000_000_000,
            "pull": 2_000_000_000,
            "review": 3_000_000_000,
            "comment": 4_000_000_000,
            # GitHub numbers review comments apart from conversation comments; a counter of
            # their own also keeps the conversation comments' ids what they were before.
            "review_comment": 4_500_000_000,
            "event": 5_000_000_000,
        }
        self.logins: set[str] = set()
        self.base_uses: dict[str, int] = {}
        self.users: list[tuple] = []
        self.home_people: list[Person] = []
        self.pool: list[Person] = []  # people who contribute to several repositories
        self.stargazers: list[int] = []
        # What the world plants for the KPI-gaming flags to find: (repository, flooder's login).
        self.planted_floods: list[tuple[str, str]] = []
        self.bots: dict[str, Person] = {}

    # -- accounts ---------------------------------------------------------------------------
    def _next(self, kind: str) -> int:
        value = self.ids[kind]
        self.ids[kind] += 1
        return value

    def _login(self, base: str) -> str:
        login, n = base, self.base_uses.get(base, 1)
        while login.lower() in self.logins:
            n += 1
            login = f"{base}{n}"
        self.base_uses[base] = n
        self.logins.add(login.lower())
        return login

    def _account(
        self,
        login: str,
        *,
        kind: str = "User",
        name: str | None = None,
        company: str | None = None,
        email: str | None = None,
        location: str | None = None,
        created: int | None = None,
        deleted: str | None = None,
    ) -> int:
        uid = self._next("user")
        self.users.append(
            (
                uid,
                login,
                node_id(kind, uid),
                kind,
                name,
                company,
                email,
                location,
                _ts(created if created is not None else START - 400 * DAY),
                deleted,
            )
        )
        if len(self.users) >= 5_000:
            self._flush_users()
        return uid

    def _flush_users(self) -> None:
        self.world.db.executemany("INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?,?)", self.users)
        self.users.clear()

    def _person(
        self,
        rng: random.Random,
        *,
        home: bool,
        arrival: int,
        created: int | None = None,
        role: str = "external",
    ) -> Person:
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        style = rng.random()
        base = (
            f"{given}{surname}"
            if style < 0.4
            else f"{surname}-{given}"
            if style < 0.6
            else f"{given}{rng.randint(1, 999)}"
            if style < 0.85
            else f"{surname}{given[0]}"
        )
        login = self._login(base)
        name = f"{given.title()} {surname.title()}" if rng.random() < 0.8 else None
        if home:
            company = rng.choice(HOME_COMPANIES)
            work_email = f"{given}.{surname}@{rng.choice(HOME_DOMAINS)}"
            # Employees drift to personal addresses over the years (see DESIGN.md).
            email = work_email if rng.random() < 0.6 else f"{login}@{rng.choice(PERSONAL_DOMAINS)}"
        else:
            company = rng.choice(OTHER_COMPANIES)
            email = f"{login.replace('-', '.')}@{rng.choice(PERSONAL_DOMAINS)}"
        created = created if created is not None else arrival - rng.randint(30, 3000) * DAY
        public_email = email if rng.random() < 0.4 else None
        uid = self._account(
            login,
            name=name,
            company=company,
            email=public_email,
            location=rng.choice(LOCATIONS),
            created=created,
        )
        return Person(
            uid,
            login,
            name or login,
            email,
            links_email=rng.random() > 0.15,
            home=home,
            arrival=arrival,
            role=role,
        )

    # -- the world --------------------------------------------------------------------------
    def build(self) -> World:
        world = self.world
        with world.lock:
            world.db.execute("BEGIN")
            self._orgs_and_people()
            for spec in self._repo_specs():
                self._repository(*spec)
            self._flush_users()
            for kind, value in self.ids.items():
                world.db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (kind, value))
            world.db.execute("COMMIT")
        return world

    def _orgs_and_people(self) -> None:
        rng = self.rng
        orgs = ["sofastack", "mosn"] + [
            f"community-{n:02d}" for n in range(max(0, self.params["repos"] - 8) // 30)
        ]
        self.org_ids = {}
        for org in orgs:
            self.logins.add(org)
            self.org_ids[org] = self._account(
                org,
                kind="Organization",
                name=org.upper() if len(org) < 6 else org,
                created=START - 200 * DAY,
                location="Hangzhou",
            )
        for login, kind in (
            ("dependabot[bot]", "Bot"),
            ("codecov[bot]", "Bot"),
            ("github-actions[bot]", "Bot"),
            ("sofastack-robot", "User"),
        ):
            self.logins.add(login)
            uid = self._account(login, kind=kind, created=START - 900 * DAY)
            self.bots[login] = Person(
                uid, login, login, f"{login}@users.noreply.github.com", True, False, role="bot"
            )
        # Founders and employees: accounts from before the open-sourcing.
        for _ in range(12 if self.scale == "small" else 40):
            self.home_people.append(self._person(rng, home=True, arrival=START, role="core"))
        # People who show up in more than one repository over the years.
        shared = {"small": 60, "medium": 400, "large": 3_000}[self.scale]
        for _ in range(shared):
            arrival = self._arrival(rng)
            self.pool.append(self._person(rng, home=rng.random() < 0.15, arrival=arrival))
        # Stargazer-only accounts, and a batch made days before the burst.
        for n in range(max(200, self.params["stars"] // 6)):
            created = START + int(rng.random() * (END - START - 30 * DAY))
            self.logins.add(f"stargazer-{n}")
            self.stargazers.append(self._account(f"stargazer-{n}", created=created))
        self.burst_at = _epoch("2023-06-12")
        self.burst_accounts = []
        for n in range(150):
            self.logins.add(f"fresh-{n:03d}")
            self.burst_accounts.append(
                self._account(
                    f"fresh-{n:03d}", created=self.burst_at - rng.randint(0, 3) * DAY - 3600
                )
            )
        # A deleted account whose issues stay behind (REST shows "ghost").
        self.logins.add("gone-user")
        self.deleted = Person(
            self._account("gone-user", created=START, deleted="ghost"),
            "gone-user",
            "Gone",
            "gone@example.org",
            True,
            False,
            arrival=START,
        )

    def _arrival(self, rng: random.Random) -> int:
        # Newcomers arrive over the years, more of them as the community grows.
        return START + int((END - START - 20 * DAY) * rng.random() ** 0.8)

    def _repo_specs(self) -> list[tuple[str, str, int, float]]:
        specs = [(org, name, _epoch(created), weight) for org, name, created, weight in DEMO_REPOS]
        rng = random.Random(f"repos:{self.seed}")
        extra_orgs = [o for o in self.org_ids if o.startswith("community-")] or [
            "sofastack",
            "mosn",
        ]
        words = [
            "gateway",
            "mesh",
            "config",
            "lookout",
            "tracer",
            "dashboard",
            "node",
            "sdk",
            "cli",
            "operator",
            "benchmark",
            "samples",
            "docs",
            "hessian",
            "common",
            "ark-plugins",
            "rpc-boot",
            "jarslink",
        ]
        for n in range(self.params["repos"] - len(specs)):
            org = extra_orgs[n % len(extra_orgs)]
            name = f"{rng.choice(words)}-{n:03d}"
            created = START + int(rng.random() * (END - START) * 0.8)
            specs.append((org, name, created, rng.lognormvariate(0, 0.6)))
        return specs

    # -- one repository ---------------------------------------------------------------------
    def _repository(self, org: str, name: str, created: int, weight: float) -> None:
        rng = random.Random(f"{self.seed}:{org}/{name}")
        db = self.world.db
        full = f"{org}/{name}"
        rid = self._next("repo")
        target = self._targets()[full]
        people = self._cast(rng, full, created, target)
        items = self._items(rng, full, created, people)
        items.sort(key=lambda item: item["created"])
        rows = _Rows()
        self._play(rng, full, rid, org, items, people, rows)
        self._stars(rng, full, rid, created, target, rows)
        last = max([_ts(created)] + [row[11] for row in rows.issues])
        pushed = max([_ts(created)] + [commit[10] for commit in rows.commits])
        db.execute(
            "INSERT INTO repos VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                rid,
                self.org_ids[org],
                name,
                full,
                node_id("Repository", rid),
                f"{name}: a SOFAStack-like project (synthetic)",
                _ts(created),
                last,
                pushed,
                "master" if org == "sofastack" else "main",
                0,
                0,
                len(items) + 1,
            ),
        )
        rows.write(db, rid)

    def _targets(self) -> dict[str, int]:
        """Issues + pull requests per repository, summing exactly to the scale's total."""
        if not hasattr(self, "_target_map"):
            specs = self._repo_specs()
            total = sum(weight for *_, weight in specs)
            self._target_map, done, running = {}, 0, 0.0
            for org, name, _, weight in specs:
                running += self.params["items"] * weight / total
                self._target_map[f"{org}/{name}"] = round(running) - done
                done = round(running)
        return self._target_map

    def _cast(self, rng: random.Random, full: str, created: int, target: int) -> list[Person]:
        """Who works on this repository, when, and how much (copies: roles are per project)."""

        def copy(p: Person, **changes) -> Person:
            return Person(
                p.uid,
                p.login,
                p.name,
                p.email,
                p.links_email,
                p.home,
                **{"arrival": max(created, p.arrival), "role": p.role, **changes},
            )

        core_count = 1 if full == ONE_PERSON_REPO else rng.randint(3, 6)
        core = [
            copy(p, role="core", member_from=created, write_from=created, merge_from=created)
            for p in rng.sample(self.home_people, core_count)
        ]
        share = 0.9 if full == ONE_PERSON_REPO else 0.35
        for p in core:
            p.items = max(3, int(target * share / core_count * rng.uniform(0.5, 1.5)))
            p.leave = (
                END
                if rng.random() < 0.7
                else created + int((END - created) * rng.uniform(0.4, 0.9))
            )
        people = list(core)
        remaining = target - sum(p.items for p in core)
        if full != ONE_PERSON_REPO:
            bot = self.bots["dependabot[bot]"]
            people.append(
                copy(
                    bot,
                    arrival=max(created, _epoch("2020-06-01")),
                    leave=END,
                    items=max(2, target // 40),
                )
            )
            if full in ("sofastack/sofa-rpc", "mosn/mosn") or rng.random() < 0.1:
                for _ in range(2):  # a typo flood: many tiny docs-only PRs in a few weeks
                    flood_at = max(created, _epoch("2023-10-01")) + rng.randint(0, 20) * DAY
                    flooder = self._person(
                        rng, home=False, arrival=flood_at, created=flood_at - 5 * DAY, role="typo"
                    )
                    flooder.leave = flood_at + 25 * DAY
                    if flooder.login:
                        self.planted_floods.append((full, flooder.login))
                    flooder.items = max(5, target // 25)
                    people.append(flooder)
            remaining = target - sum(p.items for p in people)
        while remaining > 0:
            if rng.random() < 0.25 and self.pool:
                base = rng.choice(self.pool)
                person = copy(base, arrival=max(created, base.arrival + rng.randint(0, 400) * DAY))
            else:
                person = self._person(
                    rng,
                    home=rng.random() < 0.1,
                    arrival=created + int((END - created - 10 * DAY) * rng.random() ** 0.8),
                )
            if person.arrival >= END - DAY:
                continue
            # Heavy tail: most people come once, a few stay for years and do a lot.
            count = min(remaining, max(1, int(rng.paretovariate(1.4))))
            if count > 1 and rng.random() < 0.3:
                count = min(remaining, count * 3)
            stay = 0 if count == 1 else int(DAY * (30 + count * rng.uniform(10, 40)))
            if person.arrival + stay > END:
                # Someone who arrived late has had less time: fewer items, not a denser burst.
                count = max(1, int(count * (END - person.arrival) / stay))
                stay = END - person.arrival
            person.items = count
            person.leave = person.arrival + stay
            people.append(person)
            remaining -= count
        return people

    def _items(
        self, rng: random.Random, full: str, created: int, people: list[Person]
    ) -> list[dict]:
        items = []
        for p in people:
            for _ in range(p.items):
                span = max(DAY, p.leave - p.arrival)
                at = p.arrival + int(rng.random() * span)
                if p.role == "bot":
                    kind = "pull"
                elif p.role == "typo":
                    kind = "pull"
                elif p.role == "core":
                    kind = "pull" if rng.random() < 0.75 else "issue"
                else:
                    kind = "pull" if rng.random() < 0.5 else "issue"
                items.append({"author": p, "created": min(at, END - 3600), "kind": kind})
        if full == "sofastack/sofa-rpc":  # surprising but legal content, once
            for n, text in enumerate(SURPRISES):
                items.append(
                    {
                        "author": self.deleted if n == 0 else rng.choice(people),
                        "created": _epoch("2022-03-01") + n * DAY,
                        "kind": "issue",
                        "title": text.format(t="router"),
                    }
                )
            items.append(
                {
                    "author": rng.choice(people),
                    "created": _epoch("2021-08-08"),
                    "kind": "issue",
                    "title": "Huge stack trace",
                    "body": "at com.alipay.sofa.rpc.Foo\n" * 2300,
                }
            )
            items.append(
                {
                    "author": rng.choice(people),
                    "created": _epoch("2020-02-02"),
                    "kind": "issue",
                    "title": "Heated discussion",
                    "locked": True,
                }
            )
        return items

    def _play(
        self,
        rng: random.Random,
        full: str,
        rid: int,
        org: str,
        items: list[dict],
        people: list[Person],
        rows: _Rows,
    ) -> None:
        """Walk the repository's history in order: numbers, outcomes, reviews, promotions, commits."""
        governance = "OWNERS" if org == "sofastack" else "MAINTAINERS"
        core = [p for p in people if p.role == "core"]
        open_issues: list[int] = []
        issue_difficulty: dict[int, str] = {}
        maintainers = list(core)
        # Contributors without write access who keep coming back: like real ones, they also
        # review others' pull requests and answer others' issues.
        regulars: list[Person] = []
        governance_people = [p.login for p in core]
        self._governance(
            rows,
            rid,
            full,
            governance,
            governance_people,
            items[0]["created"] if items else START,
            core[0],
        )
        comments_rate = self.params["comments"]
        for number, item in enumerate(items, start=1):
            p: Person = item["author"]
            at = item["created"]
            typo = p.role == "typo"
            is_pull = item["kind"] == "pull"
            topic = rng.choice(TOPICS)
            labels = []
            difficulty = None
            if not typo and p.role != "bot" and rng.random() < 0.35:
                difficulty = rng.choices(["easy", "medium", "hard"], [5, 3, 1])[0]
                labels.append(difficulty)
            if rng.random() < 0.25:
                labels.append(rng.choice(["bug", "enhancement", "question", "documentation"]))
            association = self._association(p, at, is_pull, org)
            closes: list[int] = []
            if typo:
                title = rng.choice(
                    ["Fix typo in README.md", "fix typo", "docs: fix spelling", "Update README.md"]
                )
                body, size = "", (1, 1, 1)
            elif p.role == "bot":
                title = (
                    f"Bump {rng.choice(['netty', 'jackson', 'guava', 'protobuf', 'golang.org/x/net'])} "
                    f"from 1.{rng.randint(0, 9)}.{rng.randint(0, 9)} to 1.{rng.randint(10, 20)}.0"
                )
                body, size = "Bumps a dependency.", (1, 1, 1)
            elif is_pull:
                title = f"{rng.choice(VERBS)} {topic}"
                body = ""
                if open_issues and rng.random() < 0.4:
                    target = open_issues.pop(rng.randrange(len(open_issues)))
                    closes = [target]
                    body = f"Fixes #{target}\n\nMotivation: {topic}."
                    difficulty = difficulty or issue_difficulty.get(target)
                scale = {"easy": 15, "medium": 120, "hard": 600, None: 60}[difficulty]
                add = max(1, int(rng.lognormvariate(math.log(scale), 0.8)))
                size = (add, int(add * rng.uniform(0, 0.6)), max(1, int(math.sqrt(add) / 2)))
            else:
                title = item.get("title") or rng.choice(ISSUE_KINDS).format(t=topic)
                body = item.get(
                    "body", f"Describe the problem with {topic}.\n\nVersion: 5.{rng.randint(1, 12)}"
                )
            row = _Item(
                number=number,
                is_pull=is_pull,
                author=p,
                title=title,
                body=body,
                created=at,
                labels=labels,
                association=association,
                closes=closes,
                locked=item.get("locked", False),
            )
            if is_pull:
                self._pull_outcome(rng, row, p, maintainers, core, org, size, typo, regulars)
            else:
                if difficulty:
                    issue_difficulty[number] = difficulty
                if rng.random() < 0.7 and at < END - 5 * DAY:
                    row.closed = at + int(rng.lognormvariate(math.log(20 * DAY), 1.2))
                    row.closer = rng.choice(maintainers) if rng.random() < 0.8 else p
                    if row.closed >= END:
                        row.closed = None
                if row.closed is None:
                    open_issues.append(number)
            self._conversation(rng, row, maintainers, comments_rate, org, regulars)
            if row.merged and p.role not in ("bot", "core"):
                p.merged += 1
                if p.merged == 2 and p.role != "typo" and p not in maintainers:
                    regulars.append(p)
                p.hard += difficulty == "hard"
                p.medium += difficulty == "medium"
                if p.write_from is None and self._ready(p) and rng.random() < 0.7:
                    p.write_from = row.merged + rng.randint(7, 90) * DAY
                    if p.write_from < END:
                        if rng.random() < 0.5:
                            p.member_from = p.write_from + rng.randint(0, 60) * DAY
                        if org == "sofastack" and rng.random() < 0.3:
                            p.merge_from = p.write_from + rng.randint(200, 700) * DAY
                        p.leave = max(
                            p.leave, min(END, p.write_from + rng.randint(180, 1500) * DAY)
                        )
                        maintainers.append(p)
                        governance_people.append(p.login)
                        self._governance(
                            rows,
                            rid,
                            full,
                            governance,
                            governance_people,
                            p.write_from,
                            maintainers[0],
                        )
                    else:
                        p.write_from = None
            rows.add_item(self, rid, row)
            if row.merged:
                for target in row.closes:
                    rows.close_issue(self, rid, target, row.merged, row.closer)

    def _ready(self, p: Person) -> bool:
        # SOFAStack's published Committer rule: 10 merged pull requests, 1 hard or 4 medium.
        return p.merged >= 10 and (p.hard >= 1 or p.medium >= 4)

    def _association(self, p: Person, at: int, is_pull: bool, org: str) -> str:
        if p.role == "bot":
            return "NONE"
        if p.member_from is not None and at >= p.member_from:
            return "MEMBER"
        if p.write_from is not None and at >= p.write_from:
            return "COLLABORATOR"
        if p.merged:
            return "CONTRIBUTOR"
        if is_pull and not p.seen.get("pull"):
            p.seen["pull"] = True
            return "FIRST_TIME_CONTRIBUTOR"
        return "NONE"

    def _pull_outcome(
        self,
        rng: random.Random,
        row: _Item,
        p: Person,
        maintainers: list[Person],
        core: list[Person],
        org: str,
        size: tuple[int, int, int],
        typo: bool,
        regulars: list[Person],
    ) -> None:
        row.size = size
        at = row.created
        now_ok = at < END - 3 * DAY
        # Nobody reviews their own pull request (GitHub refuses it); a sole maintainer merges alone.
        reviewers = [
            m for m in maintainers if m is not p and (m.write_from or 0) <= at <= m.leave
        ] or [m for m in core if m is not p]
        mergers = [
            m for m in maintainers if m.merge_from is not None and m.merge_from <= at and m is not p
        ] or core
        merge_chance = 0.35 if typo else 0.93 if p.role in ("core", "bot") else 0.7
        if now_ok and rng.random() < merge_chance:
            delay = int(rng.lognormvariate(math.log(2 * DAY), 1.1)) + 600
            if at + delay < END:
                row.merged = row.closed = at + delay
                row.closer = rng.choice(mergers)
        elif now_ok and rng.random() < 0.6:
            row.closed = at + int(rng.lognormvariate(math.log(10 * DAY), 1.0))
            row.closer = rng.choice(reviewers or core)
            if row.closed >= END:
                row.closed = None
        if p.role == "bot" or typo:
            count = 0 if rng.random() < 0.6 else 1
        else:
            count = rng.choices([0, 1, 2, 3], [2, 5, 3, 1])[0]
        end = row.merged or row.closed or END
        peers = [r for r in regulars if r is not p and r.write_from is None and r.leave >= at]
        for _ in range(count if reviewers else 0):
            reviewer = rng.choice(peers if peers and rng.random() < 0.3 else reviewers)
            when = min(end - 60, at + int(rng.lognormvariate(math.log(DAY), 1.0)))
            if when <= at:
                continue
            can_approve = reviewer.write_from is not None and reviewer.write_from <= when
            state = rng.choices(
                ["APPROVED", "CHANGES_REQUESTED", "COMMENTED"],
                [6, 2, 2] if can_approve else [0, 1, 3],
            )[0]
            row.reviews.append(
                (reviewer, state, when, self._association(reviewer, when, False, org))
            )
        if row.merged and not any(r[1] == "APPROVED" for r in row.reviews) and row.closer is not p:
            merger = row.closer
            row.reviews.append(
                (
                    merger,
                    "APPROVED",
                    row.merged - 300,
                    self._association(merger, row.merged, False, org),
                )
            )

    def _conversation(
        self,
        rng: random.Random,
        row: _Item,
        maintainers: list[Person],
        rate: float,
        org: str,
        regulars: list[Person],
    ) -> None:
        at = row.created
        end = row.closed or END
        count = min(12, int(rng.expovariate(1 / rate))) if rng.random() < 0.85 else 0
        responders = [
            m for m in maintainers if m is not row.author and m.arrival <= at <= max(m.leave, at)
        ]
        peers = [r for r in regulars if r is not row.author and r.leave >= at]
        when = at
        for n in range(count):
            when += int(rng.lognormvariate(math.log(8 * 3600 if n == 0 else DAY), 1.3))
            if when >= end or when >= END:
                break
            if n % 2 and rng.random() < 0.6:
                who = row.author
            elif peers and rng.random() < 0.25:
                who = rng.choice(peers)
            else:
                who = rng.choice(responders) if responders else row.author
            row.comments.append((who, when, self._association(who, when, False, org)))
        if row.is_pull and rng.random() < 0.15 and row.created > _epoch("2019-06-01"):
            bot = self.bots["codecov[bot]"]
            row.comments.append((bot, at + 900, "NONE"))
        if row.is_pull and rng.random() < 0.05:
            row.comments.append((self.bots["sofastack-robot"], at + 60, "NONE"))

    def _governance(
        self,
        rows: _Rows,
        rid: int,
        full: str,
        path: str,
        logins: list[str],
        at: int,
        author: Person,
    ) -> None:
        if path == "OWNERS":
            content = "approvers:\n" + "".join(f"- {login}\n" for login in logins)
        else:
            content = "# Maintainers\n\n| login | since |\n| --- | --- |\n" + "".join(
                f"| @{login} | {_ts(at)[:10]} |\n" for login in logins
            )
        rows.file(rid, full, path, content, at, author)

    def _stars(
        self, rng: random.Random, full: str, rid: int, created: int, target: int, rows: _Rows
    ) -> None:
        count = min(len(self.stargazers), int(self.params["stars"] * target / self.params["items"]))
        for uid in rng.sample(self.stargazers, count):
            rows.stars.append((rid, uid, _ts(created + int((END - created) * rng.random() ** 0.7))))
        if full == STAR_BURST_REPO:
            for uid in self.burst_accounts:
                rows.stars.append((rid, uid, _ts(self.burst_at + rng.randint(0, 36 * 3600))))


@dataclass
class _Item:
    number: int
    is_pull: bool
    author: Person
    title: str
    body: str
    created: int
    labels: list[str]
    association: str
    closes: list[int]
    locked: bool = False
    closed: int | None = None
    closer: Person | None = None
    merged: int | None = None
    size: tuple[int, int, int] = (0, 0, 0)
    reviews: list[tuple] = field(default_factory=list)
    comments: list[tuple] = field(default_factory=list)


class _Rows:
    """Rows of one repository, written to SQLite in one go."""

    def __init__(self) -> None:
        self.issues: list[tuple] = []
        self.reviews: list[tuple] = []
        self.comments: list[tuple] = []
        self.events: list[tuple] = []
        self.commits: list[tuple] = []
        self.stars: list[tuple] = []
        self.files: list[tuple] = []
        self.file_seq: dict[str, int] = {}
        self.by_number: dict[int, int] = {}

    def add_item(self, builder: SyntheticWorld, rid: int, row: _Item) -> None:
        iid = builder._next("issue")  # noqa: SLF001 - the builder owns the id counters
        pr_id = builder._next("pull") if row.is_pull else None  # noqa: SLF001
        p = row.author
        updated = max(
            [row.created, row.closed or 0]
            + [c[1] for c in row.comments]
            + [r[2] for r in row.reviews]
        )
        head = _sha("head", rid, row.number) if row.is_pull else None
        merge_sha = _sha("merge", rid, row.number) if row.merged else None
        closer_id = row.closer.uid if row.closer and row.closed else None
        self.by_number[row.number] = len(self.issues)
        self.issues.append(
            [
                iid,
                rid,
                row.number,
                int(row.is_pull),
                pr_id,
                p.uid,
                row.title,
                row.body,
                "closed" if row.closed else "open",
                None if row.is_pull or not row.closed else "completed",
                _ts(row.created),
                _ts(updated),
                _ts(row.closed) if row.closed else None,
                closer_id,
                int(row.locked),
                "too heated" if row.locked else None,
                json.dumps(row.labels),
                row.association,
                len([c for c in row.comments]),
                sum(REVIEW_COMMENTS.get(r[1], 0) for r in row.reviews),
                _ts(row.merged) if row.merged else None,
                row.closer.uid if row.merged else None,
                row.size[0] if row.is_pull else None,
                row.size[1] if row.is_pull else None,
                row.size[2] if row.is_pull else None,
                0 if row.is_pull else None,
                1 if row.is_pull else None,
                head,
                merge_sha,
                json.dumps(row.closes) if row.is_pull else None,
            ]
        )
        for who, state, when, association in row.reviews:
            review_id = builder._next("review")  # noqa: SLF001
            self.reviews.append(
                (
                    review_id,
                    rid,
                    row.number,
                    who.uid,
                    state,
                    "LGTM" if state == "APPROVED" else "Please take a look.",
                    _ts(when),
                    association,
                    head,
                )
            )
            # Inline comments on the diff, published with their review (same time, so items'
            # updated_at and first responses stay what the reviews made them). No random
            # draw: the rest of the world stays the same for a seed.
            for k in range(REVIEW_COMMENTS.get(state, 0)):
                self.comments.append(
                    (
                        builder._next("review_comment"),  # noqa: SLF001
                        rid,
                        row.number,
                        "review",
                        who.uid,
                        "Could this be simpler?" if k == 0 else "Please add a test for this.",
                        _ts(when),
                        _ts(when),
                        association,
                        review_id,
                        f"src/main/java/Module{row.number % 7}.java",
                        head,
                    )
                )
        for who, when, association in row.comments:
            self.comments.append(
                (
                    builder._next("comment"),
                    rid,
                    row.number,
                    "issue",
                    who.uid,  # noqa: SLF001
                    "Thanks, looking into it." if who is not p else "Any update?",
                    _ts(when),
                    _ts(when),
                    association,
                    None,
                    None,
                    None,
                )
            )
        for label in row.labels:
            self.events.append(
                (
                    builder._next("event"),
                    rid,
                    row.number,
                    p.uid,
                    "labeled",  # noqa: SLF001
                    _ts(row.created),
                    None,
                    label,
                    None,
                )
            )
        if row.merged:
            self.events.append(
                (
                    builder._next("event"),
                    rid,
                    row.number,
                    closer_id,
                    "merged",  # noqa: SLF001
                    _ts(row.merged),
                    merge_sha,
                    None,
                    None,
                )
            )
            author_id = p.uid if p.links_email else None
            self.commits.append(
                [
                    merge_sha,
                    rid,
                    0,
                    author_id,
                    p.name,
                    p.email,
                    None,
                    "GitHub",
                    "noreply@github.com",
                    _ts(row.created),
                    _ts(row.merged),
                    f"{row.title} (#{row.number})",
                    row.size[0],
                    row.size[1],
                    row.size[2],
                    None,
                    row.number,
                    "[]",
                ]
            )
        if row.closed:
            self.events.append(
                (
                    builder._next("event"),
                    rid,
                    row.number,
                    closer_id,
                    "closed",  # noqa: SLF001
                    _ts(row.closed),
                    merge_sha,
                    None,
                    None,
                )
            )
        if row.locked:
            self.events.append(
                (
                    builder._next("event"),
                    rid,
                    row.number,
                    closer_id or p.uid,
                    "locked",  # noqa: SLF001
                    _ts(row.created + 3600),
                    None,
                    None,
                    "too heated",
                )
            )

    def close_issue(
        self, builder: SyntheticWorld, rid: int, number: int, at: int, closer: Person
    ) -> None:
        """A merged "Fixes #N" pull request closes issue N, as on GitHub."""
        row = self.issues[self.by_number[number]]
        if row[8] == "closed":
            return
        row[8], row[9], row[12], row[13] = "closed", "completed", _ts(at), closer.uid
        row[11] = max(row[11], _ts(at))
        self.events.append(
            (
                builder._next("event"),
                rid,
                number,
                closer.uid,
                "closed",  # noqa: SLF001
                _ts(at),
                None,
                None,
                None,
            )
        )

    def file(self, rid: int, full: str, path: str, content: str, at: int, author: Person) -> None:
        seq = self.file_seq.get(path, 0) + 1
        self.file_seq[path] = seq
        data = content.encode()
        sha = _sha("governance", rid, path, seq)
        self.files.append(
            (
                rid,
                path,
                seq,
                data,
                _ts(at),
                sha,
                hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),
            )
        )
        self.commits.append(
            [
                sha,
                rid,
                0,
                author.uid,
                author.name,
                author.email,
                author.uid,
                author.name,
                author.email,
                _ts(at),
                _ts(at),
                f"Update {path}",
                data.count(b"\n"),
                0,
                1,
                None,
                None,
                json.dumps([path]),
            ]
        )

    def write(self, db, rid: int) -> None:
        # Commits get their order (seq) and parent chain from commit time, as a linear history.
        self.commits.sort(key=lambda c: (c[10], c[0]))
        previous = None
        for seq, commit in enumerate(self.commits, start=1):
            commit[2] = seq
            commit[15] = json.dumps([previous] if previous else [])
            previous = commit[0]
        db.executemany(f"INSERT INTO issues VALUES ({','.join('?' * 30)})", self.issues)
        db.executemany("INSERT INTO reviews VALUES (?,?,?,?,?,?,?,?,?)", self.reviews)
        db.executemany("INSERT INTO comments VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", self.comments)
        db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)", self.events)
        db.executemany(
            "INSERT OR IGNORE INTO commits VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            self.commits,
        )
        db.executemany("INSERT OR IGNORE INTO stars VALUES (?,?,?)", self.stars)
        db.executemany("INSERT INTO files VALUES (?,?,?,?,?,?,?)", self.files)
