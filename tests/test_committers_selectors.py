"""Roles, promotions and candidates on a small hand-made world (expected values by hand).

The world (mosn/layotto), as of 2022-02-01:
- pmc1 (Ant Group) merges everything from 2020-01-10 → PMC since 2020-01-10.
- alice (external) is added to OWNERS as approver on 2021-03-04 → Committer since then
  (her approving review of 2021-12-01 is later evidence, so the date stays).
- erin has an admin entry (Committer since 2019-06-01), which wins over her merges.
- frank was listed in MAINTAINERS from 2020-06-01 until removed on 2021-10-01 → no role.
- dave comments with association COLLABORATOR from 2022-05-01 → Committer only later.
- bob (external): 8 merged PRs, one closing an issue labelled `difficulty/hard`, 3 reviews on
  others' PRs → candidate "8/10 merged, 1 Hard" (progress (0.8 + 1) / 2 = 90 %).
- carol: 3 merged PRs, two big enough to be Medium by size → "3/10 merged, 2 Medium" (40 %).
- dependabot[bot]: merged PRs, never a candidate.
"""

from datetime import UTC, date, datetime

import pytest

from dashboard.metrics.difficulty import (
    EASY,
    HARD,
    MEDIUM,
    difficulty_from_labels,
    difficulty_from_size,
)
from dashboard.metrics.promotion import promotion_candidates
from dashboard.metrics.roles import (
    committers_by_project,
    external_committer_share_by_quarter,
    ladder,
    promotions_by_quarter,
    role_history_for_person,
)
from dashboard.models import PromotionRule
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

pytestmark = pytest.mark.django_db
AS_OF = date(2022, 2, 1)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


class Small:
    """Builds the world of the module docstring."""

    def __init__(self):
        self.repo = Repository.objects.create(
            github_id=1, owner_login="mosn", name="layotto", full_name="mosn/layotto"
        )
        self.actors = {}
        for i, (login, company) in enumerate([
            ("pmc1", "Ant Group"), ("alice", "Acme"), ("bob", "Globex"), ("carol", ""),
            ("dave", "Initech"), ("erin", "Ant Group"), ("frank", "Umbrella"),
            ("dependabot[bot]", ""),
        ]):
            self.actors[login] = Actor.objects.create(
                github_id=100 + i, login=login, company=company,
                type="Bot" if login.endswith("[bot]") else "User",
                is_bot=login.endswith("[bot]"),
            )
        self.number = 0
        self.ids = 1000

    def next_ids(self) -> tuple[int, int]:
        self.number += 1
        self.ids += 1
        return self.number, self.ids

    def merged_pr(self, author: str, day: str, *, labels=(), closes=(), lines=10, files=1,
                  title="Add feature", merged_by="pmc1", association="CONTRIBUTOR") -> int:
        number, gid = self.next_ids()
        PullRequest.objects.create(
            github_id=gid, repository=self.repo, number=number, title=title, state="closed",
            author=self.actors[author], author_association=association, labels=list(labels),
            closes_issues=list(closes), additions=lines, deletions=0, changed_files=files,
            created_at=at(day), updated_at=at(day), closed_at=at(day), merged_at=at(day),
            merged_by=self.actors[merged_by],
        )
        return number

    def issue(self, author: str, day: str, *, labels=()) -> int:
        number, gid = self.next_ids()
        Issue.objects.create(
            github_id=gid, repository=self.repo, number=number, title="Bug", state="open",
            author=self.actors[author], labels=list(labels), created_at=at(day),
            updated_at=at(day),
        )
        return number

    def review(self, author: str, pr_number: int, day: str, *, state="COMMENTED",
               association="CONTRIBUTOR") -> None:
        self.ids += 1
        Review.objects.create(
            github_id=self.ids, repository=self.repo, author=self.actors[author],
            pull_request=PullRequest.objects.get(repository=self.repo, number=pr_number),
            state=state, author_association=association, submitted_at=at(day),
        )

    def comment(self, author: str, number: int, day: str, *, association="CONTRIBUTOR") -> None:
        self.ids += 1
        Comment.objects.create(
            github_id=self.ids, repository=self.repo, issue_number=number,
            author=self.actors[author], author_association=association, created_at=at(day),
            updated_at=at(day),
        )

    def governance(self, path: str, sha: str, day: str, people: dict) -> None:
        GovernanceFileVersion.objects.create(
            repository=self.repo, path=path, commit_sha=sha, committed_at=at(day), people=people
        )


