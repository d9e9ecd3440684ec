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
    RoleWorld,
    committers_by_project,
    external_committer_share_by_quarter,
    ladder,
    promotions_by_quarter,
    role_history_for_person,
)
from dashboard.models import PromotionRule
from ingest.models import Actor, AffiliationOverride, PullRequest, Repository
from tests.committers_world import AS_OF, at, small_fixture  # noqa: F401 - the `small` fixture
from tests.factories import commit

pytestmark = pytest.mark.django_db


def test_ladder_as_of_shows_roles_with_dates_and_evidence(small):
    rows = {h.login: h for h in ladder(repository_ids=[small.repo.pk], as_of=AS_OF)}
    assert set(rows) == {"pmc1", "fay", "alice", "erin", "ivy"}
    # PMC comes from the governance file's PMC section, not from merging.
    assert (rows["pmc1"].role, rows["pmc1"].since) == ("pmc", date(2020, 6, 1))
    assert rows["pmc1"].evidence[0].url == "https://github.com/mosn/layotto/commit/" + "c" * 40
    assert rows["pmc1"].affiliation == "home"
    # The OWNERS change dates alice's promotion, whatever the case of her login there.
    assert (rows["alice"].role, rows["alice"].since) == ("committer", date(2021, 3, 4))
    assert "OWNERS" in rows["alice"].evidence[0].description
    assert rows["alice"].evidence[0].url.endswith("/mosn/layotto/commit/" + "b" * 40)
    assert rows["alice"].affiliation == "external"
    # A merge proves Committer (write access), not PMC.
    assert (rows["ivy"].role, rows["ivy"].since) == ("committer", date(2021, 4, 10))
    assert rows["ivy"].affiliation == "unknown"
    # The admin entry wins over erin's merge.
    assert (rows["erin"].role, rows["erin"].since) == ("committer", date(2019, 6, 1))
    assert rows["erin"].evidence[0].signal == "admin"
    # Inactive: erin's last activity (2019-12-01) is more than 6 months before the day.
    assert rows["erin"].inactive and not rows["alice"].inactive


def test_founders_hold_their_role_from_the_projects_start(small):
    # The project starts with its first contribution (2019-12-01; the repository is older):
    # write access within six months makes pmc1 and fay founders, even on a day before
    # their evidence appeared (fay's association, 2020-03-01).
    early = {h.login: h for h in ladder(repository_ids=[small.repo.pk], as_of=date(2020, 2, 1))}
    assert {login: (h.role, h.since) for login, h in early.items()} == {
        "erin": ("committer", date(2019, 6, 1)),
        "pmc1": ("committer", date(2019, 12, 1)),
        "fay": ("committer", date(2019, 12, 1)),
    }
    assert early["fay"].evidence[0].signal == "founder"
    assert "first 6 months" in early["fay"].evidence[0].description
    # Never a candidate, whatever the day; and no promotion either.
    for year, month in [(2019, 12), (2020, 1), (2020, 2), (2020, 3), (2020, 6), (2022, 2)]:
        day = date(year, month, 2)
        for since in (None, date(2019, 1, 1)):
            rows = promotion_candidates(
                repository_ids=[small.repo.pk], as_of=day, since=since, limit=None
            )
            assert not {"fay", "pmc1"} & {r["login"] for r in rows}, day
    promoted = promotions_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)["promotions"]
    assert {p["login"] for p in promoted} == {"erin", "frank", "alice", "ivy"}
    # The rule's setting: without founders, fay is a candidate until her association.
    PromotionRule.objects.create(repository=small.repo, founders_months=0)
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=date(2020, 2, 1))
    assert [r["login"] for r in rows] == ["fay"]
    fay = next(h for h in ladder(repository_ids=[small.repo.pk], as_of=AS_OF) if h.login == "fay")
    assert (fay.role, fay.since) == ("committer", date(2020, 3, 1))


