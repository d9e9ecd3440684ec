"""Dashboard numbers on a small hand-made world, checked against plain-Python counts of it."""

import datetime as dt
import statistics
from collections import Counter

import pytest

from dashboard.definitions.buckets import INTERVALS, bucket_count, bucket_starts
from dashboard.definitions.contributions import KIND_GROUPS
from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.activity import activity_by_interval
from dashboard.metrics.newcomers import (
    new_contributors_by_interval,
    new_contributors_by_year,
    newcomer_retention_by_month,
    newcomers_list,
    newcomers_waiting,
)
from dashboard.metrics.overview import project_summaries
from dashboard.metrics.people import (
    KIND_TITLES,
    contributions_by_project,
    contributors_of_projects,
    person_contributions,
)
from dashboard.models import ContributionEvent
from ingest.models import BotAccount, PullRequest
from tests.factories import (
    WORLD_BOTS,
    WORLD_CONTRIBUTIONS,
    actor,
    at,
    comment,
    commit,
    small_world,
    world_person_key,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def world():
    built = small_world()
    derived_rebuild()
    built["ids"] = [r.id for r in built["repos"].values()]
    return built


def expected_firsts(*, kinds, per_project: bool) -> dict:
    """(person[, repo]) -> (when, repo, kind) of the first contribution, from the world list."""
    firsts: dict = {}
    for person, repo, kind, when in WORLD_CONTRIBUTIONS:
        if person in WORLD_BOTS or kind not in kinds:
            continue
        key = (person, repo) if per_project else person
        if key not in firsts or at(when) < firsts[key][0]:
            firsts[key] = (at(when), repo, kind)
    return firsts


def test_rollup_holds_every_contribution_with_bots_flagged(world):
    rows = Counter(
        (e["person_key"], e["kind"], e["is_bot"])
        for e in ContributionEvent.objects.values("person_key", "kind", "is_bot")
    )
    expected = Counter(
        (world_person_key(p), kind, p in WORLD_BOTS) for p, _, kind, _ in WORLD_CONTRIBUTIONS
    )
    assert rows == expected


@pytest.mark.parametrize("narrowed", [False, True])
@pytest.mark.parametrize("kind", ["default", "any", "issue"])
def test_new_contributors_per_month_match_the_world(world, narrowed, kind):
    firsts = expected_firsts(kinds=KIND_GROUPS[kind], per_project=narrowed)
    expected = Counter(
        (first.strftime("%Y-%m")) for first, _, _ in firsts.values() if first.year == 2024
    )
    series = new_contributors_by_interval(
        repository_ids=world["ids"],
        narrowed=narrowed,
        kind=kind,
        since=dt.date(2024, 1, 1),
        until=dt.date(2024, 12, 31),
        interval="month",
        stack="project",
    )
    assert series["labels"][0] == "2024-01" and len(series["labels"]) == 12
    assert dict(zip(series["labels"], series["total"], strict=True)) == {
        f"2024-{m:02d}": expected.get(f"2024-{m:02d}", 0) for m in range(1, 13)
    }


def test_new_contributors_stacked_by_project_of_first_contribution(world):
    firsts = expected_firsts(kinds=KIND_GROUPS["default"], per_project=False)
    per_repo = Counter(repo for when, repo, _ in firsts.values() if when.year == 2024)
    series = new_contributors_by_interval(
        repository_ids=world["ids"],
        narrowed=False,
        kind="default",
        since=dt.date(2024, 1, 1),
        until=dt.date(2024, 12, 31),
        interval="year",
        stack="project",
    )
    assert {d["label"]: sum(d["data"]) for d in series["datasets"]} == dict(per_repo)


def test_new_contributors_by_year_with_change(world):
    firsts = expected_firsts(kinds=KIND_GROUPS["default"], per_project=False)
    per_year = Counter(when.year for when, _, _ in firsts.values())
    rows = new_contributors_by_year(
        repository_ids=world["ids"], narrowed=False, kind="default", until=dt.date(2024, 12, 31)
    )
    assert [(r["year"], r["new_contributors"]) for r in rows] == sorted(per_year.items())
    assert rows[1]["change"] == per_year[2024] - per_year[2023]
    assert rows[1]["change_percent"] == round(
        100 * (per_year[2024] - per_year[2023]) / per_year[2023], 1
    )


def test_retention_counts_people_seen_again_after_n_days(world):
    until = dt.date(2024, 12, 31)
    firsts = expected_firsts(kinds=KIND_GROUPS["default"], per_project=False)
    rows = {
        r["month"]: r
        for r in newcomer_retention_by_month(
            repository_ids=world["ids"],
            narrowed=False,
            kind="default",
            since=dt.date(2024, 1, 1),
            until=until,
        )
    }
    for month, row in rows.items():
        cohort = [
            p
            for p, (when, _, _) in firsts.items()
            if (when.year, when.month) == (month.year, month.month)
        ]
        assert row["newcomers"] == len(cohort)
        for days in (30, 90, 180):
            back = [
                p
                for p in cohort
                if any(
                    person == p and at(when) >= firsts[p][0] + dt.timedelta(days=days)
                    for person, _, _, when in WORLD_CONTRIBUTIONS
                )
            ]
            assert row[f"retained_{days}d"] == round(100 * len(back) / len(cohort), 1)
    # carol (first PR 2024-03-10) commented 2024-07-01: back after 30 and 90 days, not 180.
    march = rows[dt.date(2024, 3, 1)]
    assert march["retained_90d"] > 0 and march["retained_180d"] == 0


def test_newcomers_list_links_first_contribution_and_waiting_list(world):
    rows = list(
        newcomers_list(
            repository_ids=world["ids"],
            narrowed=False,
            kind="default",
            since=dt.date(2024, 1, 1),
            until=dt.date(2024, 12, 31),
        )
    )
    dave = world_person_key("dave@example.org")
    by_person = {r["person_key"]: r for r in rows}
    assert set(by_person) == {"login:bob", dave, "login:carol", "login:erin"}
    assert by_person["login:bob"]["url"].startswith("https://github.com/acme/alpha/pull/")
    assert "/commit/" in by_person[dave]["url"]
    # Shown by login, or by git name for a person without one.
    assert {r["person"] for r in rows} == {"bob", "dave", "carol", "erin"}
    waiting = newcomers_waiting(
        repository_ids=world["ids"],
        narrowed=False,
        kind="default",
        since=dt.date(2024, 1, 1),
        until=dt.date(2024, 12, 31),
    )
    # erin's and carol's first pull requests are open and unanswered, oldest first.
    assert [r["login"] for r in waiting] == ["erin", "carol"]


def test_activity_counts_and_medians_per_month(world):
    result = activity_by_interval(
        repository_ids=world["ids"],
        since=dt.date(2024, 1, 1),
        until=dt.date(2024, 6, 30),
        interval="month",
    )
    m = result["metrics"]
    january = [(p, k) for p, _, k, w in WORLD_CONTRIBUTIONS if w.startswith("2024-01")]
    assert m["prs_opened"][0] == sum(1 for _, k in january if k == "pull_request")
    assert m["commits"][0] == sum(1 for _, k in january if k == "commit")
    assert m["reviews"][0] == 1
    assert m["active_contributors"][0] == len({p for p, _ in january if p not in WORLD_BOTS})
    assert m["prs_merged"][:2] == [2, 0]  # bob's and dependabot's
    assert m["issues_closed"][1] == 1
    # January PRs: bob 24 h, dependabot 2 h to first response -> median 13 h.
    assert m["median_first_response_hours"][0] == statistics.median([24, 2])
    assert m["median_time_to_merge_hours"][0] == statistics.median([5 * 24, 24])
    assert m["median_first_response_hours"][2] is None  # erin's PR has no answer yet


def test_overview_rows_per_project(world):
    rows = {
        r["project"]: r
        for r in project_summaries(
            repository_ids=world["ids"], since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31)
        )
    }
    assert set(rows) == set(world["repos"])
    alpha = rows["acme/alpha"]
    # 90 days to 2024-12-31: nobody was active in alpha.
    assert alpha["active_contributors_90d"] == 0
    firsts = expected_firsts(kinds=KIND_GROUPS["default"], per_project=True)
    for name, row in rows.items():
        assert row["new_contributors_this_year"] == sum(
            1 for (p, repo), (when, _, _) in firsts.items() if repo == name and when.year == 2024
        )
        assert row["new_contributors_last_year"] == sum(
            1 for (p, repo), (when, _, _) in firsts.items() if repo == name and when.year == 2023
        )
    assert alpha["merged_prs"] == 2 and alpha["open_prs_unanswered"] == 1
    assert alpha["last_activity"] == at("2024-05-20 09:00")
    assert alpha["sparkline"] == [
        sum(
            1
            for p, repo, _, when in WORLD_CONTRIBUTIONS
            if repo == "acme/alpha" and p not in WORLD_BOTS and when.startswith(f"2024-{month:02d}")
        )
        for month in range(1, 13)
    ]
    june = {
        r["project"]: r
        for r in project_summaries(
            repository_ids=world["ids"], since=dt.date(2024, 1, 1), until=dt.date(2024, 5, 29)
        )
    }
    # 90 days ending 2024-05-29 start 2024-03-01: erin (03-01) and bob (05-20).
    assert june["acme/alpha"]["active_contributors_90d"] == 2


