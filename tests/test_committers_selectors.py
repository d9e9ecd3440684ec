"""Roles, promotions and candidates on the hand-made world of tests/committers_world.py
(its docstring lists each person and the expected values, worked out by hand)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.definitions.difficulty import (
    EASY,
    HARD,
    LEVEL_NAME,
    MEDIUM,
    with_difficulty,
)
from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.promotion import promotion_candidates
from dashboard.metrics.roles import (
    committers_by_project,
    external_committer_share_by_quarter,
    ladder,
    promotions_by_quarter,
    role_history_for_person,
)
from dashboard.models import PromotionRule
from ingest.models import Actor, AffiliationOverride, PullRequest
from tests.committers_world import AS_OF, small_fixture  # noqa: F401 - the `small` fixture

pytestmark = pytest.mark.django_db


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
    before_removal = {
        h.login: h for h in ladder(repository_ids=[small.repo.pk], as_of=date(2021, 9, 1))
    }
    assert (before_removal["frank"].role, before_removal["frank"].since) == (
        "committer",
        date(2020, 6, 1),
    )


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
    PromotionRule.objects.create(
        repository=small.repo,
        min_merged=3,
        min_hard=0,
        min_medium=2,
        merge_proves="",
        association_proves="",
    )
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF)
    # carol now meets the rule (3/3 merged, 2 Medium); bob has 0 Medium → 50 %.
    assert [(r["login"], r["meets_rule"]) for r in rows[:2]] == [("carol", True), ("bob", False)]
    # Merges and association prove nothing now: pmc1 is Committer by OWNERS (2020-05-05).
    pmc1 = next(h for h in ladder(repository_ids=[small.repo.pk], as_of=AS_OF) if h.login == "pmc1")
    assert (pmc1.role, pmc1.since) == ("committer", date(2020, 5, 5))


def test_promotions_and_external_share_by_quarter(small):
    promotions = promotions_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    assert promotions["labels"][0] == "2019-Q2" and promotions["labels"][-1] == "2022-Q1"
    quarter = dict(
        zip(
            promotions["labels"],
            zip(promotions["home"], promotions["external"], strict=True),
            strict=True,
        )
    )
    assert quarter["2019-Q2"] == (1, 0)  # erin
    assert quarter["2020-Q1"] == (1, 0)  # pmc1
    assert quarter["2020-Q2"] == (0, 1)  # frank (MAINTAINERS)
    assert quarter["2021-Q1"] == (0, 1)  # alice
    share = external_committer_share_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    at_end = dict(
        zip(share["labels"], zip(share["committers"], share["external"], strict=True), strict=True)
    )
    assert at_end["2021-Q2"] == (4, 2)  # erin, pmc1 home; frank, alice external
    assert at_end["2021-Q4"] == (3, 1)  # frank removed 2021-10-01
    assert share["share"][share["labels"].index("2021-Q4")] == 33.3


def test_committer_counts_and_person_history_for_other_pages(small):
    assert committers_by_project(repository_ids=[small.repo.pk], as_of=AS_OF) == [
        {
            "repository_id": small.repo.pk,
            "project": "mosn/layotto",
            "committers": 3,
            "external_committers": 1,
        }
    ]
    pmc1 = role_history_for_person(login="PMC1", as_of=AS_OF)
    assert {(r["role"], r["since"], r["evidence_url"]) for r in pmc1} == {
        ("PMC (maintainer)", "2020-01-10", "https://github.com/mosn/layotto/pull/1"),  # merge
        ("Committer", "2020-01-10", "https://github.com/mosn/layotto/pull/1"),  # association
        ("Member", "2020-01-10", "https://github.com/mosn/layotto/pull/1"),  # MEMBER
    }
    history = role_history_for_person(login="frank", as_of=None)
    assert [(r["role"], r["since"], r["ended"]) for r in history] == [
        ("Committer", "2020-06-01", "2021-10-01")
    ]


def test_affiliation_override_with_dates_moves_a_committer_between_home_and_external(small):
    # alice worked for the home organisation until 2021-06-30 (an admin's statement).
    AffiliationOverride.objects.create(
        login="Alice", organization="Ant Group", is_home=True, end=date(2021, 6, 30)
    )
    share = external_committer_share_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    at_end = dict(zip(share["labels"], share["external"], strict=True))
    assert at_end["2021-Q2"] == 1  # frank only
    assert at_end["2021-Q3"] == 2  # frank, and alice again external
    promotions = promotions_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    alice = next(p for p in promotions["promotions"] if p["login"] == "alice")
    assert alice["affiliation"] == "home"


def test_query_count_does_not_grow_with_committers_or_quarters(small):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            ladder(repository_ids=[small.repo.pk], as_of=None)
            external_committer_share_by_quarter(repository_ids=[small.repo.pk], as_of=None)
            promotion_candidates(repository_ids=[small.repo.pk], as_of=None)
        return len(captured)

    before = queries()
    people = [f"newcomer{i}" for i in range(20)]
    for i, login in enumerate(people):
        Actor.objects.create(github_id=5000 + i, login=login, company="Acme")
    small.governance("COMMITTERS", "e" * 40, "2022-03-01", {"committers": people})
    assert queries() == before


def test_sql_difficulty_agrees_with_the_documented_rules(small):
    issue_medium = small.issue("pmc1", "2021-01-01", labels=["Level: Medium"])
    cases = [  # (labels, closes, title, lines, files, expected)
        (["difficulty/easy"], [], "Refactor", 900, 30, EASY),  # the label wins over size
        ([], [issue_medium], "Refactor", 10, 1, MEDIUM),  # the closed issue's label
        (["hard", "bug"], [issue_medium], "Refactor", 10, 1, HARD),
        ([], [], "[docs] rewrite guide", 2000, 40, EASY),
        ([], [], "Fix typos", 2000, 40, EASY),
        ([], [], "Add typology support", 2000, 1, HARD),  # "typology" is not a typo
        ([], [], "Add cache", 120, 1, MEDIUM),
        ([], [], "Add cache", 10, 5, MEDIUM),
        ([], [], "Add cache", 10, 4, EASY),
        (["hardware"], [], "Add cache", 10, 1, EASY),  # not the word "hard"
        (["Difficulty: Medium", "bug"], [], "Add cache", 10, 1, MEDIUM),
        (["level/easy", "hard"], [], "Add cache", 10, 1, HARD),  # the hardest label wins
        ([], [], "Docs: typo", 10, 1, EASY),
    ]
    numbers = {
        small.merged_pr(
            "carol",
            "2021-09-01",
            labels=labels,
            closes=closes,
            title=title,
            lines=lines,
            files=files,
        ): expected
        for labels, closes, title, lines, files, expected in cases
    }
    rules = {small.repo.pk: PromotionRule()}
    found = dict(
        with_difficulty(PullRequest.objects.filter(number__in=numbers), rules=rules).values_list(
            "number", "difficulty"
        )
    )
    assert {n: LEVEL_NAME[level] for n, level in found.items()} == numbers


def test_the_candidate_list_is_cut_per_project_after_ranking(small):
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF, limit=2)
    assert [(r["login"], r["rank"]) for r in rows] == [("bob", 1), ("carol", 2)]
    everyone = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF, limit=None)
    assert [r["login"] for r in everyone] == ["bob", "carol", "dave"]


@pytest.mark.parametrize(
    ("as_of", "months", "last"),
    [
        (date(2021, 8, 10), 7, "2021-07-20"),  # August's PR (15th) is after the day
        (date(2021, 8, 20), 8, "2021-08-15"),  # ...and before this one: the as-of month counts
    ],
)
def test_months_active_and_recency_cut_inside_the_as_of_month(small, as_of, months, last):
    bob = next(
        r
        for r in promotion_candidates(repository_ids=[small.repo.pk], as_of=as_of)
        if r["login"] == "bob"
    )
    assert (bob["months_active"], bob["last_activity"]) == (months, last)


def test_the_rollup_and_the_raw_facts_rank_alike(small):
    figures = (
        "login",
        "progress",
        "progress_percent",
        "reviews_given",
        "issues_answered",
        "months_active",
        "last_activity",
        "evidence",
    )

    def ranked(as_of):
        return [
            tuple(str(r[f]) for f in figures)
            for r in promotion_candidates(repository_ids=[small.repo.pk], as_of=as_of)
        ]

    assert ranked(None) == ranked(date(2100, 1, 1))
    assert [row[0] for row in ranked(None)] == ["bob", "carol"]  # dave became a Committer


def test_saving_a_rule_queues_a_recount_of_the_rollup_behind_the_page_without_until(
    small, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rule = PromotionRule.objects.create(
            repository=small.repo, min_merged=3, min_hard=0, min_medium=2
        )
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=None)
    assert (rows[0]["login"], rows[0]["progress"]) == ("carol", "3/3 merged, 2 Medium")
    rule.medium_min_lines = 200  # carol's 150-line pull request is now Easy
    with django_capture_on_commit_callbacks(execute=False) as queued:
        rule.save()
    # Nothing is recounted inside the admin's save: only once its transaction commits.
    carol = next(
        r
        for r in promotion_candidates(repository_ids=[small.repo.pk], as_of=None)
        if r["login"] == "carol"
    )
    assert carol["progress"] == "3/3 merged, 2 Medium" and len(queued) == 1
    queued[0]()  # the commit: the recount task runs (eagerly here, on a worker in production)
    carol = next(
        r
        for r in promotion_candidates(repository_ids=[small.repo.pk], as_of=None)
        if r["login"] == "carol"
    )
    assert (carol["progress"], carol["progress_percent"]) == ("3/3 merged, 1 Medium", 75.0)


def test_months_active_then_recency_break_ties_alike_from_the_rollup_and_the_facts(small):
    # gina and hank tie on the first keys (1 merged pull request, nothing else counted);
    # gina was active in three months, hank in one, later: months active decides first.
    for i, login in enumerate(("gina", "hank", "ivan")):
        small.actors[login] = Actor.objects.create(github_id=900 + i, login=login)
    small.merged_pr("gina", "2021-01-10")
    small.issue("gina", "2021-03-10")
    small.issue("gina", "2021-06-10")
    small.merged_pr("hank", "2021-09-10")
    small.merged_pr("ivan", "2021-09-20")  # ties with hank on months too: more recent first
    derived_rebuild()

    def ranked(as_of):
        return [
            (r["login"], r["months_active"], r["last_activity"])
            for r in promotion_candidates(repository_ids=[small.repo.pk], as_of=as_of, limit=None)
            if r["login"] in ("gina", "hank", "ivan")
        ]

    assert ranked(None) == [
        ("gina", 3, "2021-06-10"),
        ("ivan", 1, "2021-09-20"),
        ("hank", 1, "2021-09-10"),
    ]
    assert ranked(None) == ranked(date(2100, 1, 1))