@pytest.fixture
def small() -> Small:
    w = Small()
    w.merged_pr("pmc1", "2020-01-10", association="MEMBER")
    w.merged_pr("erin", "2019-12-01", merged_by="erin")  # her merge would say PMC; admin wins
    RoleEntry.objects.create(repository=w.repo, login="erin", role="committer",
                             since=date(2019, 6, 1), evidence="https://example.org/vote/1")
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
    w.review("alice", bob_first, "2021-12-01", state="APPROVED", association="COLLABORATOR")
    w.governance("OWNERS", "a" * 40, "2020-05-05", {"approvers": ["pmc1"], "reviewers": []})
    w.governance("OWNERS", "b" * 40, "2021-03-04",
                 {"approvers": ["pmc1", "Alice"], "reviewers": []})
    w.governance("MAINTAINERS", "c" * 40, "2020-06-01", {"maintainers": ["frank"]})
    w.governance("MAINTAINERS", "d" * 40, "2021-10-01", {"maintainers": []})
    return w


def test_difficulty_labels_and_size_heuristic():
    assert difficulty_from_labels(["bug", "Difficulty: Medium"]) == MEDIUM
    assert difficulty_from_labels(["level/easy", "hard"]) == HARD
    assert difficulty_from_labels(["hardware", "good first issue"]) is None
    rule = PromotionRule()
    size = dict(additions=0, deletions=0, changed_files=1, rule=rule)
    assert difficulty_from_size(title="Add x", **size) == EASY
    assert difficulty_from_size(title="Add x", **{**size, "additions": 60, "deletions": 40}) == MEDIUM
    assert difficulty_from_size(title="Add x", **{**size, "changed_files": 15}) == HARD
    assert difficulty_from_size(title="Fix typo in README", **{**size, "additions": 900}) == EASY


def test_ladder_as_of_shows_roles_with_dates_and_evidence(small):
    rows = {h.login: h for h in ladder(repository_ids=[small.repo.pk], as_of=AS_OF)}
    assert set(rows) == {"pmc1", "alice", "erin"}
    assert (rows["pmc1"].role, rows["pmc1"].since) == ("pmc", date(2020, 1, 10))
    assert rows["pmc1"].evidence[0].url == "https://github.com/mosn/layotto/pull/1"
    assert rows["pmc1"].affiliation == "home"
    # The OWNERS change dates alice's promotion, whatever the case of her login there.
    assert (rows["alice"].role, rows["alice"].since) == ("committer", date(2021, 3, 4))
    assert "OWNERS" in rows["alice"].evidence[0].description
    assert rows["alice"].evidence[0].url.endswith("/mosn/layotto/commit/" + "b" * 40)
    assert rows["alice"].affiliation == "external"
    # The admin entry wins over erin's merge (which alone would have made her PMC).
    assert (rows["erin"].role, rows["erin"].since) == ("committer", date(2019, 6, 1))
    assert rows["erin"].evidence[0].signal == "admin"
    # Inactive: erin's last activity (2019-12-01) is more than 6 months before the day.
    assert rows["erin"].inactive and not rows["alice"].inactive


