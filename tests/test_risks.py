"""Risks: absence factors, merge dependency, elephant factor, review load and review wait, on
a hand-made world whose expected values are worked out by hand below (docs/metrics.md,
"Risks"), and the risks page and a project page's risk section.

The world, 2024-01-01..2024-06-30 (the period of every test):

acme/alpha, authored work (commits + pull requests opened), 20 items:
  ann 10 commits (January, at ann@initech.com), bob 5 commits (February),
  cat 3 pull requests, dan 1, eve 1 (opened 2024-02-10, all merged by ann on 2024-03-05),
  and 30 commits + 10 pull requests by dependabot[bot] (its pull requests merged by itself).
  Ranked 10, 5, 3, 1, 1: ann's 10 is exactly half, which is enough (CHAOSS: "make up 50%"),
  so the factor is 1.
  Merges: ann 5 of 5 (the bot's 10 do not count): factor 1, and 5 merges -> flagged.
  Reviews on others' pull requests: bob 3 (one on each of cat's), cat 1 (on dan's), dan 1
  (on eve's) = 5; cat's 5 reviews of her own pull request and codecov[bot]'s 4 do not count.
  bob's 3 > 2.5: factor 1, top reviewer bob with 60%.
  Per month: January ann alone -> 1; February bob 5, cat 3, dan 1, eve 1 (10) -> 1 (5 of 10).
acme/beta: ann 2 commits (May, personal address), bob 2 commits, cat 2 and dan 2 pull requests
  (opened 2024-04-01, merged by bob 2024-04-10): 8 items, 2 each -> factor 2 (2 < 4, 2 + 2 = 4
  is half). Merges: bob 4 of 4 -> factor 1, but fewer than 5 merges: not flagged.
Together (alpha + beta): authored ann 12, bob 7, cat 5, dan 3, eve 1 = 28 -> 2 (12 < 14,
  12 + 7 >= 14);
  merges ann 5, bob 4 = 9 -> 1 (5 > 4.5), flagged.

Organisations: ann initech.com while committing at that domain (January), the profile's
"Acme Corp." (-> acme) otherwise; bob "@Globex Inc" (-> globex); cat nothing (unknown);
dan an admin override "Umbrella" from 2024-01-01; eve "Ant Group" (the home organisation).
  alpha: initech.com 10, globex 5, umbrella 1, Ant Group 1, unknown 3 of 20 -> known 17,
  10 > 8.5: elephant factor 1; unknown 15.0%.
  alpha + beta: initech.com 10, globex 7, Umbrella 3, acme 2, Ant Group 1, unknown 5 of 28 ->
  known 23: 10 is less than 11.5, 10 + 7 is more: elephant factor 2 (initech.com 43.5%, globex
  30.4%); unknown 17.9%.

acme/gamma (review wait on 2024-06-30, ages to 2024-07-01 00:00):
  #1 cat, opened 06-20, no review -> waiting 11 days; #2 dan, opened 06-10, reviewed only by dan
  himself and a bot -> waiting 21 days; #3 eve, opened 06-01, reviewed by bob 06-05 -> not;
  #4 eve, draft -> not; #5 cat, closed 04-15 -> not; #6 the bot's -> not; #7 bob, opened 05-31,
  reviewed by ann only on 07-10 -> waiting 31 days. Count 3, median 21, oldest 31.
"""

import csv
import io
import json
from datetime import date

import pytest

from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.review_load import (
    maintainer_load_by_month,
    prs_waiting_first_review,
    review_load_by_person,
    review_wait,
    top_reviewer_share,
)
from dashboard.metrics.risks import (
    absence_factor,
    absence_factor_by_interval,
    absence_factors_by_project,
    elephant_factor,
    elephant_factors_by_project,
)
from ingest.models import AffiliationOverride
from tests.factories import actor, commit, pull_request, repository, review

pytestmark = pytest.mark.django_db

SINCE, UNTIL = date(2024, 1, 1), date(2024, 6, 30)