def test_overview_counts_of_a_period_cut_mid_month_at_both_ends(world):
    # Whole months come from the monthly rollup, the days around them from the daily one.
    since, until = dt.date(2023, 12, 10), dt.date(2024, 5, 25)
    rows = {
        r["project"]: r
        for r in project_summaries(repository_ids=world["ids"], since=since, until=until)
    }
    months = [
        f"{year}-{month:02d}"
        for year, month in [(2023, m) for m in range(6, 13)] + [(2024, m) for m in range(1, 6)]
    ]
    for name, row in rows.items():
        assert (
            row["merged_prs"]
            == PullRequest.objects.filter(
                repository__full_name=name, merged_at__date__gte=since, merged_at__date__lte=until
            ).count()
        )
        assert row["sparkline"] == [
            sum(
                1
                for p, repo, _, when in WORLD_CONTRIBUTIONS
                if repo == name
                and p not in WORLD_BOTS
                and when.startswith(month)
                and when[:10] <= until.isoformat()
            )
            for month in months
        ]
    assert sum(row["merged_prs"] for row in rows.values()) > 0
    assert any(row["sparkline"][-1] for row in rows.values())  # the cut month counts


def test_person_contributions_across_projects(world):
    rows = {
        r["project"]: r
        for r in contributions_by_project(
            person_key="login:bob", since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31)
        )
    }
    assert rows["acme/alpha"]["pull_requests"] == 1 and rows["acme/alpha"]["comments"] == 1
    assert rows["acme/alpha"]["issues"] == 0  # the 2023 issue is before the period
    assert rows["acme/alpha"]["first"] == at("2023-12-20 12:00")
    assert rows["acme/beta"]["commits"] == 1