def test_ladder_today_includes_later_promotions_and_removals(small):
    rows = {h.login: h for h in ladder(repository_ids=[small.repo.pk], as_of=None)}
    assert (rows["dave"].role, rows["dave"].since) == ("committer", date(2022, 5, 1))
    assert "frank" not in rows  # removed from MAINTAINERS
    before_removal = {h.login: h for h in ladder(repository_ids=[small.repo.pk],
                                                 as_of=date(2021, 9, 1))}
    assert (before_removal["frank"].role, before_removal["frank"].since) == (
        "pmc", date(2020, 6, 1))


def test_candidates_ranked_against_the_rule_as_of_the_day(small):
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF)
    by_login = {r["login"]: r for r in rows}
    assert [r["login"] for r in rows] == ["bob", "carol", "dave"]
    assert by_login["bob"]["progress"] == "8/10 merged, 1 Hard"
    assert by_login["bob"]["progress_percent"] == 90.0
    assert by_login["bob"]["reviews_given"] == 3
    assert by_login["bob"]["months_active"] == 8
    assert by_login["bob"]["evidence"][0] == {
        "label": f"#{small.bob_hard} Hard (issue label)",
        "url": f"https://github.com/mosn/layotto/pull/{small.bob_hard}",
    }
    # carol: 150 lines and 6 files are Medium; the typo PR is Easy despite 900 lines.
    assert by_login["carol"]["progress"] == "3/10 merged, 2 Medium"
    assert by_login["carol"]["progress_percent"] == 40.0
    assert by_login["carol"]["issues_answered"] == 1
    assert by_login["dave"]["progress"] == "1/10 merged"
    assert "dependabot[bot]" not in by_login and "alice" not in by_login


def test_a_project_rule_changes_the_ranking_and_who_proves_what(small):
    PromotionRule.objects.create(repository=small.repo, min_merged=3, min_hard=0, min_medium=2,
                                 merge_proves="", association_proves="")
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF)
    # carol now meets the rule (3/3 merged, 2 Medium); bob has 0 Medium → 50 %.
    assert [(r["login"], r["meets_rule"]) for r in rows[:2]] == [("carol", True), ("bob", False)]
    # Merges and association prove nothing now: pmc1 is Committer by OWNERS (2020-05-05).
    pmc1 = next(h for h in ladder(repository_ids=[small.repo.pk], as_of=AS_OF) if h.login == "pmc1")
    assert (pmc1.role, pmc1.since) == ("committer", date(2020, 5, 5))


def test_promotions_and_external_share_by_quarter(small):
    promotions = promotions_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    assert promotions["labels"][0] == "2019-Q2" and promotions["labels"][-1] == "2022-Q1"
    quarter = dict(zip(promotions["labels"], zip(promotions["home"], promotions["external"],
                                                 strict=True), strict=True))
    assert quarter["2019-Q2"] == (1, 0)  # erin
    assert quarter["2020-Q1"] == (1, 0)  # pmc1
    assert quarter["2020-Q2"] == (0, 1)  # frank (MAINTAINERS)
    assert quarter["2021-Q1"] == (0, 1)  # alice
    share = external_committer_share_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    at_end = dict(zip(share["labels"], zip(share["committers"], share["external"], strict=True),
                      strict=True))
    assert at_end["2021-Q2"] == (4, 2)  # erin, pmc1 home; frank, alice external
    assert at_end["2021-Q4"] == (3, 1)  # frank removed 2021-10-01
    assert share["share"][share["labels"].index("2021-Q4")] == 33.3


def test_committer_counts_and_person_history_for_other_pages(small):
    assert committers_by_project(repository_ids=[small.repo.pk], as_of=AS_OF) == [
        {"repository_id": small.repo.pk, "project": "mosn/layotto", "committers": 3,
         "external_committers": 1}
    ]
    history = role_history_for_person(login="frank", as_of=None)
    assert [(r["role"], r["since"], r["ended"]) for r in history] == [
        ("PMC (maintainer)", "2020-06-01", "2021-10-01")
    ]
