"""The health score (docs/metrics.md, "Health score"): curves, the score of a hand-made world
worked out by hand, the admin's weights, the project page and the badge."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.utils import timezone

from dashboard.definitions.health import Curve, default_curves, health_score, sub_score
from dashboard.derived.rebuild import derived_rebuild
from dashboard.models import HealthWeight
from dashboard.pages.health import badge_svg
from tests.factories import actor, commit, issue, pull_request, repository, review

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


# --- curves and arithmetic, on values given by hand ------------------------------------------


def test_curve_is_a_straight_line_between_bad_and_good_both_ways():
    people = Curve(weight=15, good=3, bad=1)  # more is better
    assert [sub_score(v, people) for v in (0, 1, 2, 3, 7)] == [0, 0, 50, 100, 100]
    hours = Curve(weight=15, good=24, bad=168)  # less is better
    assert sub_score(24, hours) == 100
    assert sub_score(96, hours) == 50  # (96 - 168) / (24 - 168) = 0.5
    assert sub_score(30, hours) == pytest.approx(100 * 138 / 144)
    assert sub_score(500, hours) == 0


def test_score_is_the_weighted_average_and_effects_are_the_points_lost():
    measures = {
        "absence_merges": 1,  # 0 of 15
        "response_issues": 96,  # 50 of 15
        "gaming_flags": 0,  # 100 of 10
        "newcomer_retention": None,  # not counted
    }
    result = health_score(measures=measures, curves=default_curves())
    # (15*0 + 15*50 + 10*100) / (15 + 15 + 10) = 1750 / 40 = 43.75
    assert result["score"] == 44
    assert (result["grade"], result["colour"]) == ("D", "#fe7d37")
    counted = [(r["key"], r["effect"]) for r in result["reasons"] if r["effect"] is not None]
    # merges: -15*100/40 = -37.5; issues: -15*50/40 = -18.75; flags: 0
    assert counted == [("absence_merges", -37.5), ("response_issues", -18.8), ("gaming_flags", 0)]
    assert result["reasons"][0]["reason"] == "merges depend on one person"
    missing = [r for r in result["reasons"] if r["effect"] is None]
    assert {r["key"] for r in missing} == {
        "absence_reviews",
        "absence_authored",
        "response_prs",
        "newcomer_retention",
        "review_wait",
    }


def test_nothing_that_measures_activity_means_no_score():
    # Nothing waits and nothing is flagged on a project where nothing happens: no score.
    result = health_score(measures={"review_wait": 0, "gaming_flags": 0}, curves=default_curves())
    assert result["score"] is None and result["grade"] == "–"
    assert all(r["effect"] is None for r in result["reasons"])


# --- a hand-made world -----------------------------------------------------------------------

TODAY = timezone.now().date()


def day(days_ago: int, hours: int = 0) -> str:
    when = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(9)) + dt.timedelta(
        hours=hours
    )
    return when.strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def world():
    """acme/alpha over the default period (the 365 days to today), and acme/quiet (empty).

    - merges: ann merges all 3 merged pull requests -> absence factor 1 -> input score 0;
    - reviews: ann gives both reviews -> 1 -> 0;
    - authored (commits + pull requests): ann 3, cat 2, ben 1, dan 1, eve 1 = 8; half is 4,
      ann + cat = 5 -> factor 2 -> 50;
    - issues' first responses 10 h, 30 h, 50 h -> median 30 h -> (30-168)/(24-168) = 95.83;
    - pull requests' first responses 2 h, 4 h, 6 h -> median 4 h -> 100;
    - newcomers (first commit or pull request) in months 90 days old: ann, ben, cat, dan;
      only ann contributed again 90+ days after her first -> 25% -> (25-5)/(35-5) = 66.67
      (eve's first, 30 days ago, is too recent to count);
    - waiting for a first review: ann's pull request of 100 days ago and eve's of 30 days
      ago -> median 65 days -> 0 (bad: 60);
    - KPI-gaming flags: none -> 100.
    Score with the default weights: (15*0 + 10*0 + 10*50 + 15*95.83 + 15*100 + 15*66.67
    + 10*0 + 10*100) / 100 = 5437.5 / 100 = 54.4 -> 54, grade D.
    """
    alpha = repository("acme/alpha")
    repository("acme/quiet")
    ann, ben, cat, dan, eve, zed = (actor(n) for n in ("ann", "ben", "cat", "dan", "eve", "zed"))
    commit(alpha, day(300), author=ann)
    pr_ben = pull_request(
        alpha, ben, day(280), merged=day(279), merged_by=ann, first_response=day(280, 2)
    )
    review(pr_ben, ann, day(280, 2))
    commit(alpha, day(250), author=cat)
    commit(alpha, day(200), author=cat)
    pr_dan = pull_request(
        alpha, dan, day(240), merged=day(239), merged_by=ann, first_response=day(240, 4)
    )
    review(pr_dan, ann, day(240, 4))
    issue(alpha, dan, day(200), first_response=day(200, 10))
    issue(alpha, zed, day(150), first_response=day(150, 30))
    issue(alpha, zed, day(120), first_response=day(120, 50))
    pull_request(alpha, ann, day(100))
    pull_request(alpha, eve, day(30))
    pull_request(alpha, ann, day(10), merged=day(9), merged_by=ann, first_response=day(10, 6))
    derived_rebuild()
    return alpha


def _badge(client, path="/badges/acme/alpha.svg", **headers):
    return client.get(path, **headers)


def _badge_texts(response) -> tuple[list[str], list[str]]:
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    return texts, fills


def test_world_scores_as_worked_out_by_hand(client, world):
    response = client.get("/projects/acme/alpha/?format=json&table=health")
    rows = {row["key"]: row for row in json.loads(b"".join(response.streaming_content))["rows"]}
    assert {k: rows[k]["sub_score"] for k in rows} == {
        "absence_merges": 0,
        "absence_reviews": 0,
        "absence_authored": 50,
        "response_issues": 95.8,
        "response_prs": 100,
        "newcomer_retention": 66.7,
        "review_wait": 0,
        "gaming_flags": 100,
    }
    assert rows["absence_authored"]["value"] == 2
    assert rows["response_issues"]["value"] == 30
    assert rows["response_prs"]["value"] == 4
    assert rows["newcomer_retention"]["value"] == 25
    # The two waiting pull requests' median age, in days, now (they opened at 09:00 UTC).
    opened = [dt.datetime.fromisoformat(day(d)).replace(tzinfo=dt.UTC) for d in (100, 30)]
    ages = [(timezone.now() - at).total_seconds() / 86400 for at in opened]
    assert rows["review_wait"]["value"] == pytest.approx(sum(ages) / 2, abs=0.06)
    assert rows["review_wait"]["reason"].startswith("2 open pull requests wait")
    # Effects: -weight * (100 - input score) / 100 with the default weights summing to 100.
    assert {k: rows[k]["effect"] for k in rows} == {
        "absence_merges": -15,
        "absence_reviews": -10,
        "absence_authored": -5,
        "response_issues": -0.6,
        "response_prs": 0,
        "newcomer_retention": -5,
        "review_wait": -10,
        "gaming_flags": 0,
    }


def test_project_page_shows_the_score_and_its_reasons(client, world):
    html = client.get("/projects/acme/alpha/").content.decode()
    assert "Health: 54 / 100 (grade D)" in html
    assert "merges depend on one person: −15" in html
    assert "reviews depend on one person: −10" in html
    assert "authored work (commits and pull requests) depends on 2 people" in html
    # Largest loss first.
    assert html.index("merges depend on one person: −15") < html.index("depends on 2 people: −5")
    quiet = client.get("/projects/acme/quiet/").content.decode()
    assert "Health: no score" in quiet


def test_badge_is_a_cacheable_svg_with_the_score(client, world):
    response = _badge(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["ETag"]
    texts, fills = _badge_texts(response)
    assert "health" in texts and "54" in texts
    assert "#fe7d37" in fills  # grade D: orange
    again = _badge(client, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["Cache-Control"] == "public, max-age=3600"
    assert again["ETag"] == response["ETag"]
    quiet = _badge(client, "/badges/acme/quiet.svg")
    texts, fills = _badge_texts(quiet)
    assert "no data" in texts and "#9f9f9f" in fills


@pytest.mark.parametrize(
    "path", ["/badges/acme/nothing.svg", "/badges/nobody/alpha.svg", "/badges/a%3Cb/c.svg"]
)
def test_unknown_project_badge_is_a_plain_404(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert b"<svg" not in response.content


def test_badge_text_is_escaped():
    svg = badge_svg(label="<script>alert(1)</script>", message="a&b", colour='red" x="', title="t")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<script>alert(1)</script>" in texts and "a&b" in texts
    assert not list(root.iter(f"{SVG}script"))
    assert [r.get("fill") for r in root.iter(f"{SVG}rect")][2] == 'red" x="'


def test_a_weight_edited_in_the_admin_changes_score_and_badge(admin_client, client, world):
    before = _badge(client)
    add = admin_client.post(
        "/admin/dashboard/healthweight/add/",
        {"key": "absence_merges", "weight": "0", "good": "", "bad": ""},
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    # Without merges: (0 + 500 + 1437.5 + 1500 + 1000 + 0 + 1000) / 85 = 63.97 -> 64, grade C.
    after = _badge(client, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    texts, fills = _badge_texts(after)
    assert "64" in texts and "#dfb317" in fills
    html = client.get("/projects/acme/alpha/").content.decode()
    assert "Health: 64 / 100 (grade C)" in html
    assert "not counted: weight 0 in the admin" in html

    # A curve changed through the change form: reviews score 100 from one reviewer on.
    row = HealthWeight.objects.get(key="absence_merges")
    change = admin_client.post(
        f"/admin/dashboard/healthweight/{row.pk}/change/",
        {"key": "absence_merges", "weight": "15", "good": "1", "bad": "0"},
    )
    assert change.status_code == 302
    # Merges: 1 person at good 1 -> 100: (1500 + 0 + 500 + 1437.5 + 1500 + 1000 + 0 + 1000)
    # / 100 = 69.4 -> 69.
    texts, _ = _badge_texts(_badge(client))
    assert "69" in texts


def test_admin_refuses_a_curve_without_two_ends(admin_client, world):
    response = admin_client.post(
        "/admin/dashboard/healthweight/add/",
        {"key": "review_wait", "weight": "", "good": "60", "bad": ""},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Good and bad must differ" in response.content.decode()
    assert not HealthWeight.objects.exists()


def test_admin_lists_the_defaults_on_the_add_form(admin_client):
    html = admin_client.get("/admin/dashboard/healthweight/add/").content.decode()
    assert "Absence factor of merges: weight 15, good 3, bad 1 people" in html


def test_risks_page_lists_projects_by_health_weakest_first(client, world):
    response = client.get("/risks/?format=json&table=health")
    rows = json.loads(b"".join(response.streaming_content))["rows"]
    assert [(r["project"], r["score"], r["grade"]) for r in rows] == [
        ("acme/alpha", 54, "D"),
        ("acme/quiet", None, "–"),
    ]
    assert rows[0]["reasons"].startswith("merges depend on one person: −15")
    assert rows[0]["badge"] == "/badges/acme/alpha.svg"
    html = client.get("/risks/").content.decode()
    assert 'id="table-health"' in html


def test_admin_changelist_shows_the_values_in_force(admin_client):
    HealthWeight.objects.create(key="response_prs", weight=20)
    html = admin_client.get("/admin/dashboard/healthweight/").content.decode()
    assert "Median first response to pull requests" in html
    assert "24 (default)" in html and "168 (default)" in html