def test_candidates_ranked_by_the_window_before_the_day(small):
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF)
    by_login = {r["login"]: r for r in rows}
    # Not frank (a maintainer once), ivy (merged once), alice, fay, pmc1; not gus (nothing in
    # the window); the bot never.
    assert [r["login"] for r in rows] == ["bob", "carol", "dave"]
    # The default window is the 365 days before the day: bob's first pull request
    # (2021-01-15) is outside it.
    assert by_login["bob"]["progress"] == "7/10 merged, 1 Hard"
    assert by_login["bob"]["progress_percent"] == 85.0
    assert by_login["bob"]["reviews_given"] == 3
    assert by_login["bob"]["months_active"] == 7  # February to August 2021
    assert by_login["bob"]["last_activity"] == "2021-08-15"
    assert by_login["bob"]["evidence"][0] == {
        "label": f"#{small.bob_hard} Hard (issue label)",
        "url": f"https://github.com/mosn/layotto/pull/{small.bob_hard}",
    }
    # carol: 150 lines and 6 files are Medium; the typo PR is Easy despite 900 lines.
    assert by_login["carol"]["progress"] == "3/10 merged, 2 Medium"
    assert by_login["carol"]["progress_percent"] == 40.0
    assert (by_login["carol"]["reviews_given"], by_login["carol"]["issues_answered"]) == (1, 1)
    assert by_login["dave"]["progress"] == "1/10 merged"
    # `since` sets the window's start: from 2021-01-01 bob's first pull request counts.
    bob = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF, since=date(2021, 1, 1))[
        0
    ]
    assert (bob["login"], bob["progress"], bob["progress_percent"]) == (
        "bob",
        "8/10 merged, 1 Hard",
        90.0,
    )
    assert bob["months_active"] == 8
    # A `since` inside a month counts that month only by what came on or after it.
    for since, months in ((date(2021, 1, 10), 8), (date(2021, 1, 20), 7)):
        bob = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF, since=since)[0]
        assert (bob["login"], bob["months_active"]) == ("bob", months), since
    # A window with nothing in it has no candidates.
    assert (
        promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF, since=date(2022, 1, 20))
        == []
    )


def test_candidates_are_active_within_the_rules_recent_months(small):
    # Counting from the project's start, gus's four pull requests of 2020 are in the window,
    # but he was last active on 2020-06-03: more than 12 months before the day.
    everything = date(2019, 1, 1)
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF, since=everything)
    assert "gus" not in {r["login"] for r in rows}
    PromotionRule.objects.create(repository=small.repo, recent_months=24)
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF, since=everything)
    gus = next(r for r in rows if r["login"] == "gus")
    assert (gus["progress"], gus["last_activity"]) == ("4/10 merged", "2020-06-03")


def test_any_write_access_excludes_whatever_role_the_rule_maps_it_to(small):
    # Merges prove only Member here: ivy is a Member, below the target role, and still no
    # candidate (she merged); frank, listed as maintainer until 2021-10-01, neither.
    PromotionRule.objects.create(repository=small.repo, merge_proves="member")
    ivy = next(h for h in ladder(repository_ids=[small.repo.pk], as_of=AS_OF) if h.login == "ivy")
    assert (ivy.role, ivy.since) == ("member", date(2021, 4, 10))
    everyone = {
        r["login"]
        for r in promotion_candidates(
            repository_ids=[small.repo.pk], as_of=AS_OF, since=date(2019, 1, 1), limit=None
        )
    }
    assert everyone == {"bob", "carol", "dave"}
    # Before her merge, ivy was a candidate.
    before = promotion_candidates(repository_ids=[small.repo.pk], as_of=date(2021, 4, 1))
    assert "ivy" in {r["login"] for r in before}


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
    # Merges and association prove nothing now (a blank setting ignores the signal, for
    # candidates too: ivy's merge no longer excludes her).
    assert "ivy" in {r["login"] for r in rows}
    pmc1 = next(h for h in ladder(repository_ids=[small.repo.pk], as_of=AS_OF) if h.login == "pmc1")
    assert {e.signal for e in pmc1.evidence} == {"governance"}
    early = ladder(repository_ids=[small.repo.pk], as_of=date(2020, 5, 10))
    pmc1 = next(h for h in early if h.login == "pmc1")
    # Still a founder: Committer by the OWNERS listing of 2020-05-05 (his first evidence,
    # organisation membership, proves Member only).
    assert (pmc1.role, pmc1.since) == ("committer", date(2019, 12, 1))
    assert pmc1.evidence[0].signal == "founder"
    assert [e.description for e in pmc1.evidence if e.signal == "governance"] == [
        "listed as approver in OWNERS (commit aaaaaaa)"
    ]