@pytest.fixture
def world():
    alpha, beta, gamma = (repository(f"acme/{n}") for n in ("alpha", "beta", "gamma"))
    ann = actor("ann", company="Acme Corp.")
    bob = actor("bob", company="@Globex Inc")
    cat = actor("cat")
    dan = actor("dan")
    eve = actor("eve", company="Ant Group")
    bot = actor("dependabot[bot]")
    codecov = actor("codecov[bot]")
    AffiliationOverride.objects.create(
        login="dan", organization="Umbrella", is_home=False, start=date(2024, 1, 1)
    )
    # alpha
    for day in range(5, 15):
        commit(alpha, f"2024-01-{day:02d}", author=ann, email="ann@initech.com")
    for day in range(1, 31):
        commit(alpha, f"2024-01-{day:02d}", author=bot)
    for day in range(1, 6):
        commit(alpha, f"2024-02-{day:02d}", author=bob, email="bob@users.noreply.github.com")
    merged = {}
    for author, count in ((cat, 3), (dan, 1), (eve, 1)):
        for _ in range(count):
            pr = pull_request(alpha, author, "2024-02-10", merged="2024-03-05", merged_by=ann)
            merged.setdefault(author.login, []).append(pr)
    for _ in range(10):
        pull_request(alpha, bot, "2024-03-01", merged="2024-03-02", merged_by=bot)
    for pr in merged["cat"]:
        review(pr, bob, "2024-02-20")
    review(merged["dan"][0], cat, "2024-02-21")
    review(merged["eve"][0], dan, "2024-02-22")
    for _ in range(5):
        review(merged["cat"][0], cat, "2024-02-23", state="COMMENTED")
    for _ in range(4):
        review(merged["cat"][1], codecov, "2024-02-24", state="COMMENTED")
    # beta
    for day in (2, 3):
        commit(beta, f"2024-05-{day:02d}", author=ann, email="ann@gmail.com")
        commit(beta, f"2024-05-{day:02d}", author=bob)
    for author in (cat, cat, dan, dan):
        pull_request(beta, author, "2024-04-01", merged="2024-04-10", merged_by=bob)
    # gamma: review wait
    pull_request(gamma, cat, "2024-06-20", number=1)
    second = pull_request(gamma, dan, "2024-06-10", number=2)
    review(second, dan, "2024-06-11", state="COMMENTED")
    review(second, codecov, "2024-06-12", state="COMMENTED")
    third = pull_request(gamma, eve, "2024-06-01", number=3)
    review(third, bob, "2024-06-05")
    pull_request(gamma, eve, "2024-05-01", number=4, draft=True)
    pull_request(gamma, cat, "2024-04-01", number=5, closed="2024-04-15")
    pull_request(gamma, bot, "2024-06-01", number=6)
    seventh = pull_request(gamma, bob, "2024-05-31", number=7)
    review(seventh, ann, "2024-07-10")
    derived_rebuild()
    return {"alpha": alpha.pk, "beta": beta.pk, "gamma": gamma.pk}


def _period(*ids):
    return {"repository_ids": tuple(ids), "since": SINCE, "until": UNTIL}


def test_authored_absence_factor_counts_people_making_up_half_and_names_them(world):
    found = absence_factor(**_period(world["alpha"]), work="authored")
    assert found["factor"] == 1  # ann's 10 of 20: exactly half is enough
    assert found["total"] == 20  # the bot's 40 items are not counted
    assert found["people_count"] == 5
    assert [(p["login"], p["count"], p["share"]) for p in found["people"]] == [("ann", 10, 50.0)]
    together = absence_factor(**_period(world["alpha"], world["beta"]), work="authored")
    assert (together["factor"], together["total"]) == (2, 28)


