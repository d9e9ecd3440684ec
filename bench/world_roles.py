"""The roles in bench/pages.py's world: who maintains each repository, who was made a committer
when, and what that leaves in ingest's rows, as an ingested community has it.

Per repository (deterministic by the world's random generator):
- a handful of maintainers from (near) the start: two of the organisation's core team (its
  members from the start, one of the team being the organisation's OWNER) and two or three
  others of the home company (members within months): they merge pull requests (`merged_by`),
  give approving reviews and answer issues;
- 6 to 10 committers made over the years: contributors in the project for a while before,
  listed in the governance file in a commit on a day and given write access 1 to 14 days
  later (COLLABORATOR from then, MEMBER for half of them a little later); in sofastack a
  quarter of them later merge (PMC); a fifth of them leave (dropped from the file later);
- a few reviewers listed in OWNERS (sofastack) without write access.
The governance file is written as text (OWNERS for sofastack, MAINTAINERS.md for mosn) and read
by ingest's own parser, so `GovernanceFileVersion.people` is what ingest would store. Also: the
community-default promotion rule and per-project rules on two repositories, and a few admin
role entries (one ended).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

from dashboard.models import PromotionRule
from ingest.governance import governance_people
from ingest.identity import affiliation_from
from ingest.models import GovernanceFileVersion, Role, RoleEntry

HOME_COMPANY = "Ant Group"
OTHER_COMPANIES = ["Alibaba Cloud", "ByteDance", "Tencent", "Huawei", "Independent", "Ctrip"]
# An item of a repository is written by one of its staff this often (else by the community).
STAFF_SHARE = 0.15
# Committers are around in the project this long before they are given write access.
RAMP = dt.timedelta(days=540)
DAY = dt.timedelta(days=1)
DIFFICULTY_LABELS = {
    "easy": ["easy", "difficulty/easy", "good first issue", "Level: Easy"],
    "medium": ["medium", "difficulty/medium", "Level: Medium"],
    "hard": ["hard", "difficulty/hard", "Level: Hard"],
}
KIND_LABELS = ["bug", "enhancement", "question", "documentation", "help wanted"]


def profile(rng: random.Random, index: int) -> dict:
    """Company (and the affiliation ingest derives from it) of the index-th person: the most
    active ten are the home company's core team, then a mix."""
    if index < 10:
        company = HOME_COMPANY
    else:
        draw = rng.random()
        company = (
            HOME_COMPANY if draw < 0.15 else rng.choice(OTHER_COMPANIES) if draw < 0.45 else ""
        )
    affiliation, source = affiliation_from(company=company)
    return {"company": company, "affiliation": affiliation, "affiliation_source": source}


def labels(rng: random.Random) -> tuple[list[str], str | None]:
    """Labels of a pull request or issue as ingest stores them (names), and the difficulty."""
    found, level = [], None
    if rng.random() < 0.3:
        level = rng.choices(["easy", "medium", "hard"], [5, 3, 1])[0]
        found.append(rng.choice(DIFFICULTY_LABELS[level]))
    if rng.random() < 0.25:
        found.append(rng.choice(KIND_LABELS))
    return found, level


@dataclass
class Grant:
    """One person's standing on one repository."""

    actor: int
    login: str
    write_from: dt.datetime
    # The governance commit listing them: for committers, 1 to 14 days before their write
    # access. (Listed the day their write-access evidence starts and removed later, they made
    # committer_periods compare a removal date with None before commit ca3e482: HTTP 500 on
    # /committers/; this world keeps that code measurable.)
    listed_at: dt.datetime | None = None
    merge_from: dt.datetime | None = None
    removed_at: dt.datetime | None = None
    maintainer: bool = False

    def around(self, at: dt.datetime) -> bool:
        """Contributing to the project at `at` (committers start before their promotion)."""
        start = self.write_from if self.maintainer else self.write_from - RAMP
        end = self.removed_at + 60 * DAY if self.removed_at else None
        return start <= at and (end is None or at < end)

    def writes(self, at: dt.datetime) -> bool:
        return self.write_from <= at and (self.removed_at is None or at < self.removed_at)

    def merges(self, at: dt.datetime) -> bool:
        return self.merge_from is not None and self.merge_from <= at and self.writes(at)