def test_promotions_and_external_share_by_quarter(small):
    promotions = promotions_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    assert promotions["labels"][0] == "2019-Q2" and promotions["labels"][-1] == "2022-Q1"
    quarter = dict(
        zip(
            promotions["labels"],
            zip(promotions["home"], promotions["external"], promotions["unknown"], strict=True),
            strict=True,
        )
    )
    assert quarter["2019-Q2"] == (1, 0, 0)  # erin
    assert quarter["2019-Q4"] == (0, 0, 0)  # pmc1 and fay are founders, not promotions
    assert quarter["2020-Q2"] == (0, 1, 0)  # frank (MAINTAINERS)
    assert quarter["2021-Q1"] == (0, 1, 0)  # alice
    assert quarter["2021-Q2"] == (0, 0, 1)  # ivy, affiliation unknown
    share = external_committer_share_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    at_end = dict(
        zip(
            share["labels"],
            zip(
                share["committers"],
                share["home"],
                share["external"],
                share["unknown"],
                strict=True,
            ),
            strict=True,
        )
    )
    # erin, pmc1 home; fay, frank, alice external; ivy unknown.
    assert at_end["2021-Q2"] == (6, 2, 3, 1)
    assert share["share"][share["labels"].index("2021-Q2")] == 60.0  # 3 of the 5 known
    assert at_end["2021-Q4"] == (5, 2, 2, 1)  # frank removed 2021-10-01
    assert share["share"][share["labels"].index("2021-Q4")] == 50.0


def test_external_share_is_over_known_people_never_zero_from_unknowns(small):
    Actor.objects.filter(login__in=["pmc1", "erin", "fay", "alice", "frank"]).update(company="")
    share = external_committer_share_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    last = share["labels"].index("2021-Q4")
    assert (share["home"][last], share["external"][last], share["unknown"][last]) == (0, 0, 5)
    assert share["share"][last] is None  # not 0 %: nobody's affiliation is known


def test_committer_counts_and_person_history_for_other_pages(small):
    assert committers_by_project(repository_ids=[small.repo.pk], as_of=AS_OF) == [
        {
            "repository_id": small.repo.pk,
            "project": "mosn/layotto",
            "committers": 5,
            "home_committers": 2,
            "external_committers": 2,
            "unknown_committers": 1,
        }
    ]
    pmc1 = role_history_for_person(login="PMC1", as_of=AS_OF)
    assert {(r["role"], r["since"]) for r in pmc1} == {
        ("PMC (maintainer)", "2020-06-01"),  # the PMC section of MAINTAINERS
        ("Committer", "2019-12-01"),  # a founder
        ("Member", "2020-01-10"),  # association MEMBER
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
    assert at_end["2021-Q2"] == 2  # fay, frank
    assert at_end["2021-Q3"] == 3  # fay, frank, and alice again external
    promotions = promotions_by_quarter(repository_ids=[small.repo.pk], as_of=AS_OF)
    alice = next(p for p in promotions["promotions"] if p["login"] == "alice")
    assert alice["affiliation"] == "home"


def test_affiliation_from_commit_email_domains_at_the_time(small):
    # ivy has no profile company. Her commits: at the home company's domain in 2021, at a
    # personal address later (says nothing about an employer), at another company in 2023.
    for day, email in [
        ("2021-02-01", "ivy@antgroup.com"),
        ("2021-05-01", "IVY@antgroup.com"),
        ("2021-09-01", "ivy@gmail.com"),
        ("2023-01-10", "ivy@globex.io"),
        ("2023-03-10", "ivy@globex.io"),
    ]:
        commit(small.repo, day, author=small.actors["ivy"], email=email)
    derived_rebuild()
    world = RoleWorld(repository_ids=[small.repo.pk], as_of=None)
    on = {
        day: world.affiliation(login="ivy", on=date.fromisoformat(day))
        for day in (
            "2020-12-31",
            "2021-03-01",
            "2021-05-01",
            "2021-10-01",
            "2023-02-01",
            "2024-01-01",
        )
    }
    assert on == {
        "2020-12-31": "unknown",
        "2021-03-01": "home",
        "2021-05-01": "home",
        "2021-10-01": "unknown",  # gmail.com is nobody's employer
        "2023-02-01": "external",
        "2024-01-01": "unknown",
    }
    promotions = promotions_by_quarter(repository_ids=[small.repo.pk], as_of=None)
    assert next(p for p in promotions["promotions"] if p["login"] == "ivy")["affiliation"] == "home"
    # The profile answers the days commits leave open; an override beats both.
    Actor.objects.filter(login="ivy").update(company="Globex")
    AffiliationOverride.objects.create(
        login="ivy",
        organization="Initech",
        is_home=False,
        start=date(2021, 3, 1),
        end=date(2021, 3, 31),
    )
    world = RoleWorld(repository_ids=[small.repo.pk], as_of=None)
    assert [
        world.affiliation(login="ivy", on=date.fromisoformat(day))
        for day in ("2020-12-31", "2021-03-15", "2021-05-01")
    ] == ["external", "external", "home"]


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


def test_without_until_everything_ingested_counts_as_on_a_day_far_ahead(small):
    PromotionRule.objects.create(repository=small.repo, recent_months=1200)
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
            for r in promotion_candidates(
                repository_ids=[small.repo.pk], as_of=as_of, since=date(2019, 1, 1)
            )
        ]

    assert ranked(None) == ranked(date(2100, 1, 1))
    # dave became a Committer; gus is back in (recent enough for this rule).
    assert [row[0] for row in ranked(None)] == ["bob", "carol", "gus"]


