"""The risk rollups (dashboard/derived/risks.py) give the figures the facts give.

The risk selectors read a period's whole months from `RiskMonth`, the waits from
`ReviewWait` and organisations from `PersonOrganisation`. Each test computes the same figures
here from the facts alone (Python over the rows, not the selectors' SQL) and compares: for
periods that start and end on month edges, inside one month, or across years, in every
interval; after an ingest change rebuilt for one repository; and against a full rebuild.
"""

import datetime as dt
import statistics
from collections import Counter

import pytest
from django.core.cache import cache
from django.db.models import Q

from dashboard.definitions import organisations
from dashboard.definitions.buckets import bucket_start, period_bounds
from dashboard.definitions.contributions import LOGIN_PREFIX
from dashboard.definitions.risk_work import TIME_FIELDS, WORKS, bot_actor_ids, work_items
from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics import review_load, risks
from dashboard.models import OrganisationMonth, PersonOrganisation, ReviewWait, RiskMonth
from dashboard.pages.warm import default_views_warm
from ingest.models import Actor, AffiliationOverride, PullRequest, Review
from tests.factories import actor, commit, generated_world, pull_request, review
from tests.test_dashboard_cache import shared_cache  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

UNTIL = dt.date(2025, 3, 14)
PERIODS = [
    (dt.date(2023, 3, 15), UNTIL),  # the default shape: 365 days and more, cut at both ends
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31)),  # whole months only
    (dt.date(2024, 2, 10), dt.date(2024, 2, 20)),  # inside one month: no whole month
    (dt.date(2023, 5, 31), dt.date(2024, 8, 1)),  # one day of a month at each end
]


@pytest.fixture
def world():
    """generated_world (three projects, two years to UNTIL) with merges clicked by the
    reviewers, some profiles naming organisations, e-mail domain spells and an override."""
    built = generated_world(until=UNTIL, days=730)
    actors = {a.login: a for a in Actor.objects.all()}
    for pr in PullRequest.objects.filter(merged_at__isnull=False):
        first = Review.objects.filter(pull_request=pr).order_by("submitted_at").first()
        pr.merged_by = first.author if first else actors["dependabot[bot]"]
        pr.save(update_fields=["merged_by"])
    for i, login in enumerate(sorted(actors)):
        if i % 3 == 0:
            Actor.objects.filter(login=login).update(company=f"@Company{i % 4}")
    repo = next(iter(built["repos"].values()))
    for day in ("2024-03-05", "2024-03-06", "2024-09-01"):
        commit(repo, day, author=actors["dev07"], email="dev07@initech.com")
    AffiliationOverride.objects.create(
        login="dev08", organization="Umbrella", is_home=False, start=dt.date(2024, 6, 1)
    )
    derived_rebuild()
    return {"repos": built["repos"], "ids": sorted(r.id for r in built["repos"].values())}


def _day(when: dt.datetime) -> dt.date:
    return when.astimezone(dt.UTC).date()


def live_counts(work: str, *, ids, since: dt.date, until: dt.date, interval: str) -> Counter:
    """(project, person, bucket) -> items, from the facts' rows bucketed here."""
    start, end = period_bounds(since=since, until=until)
    found: Counter = Counter()
    for rid, person, when in work_items(work, repository_ids=ids, start=start, end=end).values_list(
        "repository_id", "person", TIME_FIELDS[work]
    ):
        found[(rid, person, bucket_start(_day(when), interval))] += 1
    return found


def test_work_counts_from_the_rollup_equal_the_facts_for_any_period(world):
    for since, until in PERIODS:
        for interval in ("month", "quarter", "year", "week"):
            for work in WORKS:
                rows = risks.work_counts(
                    work, repository_ids=world["ids"], since=since, until=until, interval=interval
                )
                got: Counter = Counter()
                for rid, person, bucket, n in rows:
                    got[(rid, person, bucket)] += n
                assert len(got) == len(rows), "one row per project, person and bucket"
                expected = live_counts(
                    work, ids=world["ids"], since=since, until=until, interval=interval
                )
                assert got == expected, (work, since, until, interval)
    # The world has every kind of work, and the rollup holds it.
    for work in WORKS:
        assert RiskMonth.objects.filter(work=work).count() > 10


def live_waiting(*, ids, until: dt.date) -> set[int]:
    """Pull requests open at `until`'s end, not drafts, by a person, that nobody but their
    author (and no bot) had reviewed by then (a pending review is no review)."""
    _, end = period_bounds(since=until, until=until)
    bots = set(bot_actor_ids())
    waiting = set()
    for pr in PullRequest.objects.filter(repository_id__in=ids, draft=False, created_at__lt=end):
        if pr.author_id is None or pr.author_id in bots:
            continue
        if pr.closed_at is not None and pr.closed_at < end:
            continue
        reviewed = Review.objects.filter(
            pull_request=pr, submitted_at__lt=end, author__isnull=False
        ).exclude(Q(author_id=pr.author_id) | Q(author_id__in=bots) | Q(state="PENDING"))
        if not reviewed.exists():
            waiting.add(pr.id)
    return waiting


