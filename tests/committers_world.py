"""A small hand-made world for the committers tests (expected values worked out by hand).

The world (mosn/layotto, repository created 2019-06-01; its first contribution, erin's pull
request, on 2019-12-01 starts the project: founders are those with write access before
2020-06-01), as of 2022-02-01 (the candidates' default window: 2021-02-01 to 2022-01-31):
- pmc1 (Ant Group) merges everything from 2020-01-10 (with association MEMBER on his own pull
  request that day) → a founder: Committer since 2019-12-01; listed in MAINTAINERS' PMC
  section from 2020-06-01 → PMC since then.
- fay (Initech) opens pull requests from 2019-12-05 without write access; her association is
  COLLABORATOR from 2020-03-01 → a founder too: Committer since 2019-12-01, never a candidate.
- alice (external) is added to OWNERS as approver on 2021-03-04 → Committer since then
  (her approving review of 2021-12-01 is later evidence, so the date stays).
- erin has an admin entry (Committer since 2019-06-01), which wins over her merge.
- frank was listed in MAINTAINERS from 2020-06-01 until removed on 2021-10-01 → no role then;
  his pull request merged on 2021-11-20 does not make him a candidate (write access once).
- ivy (no company: affiliation unknown) has two merged pull requests and merged the second
  herself on 2021-04-10 → Committer since then (a merge needs write access), no candidate.
- dave comments with association COLLABORATOR from 2022-05-01 → Committer only later.
- bob (external): 8 merged PRs in 2021 (the first on 2021-01-15, before the window), one
  closing an issue labelled `difficulty/hard`, 3 reviews on others' PRs → candidate "7/10
  merged, 1 Hard" (progress (0.7 + 1) / 2 = 85 %) in the window, "8/10 merged, 1 Hard" (90 %)
  counted from 2021-01-01.
- carol: 3 merged PRs, two big enough to be Medium by size → "3/10 merged, 2 Medium" (40 %);
  a review of bob's first PR, an answer to pmc1's issue.
- gus: 4 merged PRs in 2020 → outside the window, and inactive for over 12 months by the day.
- dependabot[bot]: merged PRs, never a candidate.
"""

from datetime import UTC, date, datetime

import pytest

from dashboard.derived.rebuild import derived_rebuild
from ingest.models import (
    Actor,
    Comment,
    GovernanceFileVersion,
    Issue,
    PullRequest,
    Repository,
    Review,
    RoleEntry,
)

AS_OF = date(2022, 2, 1)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


class Small:
    """Builds the world of the module docstring."""

    def __init__(self):
        self.repo = Repository.objects.create(
            github_id=1,
            owner_login="mosn",
            name="layotto",
            full_name="mosn/layotto",
            created_at=at("2019-06-01"),
        )
        self.actors = {}
        for i, (login, company) in enumerate(
            [
                ("pmc1", "Ant Group"),
                ("alice", "Acme"),
                ("bob", "Globex"),
                ("carol", ""),
                ("dave", "Initech"),
                ("erin", "Ant Group"),
                ("frank", "Umbrella"),
                ("fay", "Initech"),
                ("gus", ""),
                ("ivy", ""),
                ("dependabot[bot]", ""),
            ]
        ):
            self.actors[login] = Actor.objects.create(
                github_id=100 + i,
                login=login,
                company=company,
                type="Bot" if login.endswith("[bot]") else "User",
                is_bot=login.endswith("[bot]"),
            )
        self.number = 0
        self.ids = 1000

    def next_ids(self) -> tuple[int, int]:
        self.number += 1
        self.ids += 1
        return self.number, self.ids

    def merged_pr(
        self,
        author: str,
        day: str,
        *,
        labels=(),
        closes=(),
        lines=10,
        files=1,
        title="Add feature",
        merged_by="pmc1",
        association="CONTRIBUTOR",
    ) -> int:
        number, gid = self.next_ids()
        PullRequest.objects.create(
            github_id=gid,
            repository=self.repo,
            number=number,
            title=title,
            state="closed",
            author=self.actors[author],
            author_association=association,
            labels=list(labels),
            closes_issues=list(closes),
            additions=lines,
            deletions=0,
            changed_files=files,
            created_at=at(day),
            updated_at=at(day),
            closed_at=at(day),
            merged_at=at(day),
            merged_by=self.actors[merged_by],
        )
        return number

    def issue(self, author: str, day: str, *, labels=()) -> int:
        number, gid = self.next_ids()
        Issue.objects.create(
            github_id=gid,
            repository=self.repo,
            number=number,
            title="Bug",
            state="open",
            author=self.actors[author],
            labels=list(labels),
            created_at=at(day),
            updated_at=at(day),
        )
        return number

    def review(
        self, author: str, pr_number: int, day: str, *, state="COMMENTED", association="CONTRIBUTOR"
    ) -> None:
        self.ids += 1
        Review.objects.create(
            github_id=self.ids,
            repository=self.repo,
            author=self.actors[author],
            pull_request=PullRequest.objects.get(repository=self.repo, number=pr_number),
            state=state,
            author_association=association,
            submitted_at=at(day),
        )

    def comment(self, author: str, number: int, day: str, *, association="CONTRIBUTOR") -> None:
        self.ids += 1
        Comment.objects.create(
            github_id=self.ids,
            repository=self.repo,
            issue_number=number,
            author=self.actors[author],
            author_association=association,
            created_at=at(day),
            updated_at=at(day),
        )

    def governance(self, path: str, sha: str, day: str, people: dict) -> None:
        GovernanceFileVersion.objects.create(
            repository=self.repo, path=path, commit_sha=sha, committed_at=at(day), people=people
        )