def test_person_page_reads_projects_and_chart_from_one_query(world, django_assert_num_queries):
    since, until = dt.date(2023, 12, 1), dt.date(2024, 6, 30)
    with django_assert_num_queries(2):  # the period's counts, then the projects' first/last
        rows, chart = person_contributions(
            person_key="login:bob", since=since, until=until, interval="month"
        )
    assert rows == contributions_by_project(person_key="login:bob", since=since, until=until)
    months = bucket_starts(since=since, until=until, interval="month")
    assert {d["label"]: d["data"] for d in chart["datasets"]} == {
        title: [
            sum(
                1
                for p, _, k, when in WORLD_CONTRIBUTIONS
                if p == "bob" and k == kind and when.startswith(f"{month:%Y-%m}")
            )
            for month in months
        ]
        for kind, title in KIND_TITLES.items()
    }


def test_project_contributors_with_their_first_contribution_there(world):
    since, until = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    firsts = expected_firsts(kinds=KIND_GROUPS["any"], per_project=True)
    for name, repo in world["repos"].items():
        rows = list(contributors_of_projects(repository_ids=[repo.id], since=since, until=until))
        period = Counter(
            p
            for p, r, _, when in WORLD_CONTRIBUTIONS
            if r == name and p not in WORLD_BOTS and since <= at(when).date() <= until
        )
        assert [(r["person_key"], r["total"]) for r in rows] == sorted(
            ((world_person_key(p), n) for p, n in period.items()),
            key=lambda row: (-row[1], row[0]),
        )
        assert {r["person_key"]: r["first"] for r in rows} == {
            world_person_key(p): firsts[(p, name)][0] for p in period
        }


def test_configured_bot_logins_are_not_contributors(world):
    helper = actor("release-helper")
    commit(world["repos"]["acme/beta"], "2024-08-01", author=helper)
    BotAccount.objects.create(login="release-helper")
    derived_rebuild(repository_ids=[world["repos"]["acme/beta"].id])
    assert ContributionEvent.objects.get(login="release-helper").is_bot
    rows = list(
        newcomers_list(
            repository_ids=world["ids"],
            narrowed=False,
            kind="default",
            since=dt.date(2024, 8, 1),
            until=dt.date(2024, 8, 31),
        )
    )
    assert rows == []