def test_merges_depending_on_one_person_are_flagged_even_with_broad_authorship(world):
    merges = absence_factor(**_period(world["alpha"]), work="merges")
    assert (merges["factor"], merges["total"]) == (1, 5)
    assert [(p["login"], p["share"]) for p in merges["people"]] == [("ann", 100.0)]
    rows = {
        r["project"]: r
        for r in absence_factors_by_project(**_period(world["alpha"], world["beta"]))
    }
    alpha, beta = rows["acme/alpha"], rows["acme/beta"]
    assert (alpha["authored"], alpha["reviews"], alpha["merges"]) == (1, 1, 1)
    assert alpha["merge_dependency"] is True
    assert (alpha["top_merger"], alpha["top_merger_share"]) == ("ann", 100.0)
    # One person merged all of beta's 4, but 4 merges are too few to flag.
    assert (beta["authored"], beta["merges"], beta["merges_total"]) == (2, 1, 4)
    assert beta["merge_dependency"] is False
    assert beta["reviews"] is None  # no reviews in beta


def test_reviews_count_only_humans_on_other_peoples_pull_requests(world):
    reviews = absence_factor(**_period(world["alpha"]), work="reviews")
    assert (reviews["factor"], reviews["total"]) == (1, 5)
    assert reviews["people"][0]["login"] == "bob"
    top = top_reviewer_share(**_period(world["alpha"], world["beta"]))
    assert top == {"login": "bob", "reviews": 3, "total": 5, "share": 60.0}


def test_absence_factor_per_month(world):
    series = absence_factor_by_interval(
        **_period(world["alpha"]), interval="month", work="authored"
    )
    assert series["labels"] == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert series["values"] == [1, 1, None, None, None, None]
    assert series["totals"] == [10, 10, 0, 0, 0, 0]


def test_elephant_factor_with_dated_organisations_and_the_unknown_share(world):
    alpha = elephant_factor(**_period(world["alpha"]))
    assert (alpha["factor"], alpha["total"], alpha["unknown"]) == (1, 20, 3)
    assert alpha["unknown_share"] == 15.0
    assert alpha["organisations"] == [
        {"organisation": "initech.com", "count": 10, "share": round(100 * 10 / 17, 1)}
    ]
    together = elephant_factor(**_period(world["alpha"], world["beta"]))
    assert together["factor"] == 2
    assert together["unknown_share"] == round(100 * 5 / 28, 1) == 17.9
    assert [(o["organisation"], o["count"], o["share"]) for o in together["organisations"]] == [
        ("initech.com", 10, 43.5),
        ("globex", 7, 30.4),
    ]
    # Every organisation named once: ann's later commits count for her profile's "acme".
    assert together["organisations_count"] == 5
    rows = {
        r["project"]: r
        for r in elephant_factors_by_project(**_period(world["alpha"], world["beta"]))
    }
    # beta: acme 2, globex 2, Umbrella 2, unknown 2 -> known 6: two of them (4 > 3).
    assert (rows["acme/beta"]["factor"], rows["acme/beta"]["unknown_share"]) == (2, 25.0)


def test_review_load_who_carries_it_and_maintainers_per_month(world):
    rows = review_load_by_person(**_period(world["alpha"], world["beta"]))
    assert [
        (r["login"], r["maintainer"], r["reviews"], r["review_share"], r["merges"], r["projects"])
        for r in rows
    ] == [
        ("bob", True, 3, 60.0, 4, 2),
        ("ann", True, 0, 0.0, 5, 1),
        ("cat", False, 1, 20.0, 0, 1),
        ("dan", False, 1, 20.0, 0, 1),
    ]
    assert rows[0]["merge_share"] == round(100 * 4 / 9, 1)
    months = maintainer_load_by_month(**_period(world["alpha"], world["beta"]))
    assert [(r["month"], r["login"], r["reviews"], r["merges"]) for r in months] == [
        (date(2024, 2, 1), "bob", 3, 0),
        (date(2024, 3, 1), "ann", 0, 5),
        (date(2024, 4, 1), "bob", 0, 4),
    ]