@pytest.fixture(name="small")
def small_fixture() -> Small:
    w = Small()
    w.merged_pr("pmc1", "2020-01-10", association="MEMBER")
    w.merged_pr("fay", "2019-12-05")
    w.merged_pr("fay", "2020-03-01", association="COLLABORATOR")
    for month in range(3, 7):
        w.merged_pr("gus", f"2020-0{month}-03")
    w.merged_pr("erin", "2019-12-01", merged_by="erin")  # her merge would say PMC; admin wins
    RoleEntry.objects.create(
        repository=w.repo,
        login="erin",
        role="committer",
        since=date(2019, 6, 1),
        evidence="https://example.org/vote/1",
    )
    hard_issue = w.issue("carol", "2020-02-01", labels=["difficulty/hard"])
    bob_first = w.merged_pr("bob", "2021-01-15")
    for month in range(2, 8):
        w.merged_pr("bob", f"2021-0{month}-15")
    w.bob_hard = w.merged_pr("bob", "2021-08-15", closes=[hard_issue])
    w.merged_pr("bob", "2022-03-01")  # after the as-of day: does not count then
    carol_prs = [
        w.merged_pr("carol", "2021-05-02", lines=150),
        w.merged_pr("carol", "2021-06-02", files=6),
        w.merged_pr("carol", "2021-07-02", title="docs: fix typo", lines=900),
    ]
    for i, number in enumerate(carol_prs):
        w.review("bob", number, f"2021-0{5 + i}-20")
    w.review("carol", bob_first, "2021-02-01")  # a review on bob's first PR
    w.comment("carol", w.issue("pmc1", "2021-04-01"), "2021-04-02")  # answers pmc1's issue
    w.merged_pr("dave", "2021-11-11")
    w.comment("dave", bob_first, "2022-05-01", association="COLLABORATOR")
    w.merged_pr("dependabot[bot]", "2021-09-09")
    w.merged_pr("alice", "2020-11-01")
    w.merged_pr("frank", "2021-11-20")
    w.merged_pr("ivy", "2021-03-10")
    w.merged_pr("ivy", "2021-04-10", merged_by="ivy")
    w.review("alice", bob_first, "2021-12-01", state="APPROVED", association="COLLABORATOR")
    w.governance("OWNERS", "a" * 40, "2020-05-05", {"approvers": ["pmc1"], "reviewers": []})
    w.governance(
        "OWNERS", "b" * 40, "2021-03-04", {"approvers": ["pmc1", "Alice"], "reviewers": []}
    )
    w.governance("MAINTAINERS", "c" * 40, "2020-06-01", {"maintainers": ["frank"], "pmc": ["pmc1"]})
    w.governance("MAINTAINERS", "d" * 40, "2021-10-01", {"maintainers": [], "pmc": ["pmc1"]})
    derived_rebuild()  # as after an ingest: months active come from the contribution rollup
    return w
