"""The /committers/ page on the small hand-made world: what a community leader sees as of a day."""

import csv
import datetime as dt
import io
import json
import re
from html import unescape

import pytest
from django.contrib.auth.models import User

from dashboard.models import PromotionRule
from tests.committers_world import small_fixture  # noqa: F401 - the `small` fixture

pytestmark = pytest.mark.django_db
AS_OF_URL = "/committers/?repo=mosn/layotto&until=2022-02-01"


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The visible text of each body row of one table section of the page."""
    section = html.split(f'id="table-{table_id}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_as_of_page_shows_the_ladder_and_the_candidates_of_that_day(client, small):
    response = client.get(AS_OF_URL)
    assert response.status_code == 200
    html = response.content.decode()
    ladder = {row[1]: row for row in table_rows(html, "ladder")}
    assert set(ladder) == {"pmc1", "fay", "alice", "erin", "ivy"}  # dave's came later
    # project, person, role, since, evidence, last activity, affiliation, inactive
    assert ladder["alice"][2:4] == ["Committer", "2021-03-04"]
    assert ladder["pmc1"][2:4] == ["PMC (maintainer)", "2020-06-01"]
    assert ladder["fay"][2:4] == ["Committer", "2019-12-01"]
    assert ladder["fay"][4].startswith("founder: write access in the project's first 6 months")
    # pmc1's last activity is a merge (of frank's pull request), not something he authored.
    assert ladder["pmc1"][5] == "2021-11-20"
    assert "listed as approver in OWNERS" in ladder["alice"][4]
    assert ladder["alice"][6] == "external"
    assert ladder["erin"][2:4] == ["Committer", "2019-06-01"] and ladder["erin"][7] == "yes"
    candidates = table_rows(html, "candidates")
    assert [row[2] for row in candidates] == ["bob", "carol", "dave"]
    assert candidates[0][3] == "7/10 merged, 1 Hard"
    assert candidates[1][3] == "3/10 merged, 2 Medium"
    # The page says which window it counts (the default: the 365 days to the as-of day).
    assert "from 2021-02-01 to 2022-01-31 (the 365 days to the as-of day" in unescape(html)
    # Evidence links point at GitHub's pull requests and searches.
    assert f'href="https://github.com/mosn/layotto/pull/{small.bob_hard}"' in html
    # (the merged pull requests of the window)
    assert (
        "https://github.com/mosn/layotto/pulls?q=is%3Apr+is%3Amerged"
        "+merged%3A2021-02-01..2022-01-31+author%3Abob"
    ) in html
    # Both charts have their data on the page.
    assert 'id="chart-promotions"' in html and 'id="chart-external-share"' in html
    assert 'id="chart-committers-affiliation"' in html


def test_since_sets_the_window_the_candidates_are_counted_in(client, small):
    html = unescape(client.get(AS_OF_URL + "&since=2021-01-01").content.decode())
    assert table_rows(html, "candidates")[0][2:4] == ["bob", "8/10 merged, 1 Hard"]
    assert "from 2021-01-01 to 2022-01-31" in html and "the 365 days" not in html


def test_without_until_the_page_counts_everything_ingested(client, small):
    today = dt.datetime.now(dt.UTC).date()
    html = unescape(client.get("/committers/?repo=mosn/layotto").content.decode())
    ladder = {row[1]: row for row in table_rows(html, "ladder")}
    assert ladder["dave"][2:4] == ["Committer", "2022-05-01"]
    # Everyone's last activity is years ago: nobody is a candidate today.
    candidates = html.split('id="table-candidates"', 1)[1].split("</section>", 1)[0]
    assert "Nothing for these filters." in candidates
    first = today - dt.timedelta(days=364)
    assert f"from {first.isoformat()} to {today.isoformat()}" in html


def test_csv_and_json_exports_carry_the_same_rows(client, small):
    response = client.get(AS_OF_URL + "&format=csv&table=candidates")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["Person"], r["Progress against the rule"]) for r in rows] == [
        ("bob", "7/10 merged, 1 Hard"),
        ("carol", "3/10 merged, 2 Medium"),
        ("dave", "1/10 merged"),
    ]
    response = client.get(AS_OF_URL + "&format=json&table=ladder")
    data = json.loads(b"".join(response.streaming_content))
    assert {(r["login"], r["role"], r["since"]) for r in data["rows"]} == {
        ("pmc1", "PMC (maintainer)", "2020-06-01"),
        ("fay", "Committer", "2019-12-01"),
        ("alice", "Committer", "2021-03-04"),
        ("erin", "Committer", "2019-06-01"),
        ("ivy", "Committer", "2021-04-10"),
    }
    share = client.get(AS_OF_URL + "&format=csv&table=external-share")
    lines = b"".join(share.streaming_content).decode().splitlines()
    assert lines[0] == "Quarter,Committers,Home,External,Unknown,External (% of known)"
    assert "2021-Q4,5,2,2,1,50.0" in lines


def test_bad_filters_get_a_400_that_says_what_is_wrong(client, small):
    response = client.get("/committers/?until=2022-02-30")
    assert response.status_code == 400
    assert "until must be a date as YYYY-MM-DD." in response.content.decode()
    response = client.get("/committers/?format=csv&table=nope")
    assert response.status_code == 400 and "table 'nope'" in unescape(response.content.decode())
    response = client.get("/committers/?repo=mosn/nothing")
    assert response.status_code == 400 and "unknown repository" in response.content.decode()


def test_promotion_rule_is_editable_in_the_admin_and_changes_the_page(client, small):
    admin = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(admin)
    assert client.get("/admin/dashboard/promotionrule/add/").status_code == 200
    form = {
        field.name: field.default
        for field in PromotionRule._meta.fields
        if field.name not in ("id", "repository")
    }
    form.update(repository=small.repo.pk, min_merged=3, min_hard=0, min_medium=2)
    response = client.post("/admin/dashboard/promotionrule/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    html = client.get(AS_OF_URL).content.decode()
    assert table_rows(html, "candidates")[0][2:4] == ["carol", "3/3 merged, 2 Medium"]


def test_with_many_projects_the_page_shows_the_best_candidates_and_the_csv_all(client):
    from dashboard.derived.rebuild import derived_rebuild
    from dashboard.pages.committers import CANDIDATES_EACH, CANDIDATES_SHOWN
    from tests.factories import actor, pull_request, repository

    projects = 6
    for k in range(projects):
        repo = repository(f"acme/p{k}")
        for j in range(CANDIDATES_EACH + 1):  # one more than each project's list holds
            person = actor(f"dev{k}-{j}")
            for n in range((j * 7 + k * 3) % 12 + 1):  # 1 to 12 merged pull requests
                pull_request(repo, person, f"2024-0{1 + n % 9}-10", merged=f"2024-0{1 + n % 9}-11")
    derived_rebuild()
    total = projects * CANDIDATES_EACH
    assert total > CANDIDATES_SHOWN

    until = "until=2025-01-01"  # the window: 2024
    html = client.get(f"/committers/?{until}").content.decode()
    shown = table_rows(html, "candidates")
    assert len(shown) == CANDIDATES_SHOWN
    assert (
        f"Showing the best {CANDIDATES_SHOWN} of {total} candidates over these {projects} projects"
    ) in unescape(html)

    response = client.get(f"/committers/?{until}&format=csv&table=candidates")
    every = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(every) == total
    assert {r["Project"] for r in every} == {f"acme/p{k}" for k in range(projects)}
    response = client.get(f"/committers/?{until}&format=json&table=candidates")
    assert len(json.loads(b"".join(response.streaming_content))["rows"]) == total
    # The page's rows are rows of the full list, with the same rank and figures, and none
    # left out ranks above a shown one by progress.
    by_key = {(r["Project"], r["Person"]): r for r in every}
    for project, rank, person, progress, percent, *_ in shown:
        full = by_key[(project, person)]
        assert (full["Rank"], full["Progress against the rule"], full["Progress (%)"]) == (
            rank,
            progress,
            percent.rstrip("%"),
        )
    shown_keys = {(row[0], row[2]) for row in shown}
    lowest_shown = min(float(row[4].rstrip("%")) for row in shown)
    assert all(
        float(r["Progress (%)"]) <= lowest_shown
        for key, r in by_key.items()
        if key not in shown_keys
    )

    # One project: its whole list, as before, and no such note.
    one = client.get(f"/committers/?repo=acme/p0&{until}").content.decode()
    assert len(table_rows(one, "candidates")) == CANDIDATES_EACH + 1
    assert "Showing the best" not in one