def test_partial_rebuild_keeps_other_repositories(world):
    before = ContributionEvent.objects.count()
    gamma = world["repos"]["other/gamma"]
    commit(gamma, "2024-09-09", email="frank@example.org")
    derived_rebuild(repository_ids=[gamma.id])
    assert ContributionEvent.objects.count() == before + 1
    firsts = list(
        newcomers_list(
            repository_ids=world["ids"],
            narrowed=False,
            kind="default",
            since=dt.date(2024, 9, 1),
            until=dt.date(2024, 9, 30),
        )
    )
    assert [r["person_key"] for r in firsts] == [world_person_key("frank@example.org")]


def test_rebuild_task_is_routed_to_the_rollups_queue_and_consumes_recorded_changes(world):
    from config.celery import app
    from dashboard.tasks import rebuild_derived
    from ingest.changes import facts_changed, facts_pending

    assert rebuild_derived.name == "dashboard.rebuild_derived"
    route = app.amqp.router.route({}, "dashboard.rebuild_derived")
    assert route["queue"].name == "rollups"
    ContributionEvent.objects.all().delete()
    facts_changed(repository_ids=world["ids"][:1])
    version = rebuild_derived.apply().get()
    assert version >= 1 and facts_pending() == {}
    assert ContributionEvent.objects.count() == sum(
        1 for _, repo, _, _ in WORLD_CONTRIBUTIONS if repo == "acme/alpha"
    )
    assert rebuild_derived.apply().get() == 0  # nothing left to consume


def test_drafts_are_not_awaiting_a_response(world):
    from tests.factories import pull_request

    alpha = world["repos"]["acme/alpha"]
    pull_request(alpha, world["people"]["bob"], "2024-06-01", draft=True)
    derived_rebuild()
    rows = {
        r["project"]: r
        for r in project_summaries(
            repository_ids=world["ids"], since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31)
        )
    }
    assert rows["acme/alpha"]["open_prs_unanswered"] == 1  # erin's, not bob's draft


def test_a_review_comment_alone_makes_a_contributor(world):
    """Someone whose only trace is a comment on a pull request's diff is a contributor: active
    that month, new by the `comment` and `any` kinds, and shown with one comment."""

    def july(kind: str) -> tuple[int, int]:
        from django.core.cache import cache

        cache.clear()
        args = {
            "repository_ids": world["ids"],
            "since": dt.date(2024, 7, 1),
            "until": dt.date(2024, 7, 31),
            "interval": "month",
        }
        active = activity_by_interval(**args)["metrics"]["active_contributors"][0]
        new = new_contributors_by_interval(**args, narrowed=False, kind=kind, stack="project")
        return active, new["total"][0]

    before = {kind: july(kind) for kind in ("comment", "any", "default")}
    alpha = world["repos"]["acme/alpha"]
    comment(alpha, actor("zoe"), "2024-07-15 10:00", number=1, kind="review")
    derived_rebuild()
    after = {kind: july(kind) for kind in ("comment", "any", "default")}
    assert after["comment"] == (before["comment"][0] + 1, before["comment"][1] + 1)
    assert after["any"][1] == before["any"][1] + 1
    assert after["default"][1] == before["default"][1]  # not a pull request or commit
    rows = contributions_by_project(
        person_key="login:zoe", since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31)
    )
    assert [(r["project"], r["comments"]) for r in rows] == [("acme/alpha", 1)]


@pytest.mark.parametrize("interval", INTERVALS)
def test_bucket_count_counts_the_buckets_a_chart_lists(interval):
    # Periods starting and ending on every kind of edge (a bucket's first or last day, the
    # middle, a leap day), up to six years long, and an empty one (until before since).
    days = [dt.date(2019, 12, 29) + dt.timedelta(days=n) for n in range(0, 2300, 37)]
    days += [dt.date(2020, 2, 29), dt.date(2023, 12, 31), dt.date(2024, 1, 1)]
    for since in days:
        for until in days:
            expected = len(bucket_starts(since=since, until=until, interval=interval))
            assert bucket_count(since=since, until=until, interval=interval) == expected