def test_saving_a_rule_queues_a_recount_of_the_rollup_behind_the_page(
    small, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rule = PromotionRule.objects.create(
            repository=small.repo, min_merged=3, min_hard=0, min_medium=2
        )
    rows = promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF)
    assert (rows[0]["login"], rows[0]["progress"]) == ("carol", "3/3 merged, 2 Medium")
    rule.medium_min_lines = 200  # carol's 150-line pull request is now Easy
    with django_capture_on_commit_callbacks(execute=False) as queued:
        rule.save()

    def carol() -> dict:
        return next(
            r
            for r in promotion_candidates(repository_ids=[small.repo.pk], as_of=AS_OF)
            if r["login"] == "carol"
        )

    # Nothing is recounted inside the admin's save: only once its transaction commits.
    assert carol()["progress"] == "3/3 merged, 2 Medium" and len(queued) == 1
    queued[0]()  # the commit: the recount task runs (eagerly here, on a worker in production)
    assert (carol()["progress"], carol()["progress_percent"]) == ("3/3 merged, 1 Medium", 75.0)


def test_months_active_then_recency_break_ties(small):
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
    rows = [
        (r["login"], r["months_active"], r["last_activity"])
        for r in promotion_candidates(
            repository_ids=[small.repo.pk], as_of=AS_OF, since=date(2021, 1, 1), limit=None
        )
        if r["login"] in ("gina", "hank", "ivan")
    ]
    assert rows == [
        ("gina", 3, "2021-06-10"),
        ("ivan", 1, "2021-09-20"),
        ("hank", 1, "2021-09-10"),
    ]


def test_a_project_whose_only_contributors_left_long_ago_has_no_candidates(small):
    quiet = Repository.objects.create(
        github_id=2, owner_login="acme", name="quiet", full_name="acme/quiet"
    )
    old = Actor.objects.create(github_id=950, login="old-timer")
    for n, month in enumerate(("01", "02", "03"), start=1):
        PullRequest.objects.create(
            github_id=95000 + n,
            repository=quiet,
            number=n,
            title="Change",
            state="closed",
            author=old,
            created_at=at(f"2020-{month}-10"),
            updated_at=at(f"2020-{month}-11"),
            closed_at=at(f"2020-{month}-11"),
            merged_at=at(f"2020-{month}-11"),
        )
    derived_rebuild()
    rows = promotion_candidates(
        repository_ids=[small.repo.pk, quiet.pk], as_of=AS_OF, since=date(2019, 1, 1)
    )
    assert "old-timer" not in {r["login"] for r in rows}
    assert {r["project"] for r in rows} == {"mosn/layotto"}
