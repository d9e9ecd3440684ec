"""KPI-gaming flags on hand-made worlds: each rule's edges (docs/metrics.md, "Flags").

Expected values are written out from the rule: a flood is at least max(floor, 3 x the project's
usual count of trivial pull requests per 30 days over the year before) in 30 days; a burst day
is at least max(20, 10 x the mean stars per day of the 90 days before), mostly from fresh
accounts (created at most 30 days before the star, no contribution anywhere).
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.flags import flag_counts_by_project, flags_raised, flags_raised_on
from dashboard.models import Flag
from ingest.models import Actor, Star
from tests.factories import actor, at, issue, pull_request, repository

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
START = at("2024-03-01")


@pytest.fixture(autouse=True)
def github(settings):
    settings.GITHUB_API_URL = "https://api.github.com"


def trivial(repo, author, when, *, title="Fix typo in README.md", lines=2, files=1):
    pull = pull_request(repo, author, when.strftime("%Y-%m-%d %H:%M"), title=title)
    type(pull).objects.filter(pk=pull.pk).update(
        additions=lines // 2, deletions=lines - lines // 2, changed_files=files
    )
    return pull


def flags(kind=None):
    found = Flag.objects.order_by("window_start")
    return list(found.filter(kind=kind) if kind else found)


def test_five_typo_pull_requests_from_a_new_account_in_30_days_are_a_flood():
    repo = repository("acme/core")
    speedy = actor("speedy")
    numbers = [trivial(repo, speedy, START + n * 6 * DAY).number for n in range(5)]  # 24 days
    derived_rebuild()
    [flag] = flags()
    assert (flag.kind, flag.subject, flag.count, flag.threshold) == (
        "pr_flood_author",
        "speedy",
        5,
        5,
    )
    assert [e["number"] for e in flag.evidence] == numbers
    assert flag.raised_at == START + 24 * DAY and flag.window_start == START
    [row] = flags_raised(
        repository_ids=[repo.pk], since=dt.date(2024, 3, 1), until=dt.date(2024, 3, 31)
    )
    assert row["evidence"][0] == {
        "label": f"#{numbers[0]}",
        "url": f"https://github.com/acme/core/pull/{numbers[0]}",
    }
    assert row["url"] == "https://github.com/acme/core/pulls?q=is%3Apr%20author%3Aspeedy"
    assert "speedy" in row["summary"] and "5 trivial pull requests" in row["summary"]
    # Seen from other days: not before the flood, raised on the day of its fifth one.
    assert not flags_raised(
        repository_ids=[repo.pk], since=dt.date(2024, 2, 1), until=dt.date(2024, 2, 29)
    )
    assert flags_raised_on(
        repository_ids=[repo.pk], since=dt.date(2024, 3, 25), until=dt.date(2024, 3, 25)
    )
    assert not flags_raised_on(
        repository_ids=[repo.pk], since=dt.date(2024, 3, 1), until=dt.date(2024, 3, 24)
    )
    assert flag_counts_by_project(
        repository_ids=[repo.pk], since=dt.date(2024, 3, 1), until=dt.date(2024, 12, 31)
    ) == {repo.pk: 1}


@pytest.mark.parametrize(
    "case",
    [
        "four in 30 days",
        "five over 32 days",
        "not new: first contribution 60 days before",
        "too big: 12 lines",
        "too many files: 4",
        "not a typo or docs title",
        "a bot",
    ],
)
def test_just_under_each_edge_of_the_author_rule_raises_nothing(case):
    repo = repository("acme/core")
    speedy = actor("speedy", is_bot=case == "a bot")
    count, step, lines, files, title = 5, 6, 2, 1, "docs: fix spelling"
    if case == "four in 30 days":
        count = 4
    elif case == "five over 32 days":
        step = 8  # any 30 days hold four of them
    elif case.startswith("not new"):
        issue(repo, speedy, (START - 60 * DAY).strftime("%Y-%m-%d"))
    elif case.startswith("too big"):
        lines = 12
    elif case.startswith("too many files"):
        files = 4
    elif case.startswith("not a typo"):
        title = "Bump version to 1.2.3"
    for n in range(count):
        trivial(repo, speedy, START + n * step * DAY, title=title, lines=lines, files=files)
    derived_rebuild()
    assert flags() == []


def test_a_project_used_to_trivial_pull_requests_needs_three_times_its_usual_count():
    repo = repository("acme/core")
    # The year before: 60 trivial pull requests from a regular contributor, about 4.9 per 30
    # days (60 x 30 / 365 = 4.93): a flood there is ceil(3 x 4.93) = 15.
    regular = actor("regular")
    issue(repo, regular, "2022-01-10")  # long known there: not a new account's flood
    for n in range(60):
        trivial(repo, regular, START - 365 * DAY + n * 6 * DAY + dt.timedelta(hours=1))
    newcomer = actor("newcomer")
    for n in range(14):
        trivial(repo, newcomer, START + n * 2 * DAY)
    derived_rebuild()
    assert flags("pr_flood_author") == [], "14 is under 15"
    # (As new accounts' trivial pull requests, the project's usual count is 0: the 14 are a
    # project-wide flood, whose floor is 10.)
    assert [f.count for f in flags("pr_flood_project")] == [14]
    trivial(repo, newcomer, START + 28 * DAY)
    derived_rebuild()
    [flag] = flags("pr_flood_author")
    assert (flag.subject, flag.count, flag.threshold) == ("newcomer", 15, 15)
    assert flag.baseline == pytest.approx(60 * 30 / 365, abs=1e-3)


def test_ten_new_accounts_with_one_typo_fix_each_in_30_days_are_a_project_flood():
    repo = repository("acme/core")
    for n in range(9):
        trivial(repo, actor(f"drive-by-{n}"), START + n * 3 * DAY, title="Update CONTRIBUTING.md")
    derived_rebuild()
    assert flags() == [], "nine is under ten"
    last = trivial(repo, actor("drive-by-9"), START + 29 * DAY, title="fix typo")
    derived_rebuild()
    [flag] = flags()
    assert (flag.kind, flag.subject, flag.count, flag.threshold) == ("pr_flood_project", "", 10, 10)
    assert flag.evidence[-1] == {
        "number": last.number,
        "login": "drive-by-9",
        "at": (START + 29 * DAY).isoformat(),
    }
    [row] = flags_raised(
        repository_ids=[repo.pk], since=dt.date(2024, 1, 1), until=dt.date(2024, 12, 31)
    )
    assert row["url"] == "https://github.com/acme/core/pulls"
    assert "10 trivial pull requests from 10 new accounts" in row["summary"]


# -- star bursts --------------------------------------------------------------------------

BURST = at("2024-06-12")


def stars(repo, count, *, when, fresh=True, prefix="fan", created=None):
    """`count` stars on one day; fresh accounts made two days before, else years before."""
    made = []
    for n in range(count):
        account = actor(
            f"{prefix}-{n}",
            created_at=created
            if created is not None
            else (when - 2 * DAY if fresh else at("2015-01-01")),
        )
        Star.objects.create(
            repository=repo, actor=account, starred_at=when + n * dt.timedelta(minutes=10)
        )
        made.append(account)
    return made


def usual_stars(repo, per_day: int) -> None:
    for day in range(1, 91):
        stars(repo, per_day, when=BURST - day * DAY, fresh=False, prefix=f"old-{day}")


def test_twenty_stars_in_a_day_from_fresh_accounts_are_a_burst():
    repo = repository("mosn/layotto")
    usual_stars(repo, 1)  # baseline 1 a day: the threshold is max(20, 10) = 20
    stars(repo, 20, when=BURST)
    derived_rebuild()
    [flag] = flags()
    assert (flag.kind, flag.count, flag.threshold, flag.baseline) == ("star_burst", 20, 20, 1.0)
    assert flag.evidence[0] == {"day": "2024-06-12", "stars": 20, "fresh": 20}
    assert flag.evidence[1]["fresh"] == 20 and "fan-0" in flag.evidence[1]["accounts"]
    [row] = flags_raised(
        repository_ids=[repo.pk], since=dt.date(2024, 6, 12), until=dt.date(2024, 6, 12)
    )
    assert row["url"] == "https://github.com/mosn/layotto/stargazers"
    assert {"label": "fan-0", "url": "https://github.com/fan-0"} in row["evidence"]
    assert row["evidence"][0]["label"] == "2024-06-12: 20 stars (20 fresh)"


@pytest.mark.parametrize(
    "case",
    ["19 stars", "under ten times the baseline", "half fresh minus one", "active accounts"],
)
def test_just_under_each_edge_of_the_star_rule_raises_nothing(case):
    repo = repository("mosn/layotto")
    if case == "under ten times the baseline":
        usual_stars(repo, 3)  # threshold 30
        stars(repo, 29, when=BURST)
    elif case == "19 stars":
        stars(repo, 19, when=BURST)
    elif case == "half fresh minus one":
        stars(repo, 9, when=BURST)
        stars(repo, 11, when=BURST, fresh=False, prefix="old")
    else:
        made = stars(repo, 20, when=BURST)
        other = repository("mosn/mosn")
        for account in made[:11]:  # 11 of 20 contributed: 9 fresh, under half
            issue(other, account, "2024-06-20")
    derived_rebuild()
    assert flags() == []


def test_half_fresh_is_enough_and_an_unknown_creation_date_is_not_fresh():
    repo = repository("mosn/layotto")
    stars(repo, 10, when=BURST)
    stars(repo, 10, when=BURST, fresh=False, prefix="old")
    derived_rebuild()
    assert [f.count for f in flags()] == [20]
    Actor.objects.filter(login="fan-0").update(created_at=None)
    derived_rebuild()
    assert flags() == [], "9 fresh of 20"


def text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_the_risks_page_and_the_project_page_show_flags_with_their_evidence_links(client):
    repo = repository("acme/core")
    speedy = actor("speedy")
    numbers = [trivial(repo, speedy, START + n * DAY).number for n in range(5)]
    derived_rebuild()
    period = "since=2024-01-01&until=2024-12-31"
    for path, table in (("/risks/", "flags"), ("/projects/acme/core/", "risk_flags")):
        page = client.get(f"{path}?{period}")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Flags: possible KPI gaming" in html and "Flags: evidence" in html
        for number in numbers:
            assert f'href="https://github.com/acme/core/pull/{number}"' in html
        exported = text(client.get(f"{path}?{period}&format=csv&table={table}"))
        header, row = exported.strip().splitlines()
        assert header.startswith("Project,Flag,Account,From,To,Raised on,Count,Threshold")
        assert row.startswith("acme/core,Trivial pull request flood (one account),speedy,")
        evidence = client.get(
            f"{path}?{period}&format=json&table={table.replace('flags', 'flag_evidence')}"
        )
        assert evidence.status_code == 200 and f"#{numbers[0]}" in text(evidence)
    # A period before the flood shows none.
    quiet = client.get("/risks/?since=2023-01-01&until=2023-12-31&format=csv&table=flags")
    assert text(quiet).strip().count("\n") == 0