class Staff:
    """Maintainers, committers and listed reviewers of every repository, over time."""

    def __init__(
        self,
        rng: random.Random,
        *,
        repos: list[tuple[int, str, str]],
        actors: list[int],
        logins: dict[int, str],
        home: set[int],
        start: dt.datetime,
        end: dt.datetime,
    ):
        self.rng, self.start, self.end, self.logins = rng, start, end, logins
        self.org = {rid: org for rid, _, org in repos}
        self.names = {rid: full_name for rid, full_name, _ in repos}
        self.grants: dict[int, list[Grant]] = {}
        self.reviewers: dict[int, list[tuple[int, dt.datetime]]] = {}
        # (org, actor) → (member from, owner)
        self.members: dict[tuple[str, int], tuple[dt.datetime, bool]] = {}
        orgs = sorted({org for _, _, org in repos})
        core = {org: actors[n : 10 : len(orgs)] for n, org in enumerate(orgs)}
        for org in orgs:
            for n, actor in enumerate(core[org]):
                self.members[(org, actor)] = (start, n == 0)
        home_pool = [a for a in actors[10:400] if a in home] or actors[10:400]
        pool = actors[10:2000]
        span = (end - start).days
        for rid, _, org in repos:
            grants = [
                Grant(a, logins[a], start, merge_from=start, maintainer=True)
                for a in rng.sample(core[org], 2)
            ]
            for a in rng.sample(home_pool, rng.randint(2, 3)):
                joined = start + rng.randint(0, 200) * DAY
                grants.append(Grant(a, logins[a], joined, merge_from=joined, maintainer=True))
                self.members.setdefault((org, a), (joined + rng.randint(0, 90) * DAY, False))
            taken = {g.actor for g in grants}
            for a in rng.sample([a for a in pool if a not in taken], rng.randint(6, 10)):
                made = start + rng.randint(180, span - 30) * DAY
                grant = Grant(a, logins[a], made + rng.randint(1, 14) * DAY, listed_at=made)
                if org == "sofastack" and rng.random() < 0.25:
                    merge_from = made + rng.randint(200, 700) * DAY
                    grant.merge_from = merge_from if merge_from < end else None
                if rng.random() < 0.2:
                    left = made + rng.randint(400, 1500) * DAY
                    grant.removed_at = left if left < end - 30 * DAY else None
                if rng.random() < 0.5:
                    member_from = grant.write_from + rng.randint(0, 60) * DAY
                    self.members.setdefault((org, a), (member_from, False))
                grants.append(grant)
                taken.add(a)
            self.grants[rid] = grants
            self.reviewers[rid] = (
                [
                    (a, start + rng.randint(90, span - 30) * DAY)
                    for a in rng.sample([a for a in pool if a not in taken], rng.randint(2, 4))
                ]
                if org == "sofastack"
                else []
            )

    # --- who writes, merges, reviews, answers --------------------------------------------

    def author(self, repo: int, at: dt.datetime) -> int | None:
        """One of the repository's staff around at `at` (STAFF_SHARE of the items), else None
        (the community's turn)."""
        if self.rng.random() >= STAFF_SHARE:
            return None
        around = [g.actor for g in self.grants[repo] if g.around(at)]
        return self.rng.choice(around) if around else None

    def association(self, repo: int, actor: int | None, at: dt.datetime) -> str:
        """GitHub's author association of `actor` on `repo` at `at`."""
        if actor is None:
            return "NONE"
        member = self.members.get((self.org[repo], actor))
        if member is not None and member[0] <= at:
            return "OWNER" if member[1] else "MEMBER"
        for grant in self.grants[repo]:
            if grant.actor == actor and grant.writes(at):
                return "COLLABORATOR"
        draw = self.rng.random()
        return "CONTRIBUTOR" if draw < 0.6 else "NONE" if draw < 0.9 else "FIRST_TIME_CONTRIBUTOR"

    def merger(self, repo: int, at: dt.datetime, author: int) -> int:
        """Who merges a pull request at `at`: someone else who merges then, if anyone."""
        mergers = [g.actor for g in self.grants[repo] if g.merges(at)]
        others = [a for a in mergers if a != author] or mergers
        return self.rng.choice(others) if others else self.grants[repo][0].actor

    def reviewer(self, repo: int, at: dt.datetime, author: int) -> int | None:
        """A person with write access at `at` other than the author (None if nobody)."""
        able = [g.actor for g in self.grants[repo] if g.writes(at) and g.actor != author]
        return self.rng.choice(able) if able else None

    # --- rows ----------------------------------------------------------------------------

    def _login(self, repo: int, actor: int) -> str:
        # Governance files are hand-written: a tenth of the logins in another case than
        # GitHub's (the same in every version of the file).
        login = self.logins[actor]
        return login.capitalize() if (repo * 31 + actor) % 10 == 0 else login

    def _text(self, repo: int, path: str, listed: list[tuple[str, int]]) -> str:
        if path == "OWNERS":
            approvers = [self._login(repo, a) for kind, a in listed if kind == "approver"]
            reviewers = [self._login(repo, a) for kind, a in listed if kind == "reviewer"]
            return (
                "# See the OWNERS docs\napprovers:\n"
                + "".join(f"  - {login}\n" for login in approvers)
                + "reviewers:\n"
                + "".join(f"  - {login}\n" for login in reviewers)
            )
        return (
            f"# Maintainers of {self.names[repo]}\n\n"
            "| Name | GitHub | Since |\n| --- | --- | --- |\n"
            + "".join(
                f"| {self.logins[a].title()} | @{self._login(repo, a)} | |\n" for _, a in listed
            )
        )

    def governance_versions(self) -> list[GovernanceFileVersion]:
        """Every version of each repository's governance file: one commit per change of who it
        lists (a committer made or gone, a reviewer added)."""
        versions = []
        for repo, grants in self.grants.items():
            path = "OWNERS" if self.org[repo] == "sofastack" else "MAINTAINERS.md"
            changes: dict[dt.datetime, list[tuple[str, str, int]]] = {}
            for grant in grants:
                changes.setdefault(grant.listed_at or grant.write_from, []).append(
                    ("add", "approver", grant.actor)
                )
                if grant.removed_at:
                    changes.setdefault(grant.removed_at, []).append(
                        ("drop", "approver", grant.actor)
                    )
            for actor, since in self.reviewers[repo]:
                changes.setdefault(since, []).append(("add", "reviewer", actor))
            listed: list[tuple[str, int]] = []
            for n, at in enumerate(sorted(changes)):
                for change, kind, actor in changes[at]:
                    if change == "add":
                        listed.append((kind, actor))
                    else:
                        listed.remove((kind, actor))
                sha = hashlib.sha1(f"{repo}:{path}:{n}".encode()).hexdigest()
                versions.append(
                    GovernanceFileVersion(
                        repository_id=repo,
                        path=path,
                        commit_sha=sha,
                        committed_at=at + dt.timedelta(hours=self.rng.randrange(8, 20)),
                        people=governance_people(
                            path=path, text=self._text(repo, path, list(listed))
                        ),
                    )
                )
        return versions

    def promotion_rules(self) -> list[PromotionRule]:
        """The community default (SOFAStack's rule, inactive after 6 months) and two projects'
        own: a stricter one where association proves nothing, and one with larger size
        thresholds and a longer inactivity window."""
        repos = sorted(self.grants)
        rules = [PromotionRule(repository=None)]
        if len(repos) > 4:
            rules += [
                PromotionRule(
                    repository_id=repos[1],
                    association_proves="",
                    min_merged=15,
                    min_hard=2,
                    min_medium=6,
                ),
                PromotionRule(
                    repository_id=repos[4],
                    min_merged=8,
                    min_hard=0,
                    min_medium=3,
                    medium_min_lines=200,
                    hard_min_lines=800,
                    inactive_months=12,
                ),
            ]
        return rules

    def role_entries(self) -> list[RoleEntry]:
        """A few admin entries: a PMC member voted in, a committer whose role ended, a
        reviewer named by the admin."""
        repos = sorted(self.grants)
        entries = []
        chosen = [(0, Role.PMC, False), (2, Role.COMMITTER, True), (3, Role.REVIEWER, False)]
        for n, role, ended in chosen:
            repo = repos[n % len(repos)]
            grant = self.rng.choice(self.grants[repo][2:] or self.grants[repo])
            since = (grant.write_from + 30 * DAY).date()
            entries.append(
                RoleEntry(
                    repository_id=repo,
                    login=grant.login,
                    role=role,
                    since=since,
                    until=since + dt.timedelta(days=400) if ended else None,
                    evidence=f"https://lists.example.org/vote/{repo}-{grant.login}",
                )
            )
        return entries