def test_pull_requests_waiting_equal_the_facts_on_any_day(world):
    repo = next(iter(world["repos"].values()))
    people = {a.login: a for a in Actor.objects.all()}
    # Reviews that end no wait: the author's own, a bot's, a pending one; and one that does.
    own = pull_request(repo, people["dev01"], "2025-03-01 10:00")
    review(own, people["dev01"], "2025-03-02 10:00", state="COMMENTED")
    review(own, people["dependabot[bot]"], "2025-03-02 11:00", state="COMMENTED")
    review(own, people["dev02"], "2025-03-03 10:00", state="PENDING")
    later = pull_request(repo, people["dev03"], "2025-03-01 10:00")
    review(later, people["dev04"], "2025-03-10 10:00")
    pull_request(repo, people["dev05"], "2025-03-01 10:00", draft=True)
    pull_request(repo, people["dev05"], "2025-03-01 10:00", closed="2025-03-05 10:00")
    derived_rebuild(repository_ids=[repo.id])
    # The last day is after every wait's end: on PostgreSQL the summary then walks the
    # still-waiting index instead of aggregating both parts (the same figures either way).
    days = (dt.date(2023, 6, 30), dt.date(2024, 2, 29), dt.date(2025, 3, 4), UNTIL)
    for until in (*days, dt.date(2030, 1, 1)):
        expected = live_waiting(ids=world["ids"], until=until)
        got = set(
            review_load._waiting(repository_ids=world["ids"], until=until).values_list(
                "pull_request_id", flat=True
            )
        )
        assert got == expected
        summary = review_load.review_wait_summary.uncached(
            repository_ids=tuple(world["ids"]), until=until
        )
        assert summary["all"]["count"] == len(expected)
        assert summary == expected_wait_summary(world["ids"], until, expected)
        rows = list(review_load.waiting_rows(repository_ids=world["ids"], until=until, limit=5))
        assert len(rows) == min(5, len(expected))
        assert [r["opened_at"] for r in rows] == sorted(r["opened_at"] for r in rows)
    assert own.id in live_waiting(ids=world["ids"], until=dt.date(2025, 3, 4))
    assert later.id in live_waiting(ids=world["ids"], until=dt.date(2025, 3, 4))
    assert later.id not in live_waiting(ids=world["ids"], until=UNTIL)


def expected_wait_summary(ids, until: dt.date, waiting: set[int]) -> dict:
    """review_wait_summary's figures computed here from the waiting pull requests: ages at
    `until`'s end (or now, when that is still to come), median and oldest per project and
    of all together, and the oldest openings."""
    _, end = period_bounds(since=until, until=until)
    as_of = min(end, dt.datetime.now(dt.UTC))
    pulls = PullRequest.objects.filter(pk__in=waiting)

    def figures(opened: list[dt.datetime]) -> dict:
        ages = [(as_of - when).total_seconds() / 86400 for when in opened]
        if not ages:
            return {"count": 0, "median_age_days": None, "oldest_age_days": None}
        return {
            "count": len(ages),
            "median_age_days": round(statistics.median(ages), 1),
            "oldest_age_days": round(max(ages), 1),
        }

    return {
        "oldest_opened": sorted(p.created_at for p in pulls)[: review_load.OLDEST_KEPT],
        "all": figures([p.created_at for p in pulls]),
        "projects": {
            rid: figures([p.created_at for p in pulls if p.repository_id == rid]) for rid in ids
        },
    }


def live_organisations(*, ids, since: dt.date, until: dt.date) -> dict[int, Counter]:
    """Authored items per project and organisation, each on its day, from the evidence read
    live (`definitions.organisations`, the rule the rollup stores)."""
    start, end = period_bounds(since=since, until=until)
    items = list(
        work_items("authored", repository_ids=ids, start=start, end=end).values_list(
            "repository_id", "person", "occurred_at"
        )
    )
    logins = {p[len(LOGIN_PREFIX) :] for _, p, _ in items if p.startswith(LOGIN_PREFIX)}
    evidence = organisations.organisation_evidence(logins=logins)
    found: dict[int, Counter] = {}
    for rid, person, when in items:
        login = person[len(LOGIN_PREFIX) :].lower() if person.startswith(LOGIN_PREFIX) else ""
        known = evidence.get(login)
        organisation = (
            organisations.organisation_on(day=_day(when), evidence=known)
            if known is not None
            else organisations.UNKNOWN
        )
        found.setdefault(rid, Counter())[organisation] += 1
    return found


def _organisation_counts(*, ids, since: dt.date, until: dt.date) -> dict[int, Counter]:
    period = {"repository_ids": ids, "since": since, "until": until}
    rows = risks.work_counts("authored", **period, interval="month")
    return {rid: counts for rid, counts in risks._organisation_counts(rows, **period).items()}