def test_pull_requests_waiting_for_a_first_review_and_their_age(world):
    ids = (world["gamma"],)
    waiting = prs_waiting_first_review(repository_ids=ids, until=UNTIL)
    assert [(r["number"], r["author"], r["age_days"]) for r in waiting] == [
        (7, "bob", 31.0),
        (2, "dan", 21.0),
        (1, "cat", 11.0),
    ]
    assert waiting[0]["url"] == "https://github.com/acme/gamma/pull/7"
    oldest_two = prs_waiting_first_review(repository_ids=ids, until=UNTIL, limit=2)
    assert [r["number"] for r in oldest_two] == [7, 2]
    assert review_wait(repository_ids=ids, until=UNTIL) == {
        "count": 3,
        "median_age_days": 21.0,
        "oldest_age_days": 31.0,
    }
    # After bob's review of #7 (07-10) only #1 and #2 wait; on 05-31 only #7 had been opened.
    later = review_wait(repository_ids=ids, until=date(2024, 7, 10))
    assert later["count"] == 2
    assert review_wait(repository_ids=ids, until=date(2024, 5, 31))["count"] == 1


PERIOD_QUERY = "since=2024-01-01&until=2024-06-30"


def test_risks_page_html_csv_and_json(client, world):
    query = f"repo=acme/alpha&repo=acme/beta&{PERIOD_QUERY}"
    page = client.get(f"/risks/?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "merges depend on one person" in html
    assert "/docs/metrics/#absence-factor" in html
    assert 'href="/risks/"' in html  # in the nav
    assert "ann@initech.com" not in html and "@gmail.com" not in html
    response = client.get(f"/risks/?{query}&format=csv&table=projects")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = {row["Project"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["acme/alpha"]["Absence factor: merges"] == "1"
    assert rows["acme/alpha"]["Flag"] == "merges depend on one person"
    assert rows["acme/beta"]["Absence factor: authored"] == "2"
    assert rows["acme/alpha"]["Elephant factor"] == "1"
    response = client.get(f"/risks/?{query}&format=json")
    assert response.status_code == 200
    data = json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert data["table"] == "absence"
    assert [row["factor"] for row in data["rows"]] == [2, 1, 1]
    assert data["charts"]["chart-absence"]["labels"][0] == "2024-01"
    waiting = client.get(f"/risks/?repo=acme/gamma&{PERIOD_QUERY}&format=csv&table=waiting")
    lines = b"".join(waiting.streaming_content).decode().splitlines()
    assert len(lines) == 4 and "/acme/gamma/pull/7" in lines[1]


@pytest.mark.parametrize(
    "query",
    [
        "since=2024-13-01",
        "interval=fortnight",
        "repo=acme/nope",
        "format=xml",
        "table=nope&format=csv",
    ],
)
def test_risks_page_bad_filters_are_400(client, world, query):
    assert client.get(f"/risks/?{query}").status_code == 400


def test_project_page_has_a_risks_section(client, world):
    page = client.get(f"/projects/acme/alpha/?{PERIOD_QUERY}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Risks: Absence (bus) factor" in html
    assert "Risks: Pull requests waiting for a first review" in html
    response = client.get(f"/projects/acme/alpha/?{PERIOD_QUERY}&format=csv&table=risk_absence")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["Absence factor"], r["Flag"]) for r in rows] == [
        ("1", ""),
        ("1", ""),
        ("1", "merges depend on one person"),
    ]


def test_organisations_read_by_login_or_all_at_once_agree(world, monkeypatch):
    from dashboard.definitions import organisations
    from dashboard.metrics.risks import elephant_factor as cached_elephant

    logins = ["ann", "bob", "cat", "dan", "eve"]
    by_login = organisations.organisation_evidence(logins=logins)
    monkeypatch.setattr(organisations, "MATCH_BY_LOGIN", 0)  # as for a year's long tail
    assert organisations.organisation_evidence(logins=logins) == by_login
    assert by_login["bob"].profile == "globex" and "cat" not in by_login  # no evidence: unknown
    assert by_login["dan"].overrides[0].organisation == "Umbrella"
    assert cached_elephant.uncached(**_period(world["alpha"]))["factor"] == 1
