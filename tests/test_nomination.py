"""Nomination drafts on the committers tests' small world (tests/committers_world.py), as of
2022-02-01: the default window is 2021-02-01 to 2022-01-31.

Worked out by hand from that world:
- bob: merged #11 to #16 (15 Feb to 15 Jul 2021, 10 lines each: Easy by size) and #17
  (15 Aug 2021, closing issue #9 labelled difficulty/hard: Hard by the issue's label); #10 was
  merged on 15 Jan 2021 (before the window) and #18 on 1 Mar 2022 (after the day). 7/10 merged,
  1 Hard: progress (0.7 + 1) / 2 = 85.0 %, 3 merged pull requests short of the rule. Reviews
  given: 3 (on carol's #19, #20, #21); issues answered: 0; months active: February to August
  2021 = 7; last activity 2021-08-15.
- carol: #19 (150 lines: Medium), #20 (6 files: Medium), #21 ("docs: fix typo", 900 lines:
  Easy by its title); 1 review (bob's #10, on 2021-02-01), 1 issue answered (pmc1's #23):
  3/10 merged, 2 Medium, progress (0.3 + 0.5) / 2 = 40.0 %.
"""

import re
from html import unescape

import pytest

from tests.committers_world import small_fixture  # noqa: F401 - the `small` fixture

pytestmark = pytest.mark.django_db
PAGE = "/committers/nomination/?repo=mosn/layotto&login={login}&until=2022-02-01"
PULL = "https://github.com/mosn/layotto/pull/"


def draft(client, login: str, extra: str = "") -> str:
    response = client.get(PAGE.format(login=login) + extra + "&format=md")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    return response.content.decode()


def test_bob_s_draft_cites_his_merged_pull_requests_by_difficulty(client, small):
    text = draft(client, "bob")
    assert text.startswith("## Nomination: @bob for Committer of mosn/layotto\n")
    assert (
        "The promotion rule of mosn/layotto for Committer: at least 10 merged pull requests, "
        "of which at least 1 Hard or 4 Medium. Counted from 2021-02-01 to 2022-01-31, @bob has "
        "7/10 merged, 1 Hard (progress 85.0 %): the rule is not met yet: 3 more merged pull "
        "requests needed."
    ) in text
    assert "### Merged pull requests (7)" in text
    hard = text.split("**Hard** (1):", 1)[1].split("**Medium**", 1)[0]
    assert re.findall(r"\(https://github.com/mosn/layotto/pull/(\d+)\)", hard) == ["17"]
    assert "merged 2021-08-15 (Hard by the label of the issue it closes)" in hard
    assert "**Medium** (0)\n" in text
    easy = text.split("**Easy** (6):", 1)[1].split("###", 1)[0]
    assert re.findall(r"\(https://github.com/mosn/layotto/pull/(\d+)\)", easy) == [
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
    ]
    assert "(Easy by its size)" in easy
    assert "pull/10)" not in text and "pull/18)" not in text  # outside the window
    assert "- Reviews given on other people's pull requests: 3 (" in text
    assert "- Issues answered (other people's issues commented on): 0 (" in text
    assert "- Months active on mosn/layotto in the window: 7" in text
    assert "- Last activity: 2021-08-15" in text


def test_carol_s_draft_counts_medium_work_and_answers(client, small):
    text = draft(client, "carol")
    assert "@carol has 3/10 merged, 2 Medium (progress 40.0 %)" in text
    medium = text.split("**Medium** (2):", 1)[1].split("**Easy**", 1)[0]
    assert re.findall(r"/pull/(\d+)\)", medium) == ["19", "20"]
    assert "(Medium by its size)" in medium
    easy = text.split("**Easy** (1):", 1)[1].split("###", 1)[0]
    assert re.findall(r"/pull/(\d+)\)", easy) == ["21"]
    assert "**Hard** (0)\n" in text
    assert "Reviews given on other people's pull requests: 1 (" in text
    assert "Issues answered (other people's issues commented on): 1 (" in text
    assert (
        "the rule is not met yet: 7 more merged pull requests and 1 more Hard or 2 more Medium"
        in text
    )


def test_since_widens_the_window_as_on_the_committers_page(client, small):
    text = draft(client, "bob", "&since=2021-01-01")
    assert "Counted from 2021-01-01 to 2022-01-31, @bob has 8/10 merged, 1 Hard" in text
    assert f"({PULL}10)" in text


def test_the_page_shows_the_markdown_with_a_copy_button(client, small):
    response = client.get(PAGE.format(login="bob"))
    assert response.status_code == 200
    html = response.content.decode()
    box = unescape(html.split('<textarea id="nomination-markdown"', 1)[1].split(">", 1)[1])
    box = box.split("</textarea>", 1)[0]
    assert box == draft(client, "bob")
    assert 'class="copy" data-copy="nomination-markdown"' in html
    assert "/static/js/copy.js" in html
    # The merged pull requests also as a table (CSV).
    csv = b"".join(client.get(PAGE.format(login="bob") + "&format=csv").streaming_content)
    lines = csv.decode().splitlines()
    assert lines[0].startswith("Difficulty,Number,Title")
    assert [line.split(",")[:2] for line in lines[1:3]] == [["Hard", "17"], ["Easy", "11"]]


def test_each_candidate_row_links_to_its_draft(client, small):
    html = client.get("/committers/?repo=mosn/layotto&until=2022-02-01").content.decode()
    candidates = html.split('id="table-candidates"', 1)[1].split("</section>", 1)[0]
    links = re.findall(r'href="(/committers/nomination/[^"]+)"', candidates)
    assert [unescape(link) for link in links] == [
        f"/committers/nomination/?repo=mosn%2Flayotto&login={login}&until=2022-02-01"
        for login in ("bob", "carol", "dave")
    ]
    for link in links:
        assert client.get(unescape(link)).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "repo=mosn/layotto&login=alice&until=2022-02-01",  # a committer by then
        "repo=mosn/layotto&login=pmc1&until=2022-02-01",  # PMC
        "repo=mosn/layotto&login=gus&until=2022-02-01",  # not active lately
        "repo=mosn/layotto&login=nobody&until=2022-02-01",  # unknown person
        "repo=mosn/layotto&login=bob",  # today: nobody is a candidate
        "repo=no/such&login=bob&until=2022-02-01",  # unknown project
        "repo=mosn/layotto&until=2022-02-01",  # no login
        "login=bob",  # no project
        "repo=mosn/layotto&login=<script>",  # not a login
        "repo=..%2F..&login=bob",  # not a project
    ],
)
def test_unknown_candidate_or_project_is_a_404(client, small, query):
    assert client.get(f"/committers/nomination/?{query}").status_code == 404
    assert client.get(f"/committers/nomination/?{query}&format=md").status_code == 404


def test_a_bad_date_is_a_400(client, small):
    response = client.get("/committers/nomination/?repo=mosn/layotto&login=bob&until=2022-13-01")
    assert response.status_code == 400
    assert "until must be a date" in unescape(response.content.decode())


def test_no_email_address_in_the_draft(client, small):
    for text in (draft(client, "bob"), client.get(PAGE.format(login="bob")).content.decode()):
        assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", text)