def test_organisations_from_the_rollup_equal_the_evidence_read_live(world):
    for since, until in PERIODS:
        expected = live_organisations(ids=world["ids"], since=since, until=until)
        assert _organisation_counts(ids=world["ids"], since=since, until=until) == expected
        overview = risks.risks_overview.uncached(
            repository_ids=tuple(world["ids"]), since=since, until=until, interval="month"
        )
        for rid in world["ids"]:
            counts = expected.get(rid, Counter())
            got = overview["elephant_projects"][rid]
            assert got["total"] == sum(counts.values())
            assert got["unknown"] == counts[organisations.UNKNOWN]
    # The profiles, the spell and the override are all in the rollup.
    assert PersonOrganisation.objects.filter(dated=True, login__in=["dev07", "dev08"]).count() == 2
    assert PersonOrganisation.objects.filter(dated=False).exclude(organisation="").exists()


def test_an_override_saved_after_the_rebuild_counts_at_once(world):
    period = {"repository_ids": tuple(world["ids"]), "since": PERIODS[0][0], "until": UNTIL}
    AffiliationOverride.objects.create(login="DEV10", organization="Hooli", is_home=False)
    cache.clear()
    expected = live_organisations(ids=world["ids"], since=period["since"], until=UNTIL)
    assert sum(counts["Hooli"] for counts in expected.values()) > 0
    assert _organisation_counts(ids=world["ids"], since=period["since"], until=UNTIL) == expected
    together: Counter = Counter()
    for counts in expected.values():
        together.update(counts)
    got = risks.elephant_factor.uncached(**period)
    assert (got["total"], got["unknown"]) == (
        sum(together.values()),
        together[organisations.UNKNOWN],
    )


def _snapshot() -> dict[str, Counter]:
    return {
        "months": Counter(
            RiskMonth.objects.values_list("repository_id", "work", "person", "month", "items")
        ),
        "waits": Counter(
            ReviewWait.objects.values_list(
                "repository_id", "pull_request_id", "opened_at", "waited_until"
            )
        ),
        "organisations": Counter(
            PersonOrganisation.objects.values_list("login", "organisation", "dated")
        ),
        "organisation_months": Counter(
            OrganisationMonth.objects.values_list("repository_id", "month", "organisation", "items")
        ),
    }


def test_after_an_ingest_change_the_rollups_and_figures_follow(world):
    repo = next(iter(world["repos"].values()))
    ids, since = world["ids"], dt.date(2024, 3, 15)
    period = {"repository_ids": tuple(ids), "since": since, "until": UNTIL}
    before = risks.risks_overview.uncached(**period, interval="month")
    people = {a.login: a for a in Actor.objects.all()}
    # New facts in one repository: a newcomer's commits in a whole month, a merge by a new
    # maintainer, a review that ends a wait, and a profile that names an organisation.
    zed = actor("zed", company="Zorg Inc")
    for day in range(1, 21):
        commit(repo, f"2024-11-{day:02d}", author=zed)
    merged = pull_request(
        repo, people["dev09"], "2024-11-02", merged="2024-11-03", merged_by=people["dev11"]
    )
    review(merged, zed, "2024-11-02 12:00")
    waiting = ReviewWait.objects.filter(repository_id=repo.id, waited_until__isnull=True).first()
    review(PullRequest.objects.get(pk=waiting.pull_request_id), zed, "2025-03-10")
    derived_rebuild(repository_ids=[repo.id])
    after = risks.risks_overview.uncached(**period, interval="month")
    incremental = _snapshot()
    derived_rebuild()
    assert _snapshot() == incremental, "rebuilding one repository = rebuilding all"
    # The figures follow the facts.
    for work in WORKS:
        assert after["absence"][work]["total"] == sum(
            live_counts(work, ids=ids, since=since, until=UNTIL, interval="month").values()
        )
    # zed's 20 commits and dev09's pull request; dev11's merge.
    assert after["absence"]["authored"]["total"] == before["absence"]["authored"]["total"] + 21
    assert after["absence"]["merges"]["total"] == before["absence"]["merges"]["total"] + 1
    assert after["elephant"]["total"] == before["elephant"]["total"] + 21
    assert _organisation_counts(ids=ids, since=since, until=UNTIL) == live_organisations(
        ids=ids, since=since, until=UNTIL
    )
    assert ReviewWait.objects.get(pull_request_id=waiting.pull_request_id).waited_until is not None
    assert review_load.review_wait_summary.uncached(repository_ids=tuple(ids), until=UNTIL)["all"][
        "count"
    ] == len(live_waiting(ids=ids, until=UNTIL))


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_fills_the_risks_page_and_every_badge(
    world,
    shared_cache,  # noqa: F811 (the fixture imported above)
    client,
    django_assert_max_num_queries,
):
    assert "risks" in default_views_warm()
    badges = [f"/badges/{name}.svg" for name in world["repos"]]
    warm = []
    for path in badges:
        with django_assert_max_num_queries(8) as queries:
            assert client.get(path).status_code == 200
        warm.append(len(queries.captured_queries))
    cache.clear()
    with django_assert_max_num_queries(200) as cold:
        assert client.get(badges[0]).status_code == 200
    # Cold, the badge measures every project; warm, it reads the measures the warm-up left.
    assert max(warm) < len(cold.captured_queries)
