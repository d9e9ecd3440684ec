"""Honest charts, asserted on the chart data every page exports (`?format=json`, `charts`):
partial buckets marked, one period in each title, one colour per measure (failure red), an
empty state that says why, and per-point links that open the list behind a bar or point.

The world is tests/factories.small_world (2023-02..2024-07, projects acme/alpha, acme/beta and
other/gamma); ingest runs are made where a test needs them.
"""

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from dashboard.derived.rebuild import derived_rebuild

from .factories import actor, commit, ingest_run, small_world

YEAR_2024 = "since=2024-01-01&until=2024-12-31&interval=month"


@pytest.fixture
def world(db):
    cache.clear()
    built = small_world()
    derived_rebuild()
    return built


def charts_of(client, url: str) -> dict:
    response = client.get(url + ("&" if "?" in url else "?") + "format=json")
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(body)["charts"]


def query(url: str) -> dict:
    return {key: values for key, values in parse_qs(urlsplit(url).query).items()}


def months_back(day: dt.date, months: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - months
    return dt.date(month // 12, month % 12 + 1, 1)


def test_until_today_marks_the_current_month_partial_so_far(world, client):
    today = timezone.now().date()
    since = months_back(today, 2)
    charts = charts_of(client, f"/activity/?since={since}&interval=month")
    for chart in charts.values():
        assert chart["partial"] == [2], chart["title"]
        assert chart["labels"][2] == f"{today:%Y-%m} (so far)"
        assert not chart["labels"][0].endswith(")")
        assert f"{since.isoformat()} to {today.isoformat()}, per month" in chart["title"]


def test_since_inside_a_month_marks_the_first_bucket_partial(world, client):
    charts = charts_of(client, "/activity/?since=2024-01-15&until=2024-03-31&interval=month")
    issues = charts["chart-issues"]
    assert issues["partial"] == [0]
    assert issues["labels"] == ["2024-01 (from 2024-01-15)", "2024-02", "2024-03"]
    # The first bucket's link opens only the days of it the period covers.
    assert query(issues["links"][0]) == {
        "since": ["2024-01-15"],
        "until": ["2024-01-31"],
        "interval": ["week"],
    }


def test_until_inside_a_past_quarter_marks_the_last_bucket_cut_there(world, client):
    charts = charts_of(client, "/newcomers/?since=2024-01-01&until=2024-05-15&interval=quarter")
    newcomers = charts["chart-newcomers"]
    assert newcomers["partial"] == [1]
    assert newcomers["labels"] == ["2024 Q1", "2024 Q2 (to 2024-05-15)"]


def test_a_whole_past_year_has_no_partial_bucket_and_says_its_period(world, client):
    charts = charts_of(client, f"/newcomers/?{YEAR_2024}")
    assert charts["chart-newcomers"]["partial"] == []
    assert charts["chart-retention"]["partial"] == []
    assert charts["chart-newcomers"]["title"] == (
        "New contributors, 2024-01-01 to 2024-12-31, per month"
    )
    assert "2024-01-01 to 2024-12-31, per month" in charts["chart-retention"]["title"]
    activity = charts_of(client, f"/activity/?{YEAR_2024}")
    assert all(chart["partial"] == [] for chart in activity.values())
    assert all("2024-01-01 to 2024-12-31, per month" in c["title"] for c in activity.values())


def test_per_year_the_two_newcomer_charts_have_different_titles_and_periods(world, client):
    charts = charts_of(client, "/newcomers/?since=2024-01-01&until=2024-12-31&interval=year")
    per_interval, per_year = charts["chart-newcomers"], charts["chart-newcomers-year"]
    assert per_interval["title"] != per_year["title"]
    assert per_interval["title"] == "New contributors, 2024-01-01 to 2024-12-31, per year"
    assert per_interval["labels"] == ["2024"]
    # The year-on-year chart covers every year to `until` and says so.
    assert per_year["title"] == "New contributors per calendar year, all years to 2024-12-31"
    assert per_year["labels"] == ["2023", "2024"]


def test_the_overview_puts_one_period_in_each_chart(world, client):
    charts = charts_of(client, "/?since=2024-01-01&until=2024-06-30")
    active, new = charts["chart-active"], charts["chart-new"]
    assert [d["label"] for d in active["datasets"]] == ["active contributors"]
    assert "2024-04-02 to 2024-06-30" in active["title"]  # the 90 days to until
    assert [d["label"] for d in new["datasets"]] == ["new contributors"]
    assert "2024-01-01 to 2024-06-30" in new["title"]


def test_a_measure_has_one_colour_on_every_chart(world, client):
    overview = charts_of(client, f"/?{YEAR_2024}")
    activity = charts_of(client, f"/activity/?{YEAR_2024}")
    project = charts_of(client, f"/projects/acme/alpha/?{YEAR_2024}")
    newcomers = charts_of(client, f"/newcomers/?{YEAR_2024}")

    def colour(chart: dict, label: str) -> str:
        return next(d["colour"] for d in chart["datasets"] if d["label"] == label)

    active = colour(overview["chart-active"], "active contributors")
    assert colour(activity["chart-people"], "Active contributors") == active
    merged = colour(activity["chart-prs"], "Pull requests merged")
    assert colour(project["chart-prs"], "Pull requests merged") == merged
    assert colour(activity["chart-prs"], "Pull requests merged, a year earlier") == merged
    new = colour(overview["chart-new"], "new contributors")
    assert colour(newcomers["chart-newcomers-year"], "new contributors") == new
    # Within one chart, every series has its own colour.
    for chart in (*activity.values(), *newcomers.values()):
        current = [d["colour"] for d in chart["datasets"] if not d.get("dash")]
        assert len(current) == len(set(current)), chart["title"]


def test_units_are_on_the_value_axes(world, client):
    activity = charts_of(client, f"/activity/?{YEAR_2024}")
    assert activity["chart-prs"]["y_title"] == "pull requests"
    assert activity["chart-people"]["y_title"] == "people"
    assert activity["chart-times"]["y_title"] == "hours"
    assert charts_of(client, f"/newcomers/?{YEAR_2024}")["chart-newcomers"]["y_title"] == "people"


def test_failed_ingest_runs_are_red_and_successful_ones_green(world, client):
    today = timezone.now().date()
    ingest_run("acme", f"{today - dt.timedelta(days=8)}", status="success")
    ingest_run("acme", f"{today - dt.timedelta(days=1)}", status="failed")
    runs = charts_of(client, "/ingest/")["chart-runs"]
    by_label = {d["label"]: d for d in runs["datasets"]}
    assert by_label["failed"]["colour"] == "bad"
    assert by_label["succeeded"]["colour"] == "good"
    assert sum(by_label["failed"]["data"]) == 1 and sum(by_label["succeeded"]["data"]) == 1
    assert runs["partial"][-1] == len(runs["labels"]) - 1  # this week is not over
    assert f"to {today.isoformat()}, per week" in runs["title"]
    assert "empty_reason" not in runs


@pytest.mark.django_db
def test_before_any_ingest_the_charts_say_not_ingested_yet(client):
    cache.clear()
    for url, chart_id in [
        ("/", "chart-active"),
        ("/activity/", "chart-issues"),
        ("/newcomers/", "chart-newcomers"),
        ("/committers/", "chart-promotions"),
        ("/ingest/", "chart-runs"),
    ]:
        assert charts_of(client, url)[chart_id]["empty_reason"].startswith("Not ingested yet")
    html = client.get("/activity/").content.decode()
    assert "Not ingested yet" in html
    assert 'data-chart="chart-issues"' not in html  # no empty canvas


def test_a_period_without_data_says_no_data_for_this_period(world, client):
    charts = charts_of(client, "/activity/?since=2015-01-01&until=2015-12-31")
    assert charts["chart-issues"]["empty_reason"].startswith("No data for this period")
    html = client.get("/newcomers/?since=2015-01-01&until=2015-12-31").content.decode()
    assert "No data for this period" in html
    assert 'data-chart="chart-newcomers"' not in html
    # A period with data draws its chart.
    assert "empty_reason" not in charts_of(client, f"/activity/?{YEAR_2024}")["chart-issues"]


def test_a_newcomers_month_opens_the_newcomers_of_that_month(world, client):
    chart = charts_of(client, f"/newcomers/?{YEAR_2024}")["chart-newcomers"]
    february = chart["labels"].index("2024-02")
    link = chart["links"][february]
    assert urlsplit(link).path == "/newcomers/"
    assert query(link) == {"since": ["2024-02-01"], "until": ["2024-02-29"], "interval": ["week"]}
    counted = sum(d["data"][february] for d in chart["datasets"])
    response = client.get(link + "&format=json&table=newcomers")
    rows = json.loads(b"".join(response.streaming_content))["rows"]
    assert counted > 0 and len(rows) == counted
    assert all(row["first_at"].startswith("2024-02") for row in rows)


def test_links_keep_the_filters_and_point_at_the_right_page(world, client):
    activity = charts_of(client, f"/activity/?repo=acme/alpha&{YEAR_2024}")["chart-prs"]
    assert query(activity["links"][0]) == {
        "repo": ["acme/alpha"],
        "since": ["2024-01-01"],
        "until": ["2024-01-31"],
        "interval": ["week"],
    }
    overview = charts_of(client, f"/?{YEAR_2024}")
    active = overview["chart-active"]
    alpha = active["labels"].index("acme/alpha")
    assert urlsplit(active["links"][alpha]).path == "/projects/acme/alpha/"
    new = overview["chart-new"]
    beta = query(new["links"][new["labels"].index("acme/beta")])
    assert beta["repo"] == ["acme/beta"] and beta["since"] == ["2024-01-01"]
    project = charts_of(client, f"/projects/acme/alpha/?{YEAR_2024}")
    assert urlsplit(project["chart-issues"]["links"][2]).path == "/projects/acme/alpha/"
    assert query(project["chart-newcomers"]["links"][2])["repo"] == ["acme/alpha"]
    person = charts_of(client, f"/people/bob/?{YEAR_2024}")["chart-person"]
    assert urlsplit(person["links"][4]).path == "/people/bob/"
    assert query(person["links"][4])["since"] == ["2024-05-01"]
    for link in project["chart-issues"]["links"][:3]:
        assert client.get(link).status_code == 200


def test_retention_of_this_months_newcomers_says_too_recent_not_no_data(world, client):
    today = timezone.now().date()
    commit(world["repos"]["acme/alpha"], today.isoformat(), author=actor("zoe"))
    derived_rebuild()
    cache.clear()
    charts = charts_of(client, f"/newcomers/?since={today.replace(day=1)}")
    assert charts["chart-retention"]["empty_reason"].startswith("Too recent to tell")
    assert "empty_reason" not in charts["chart-newcomers"]
