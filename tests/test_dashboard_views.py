"""Dashboard pages over HTTP: formats, filters, errors, escaping, query counts."""

import csv
import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command

from dashboard.derived.rebuild import derived_rebuild
from ingest import identity
from ingest.models import BotAccount, Repository
from tests.factories import (
    actor,
    ingest_run,
    pull_request,
    small_world,
    sync_state,
    world_person_key,
)

pytestmark = pytest.mark.django_db

PAGES = ["/", "/activity/", "/newcomers/", "/projects/acme/alpha/", "/people/bob/", "/ingest/"]
PERIOD = "since=2024-01-01&until=2024-12-31"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def world():
    built = small_world()
    ingest_run("acme", "2024-12-30 10:00", rate_limit_remaining=4321)
    ingest_run(
        "other/gamma",
        "2024-12-30 11:00",
        status="failed",
        errors=["GitHub said the repository other/gamma does not exist (404)."],
    )
    sync_state("acme/alpha", "issues", "2024-12-30 10:00")
    derived_rebuild()
    return built


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_html_csv_and_json(client, world, path):
    page = client.get(f"{path}?{PERIOD}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Download CSV" in html and "/docs/metrics/" in html
    assert 'type="application/json"' in html  # chart data via json_script
    export = client.get(f"{path}?{PERIOD}&format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert export.streaming
    assert 'filename="pulse-' in export["Content-Disposition"]
    assert len(csv_rows(export)[0]) > 1  # a header row
    data = json.loads(b"".join(client.get(f"{path}?{PERIOD}&format=json").streaming_content))
    assert data["filters"]["since"] == "2024-01-01" and isinstance(data["rows"], list)


def test_newcomers_csv_lists_the_newcomers_with_links(client, world):
    rows = csv_rows(client.get(f"/newcomers/?{PERIOD}&format=csv"))
    header, body = rows[0], rows[1:]
    people = {row[header.index("Person")] for row in body}
    assert people == {"bob", "dave", "carol", "erin"}
    keys = {row[header.index("Person key")] for row in body}
    assert keys == {"login:bob", world_person_key("dave@example.org"), "login:carol", "login:erin"}
    assert all(row[header.index("First contribution at")].endswith("Z") for row in body)


def test_activity_csv_has_one_row_per_interval(client, world):
    rows = csv_rows(client.get(f"/activity/?{PERIOD}&interval=quarter&format=csv"))
    assert [r[0] for r in rows[1:]] == ["2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01"]
    header = rows[0]
    assert rows[1][header.index("Pull requests merged")] == "2"


def test_repo_filter_narrows_and_other_tables_export(client, world):
    rows = csv_rows(client.get(f"/newcomers/?{PERIOD}&repo=acme/beta&format=csv"))
    project = rows[0].index("Project")
    assert {r[project] for r in rows[1:]} == {"acme/beta"}
    years = csv_rows(client.get(f"/newcomers/?{PERIOD}&format=csv&table=years"))
    assert years[0][:2] == ["Year", "New contributors"]


@pytest.mark.parametrize(
    "query, message",
    [
        ("since=2024-13-01", "since must be a date as YYYY-MM-DD"),
        ("until=yesterday", "until must be a date as YYYY-MM-DD"),
        ("interval=fortnight", "interval &#x27;fortnight&#x27; is not one of"),
        ("since=2024-05-01&until=2024-01-01", "is after until"),
        ("repo=acme/nothing", "unknown repository: acme/nothing"),
        ("repo=not-a-repo", "is not of the form owner/name"),
        ("org=nobody", "unknown org: nobody"),
        ("format=xlsx", "format &#x27;xlsx&#x27; is not one of"),
        ("format=csv&table=nope", "table &#x27;nope&#x27; is not one of"),
        ("since=1990-01-01&interval=week", "choose a longer interval"),
        ("since=1900-01-01&interval=year", "outside the supported range 1970-01-01.."),
    ],
)
def test_bad_filters_get_a_400_that_says_what_is_wrong(client, world, query, message):
    response = client.get(f"/activity/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "path, message",
    [
        ("/projects/acme/nothing/", "Pulse has no project acme/nothing."),
        ("/people/nobody-here/", "Pulse has seen no contribution by nobody-here."),
        ("/people/bad%00login/", "That is not a GitHub login."),
        ("/projects/acme/a%00b/", "That is not a repository name"),
    ],
)
def test_unknown_project_or_person_is_404(client, world, path, message):
    response = client.get(path)
    assert response.status_code == 404
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "query", ["org=%00", "repo=a%00/b", "since=%00", "kind=%00", "repo=", "interval=" + "x" * 5000]
)
def test_hostile_filters_are_400_not_500(client, world, query):
    assert client.get(f"/newcomers/?{query}").status_code == 400


def test_titles_and_names_with_html_are_escaped(client, world):
    Repository.objects.filter(full_name="acme/alpha").update(
        description="<script>alert('x')</script>"
    )
    page = client.get("/projects/acme/alpha/").content.decode()
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page


def test_csv_neutralises_formulas_from_github_data(client, world):
    repo = Repository.objects.get(full_name="acme/beta")
    evil = world["people"]["carol"]
    evil.login = "=HYPERLINK(1)"
    evil.save()
    pull_request(repo, evil, "2024-11-01")
    derived_rebuild()
    rows = csv_rows(client.get(f"/newcomers/?{PERIOD}&repo=acme/beta&format=csv"))
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells


def test_overview_query_count_does_not_grow_with_projects(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def overview_queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/?{PERIOD}").status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    client.get("/")
    before = overview_queries()
    for index in range(5):
        Repository.objects.create(
            github_id=900 + index, owner_login="acme", name=f"x{index}", full_name=f"acme/x{index}"
        )
    assert len(overview_queries()) == len(before)


@pytest.mark.parametrize("path", ["/activity/", "/newcomers/", "/ingest/"])
def test_pages_run_a_fixed_number_of_queries(client, world, path, django_assert_num_queries):
    client.get(f"{path}?{PERIOD}")  # warm the session / content types
    cache.clear()
    # The tracked projects, read once for the filters and the project picker (/ingest/ has no
    # filter bar) + the derived version, read once per request + the "All time" range's first month (the minimum) + the page's
    # grouped selectors (activity: the whole buckets' rollup, then the edge days' counts in one
    # union, for this year and the last; a period of whole months has no edge days, so no
    # median is taken from the events), whatever the data. /ingest/ also reads the syncs
    # running now and the tracked scopes (one union), whatever their number.
    with django_assert_num_queries({"/activity/": 7, "/newcomers/": 8, "/ingest/": 10}[path]):
        client.get(f"{path}?{PERIOD}")
    # Until the derived data is rebuilt, the aggregates come from the cache.
    with django_assert_num_queries({"/activity/": 2, "/newcomers/": 4, "/ingest/": 10}[path]):
        again = client.get(f"{path}?{PERIOD}")
    assert again.status_code == 200


def test_cached_numbers_change_when_the_rollups_are_rebuilt(client, world):
    def merged(response) -> str:
        rows = csv_rows(response)
        return rows[1][rows[0].index("Pull requests merged")]

    url = f"/activity/?{PERIOD}&interval=year&format=csv"
    assert merged(client.get(url)) == "2"
    pull_request(
        world["repos"]["acme/beta"], world["people"]["carol"], "2024-05-01", merged="2024-05-02"
    )
    assert merged(client.get(url)) == "2"  # the rollups have not seen it yet
    derived_rebuild()
    assert merged(client.get(url)) == "3"


def test_ingest_page_shows_errors_in_plain_words_and_rate_limit_to_staff(client, admin_user, world):
    anonymous = client.get("/ingest/").content.decode()
    assert "4321" in anonymous and "other/gamma" in anonymous
    assert "does not exist (404)" not in anonymous
    assert "What went wrong is shown to staff" in anonymous
    for fmt in ("csv", "json"):
        export = b"".join(client.get(f"/ingest/?format={fmt}").streaming_content).decode()
        assert "other/gamma" in export and "does not exist (404)" not in export
    client.force_login(admin_user)
    html = client.get("/ingest/").content.decode()
    assert "does not exist (404)" in html and "4321" in html
    export = b"".join(client.get("/ingest/?format=csv").streaming_content).decode()
    assert "does not exist (404)" in export


def test_ingest_page_lists_the_accounts_counted_as_bots_and_why(client, world):
    helper = actor("deepsource-bot")  # a User account whose login names a bot:
    helper.is_bot = identity.is_bot(login=helper.login, actor_type="User")  # as ingest flags it
    helper.save()
    actor("release-helper")
    BotAccount.objects.create(login="release-helper")
    rows = csv_rows(client.get("/ingest/?format=csv&table=bots"))
    reasons = {row[0]: row[1] for row in rows[1:]}
    assert reasons["dependabot[bot]"] == "GitHub account type Bot"
    assert reasons["deepsource-bot"] == "login ends in -bot"
    assert reasons["release-helper"] == "on the configured bot list"
    assert "bob" not in reasons


def test_metrics_docs_are_served_as_html_with_contents(client):
    html = client.get("/docs/metrics/").content.decode()
    # Every anchor a page links to exists, and the contents list links to it.
    for anchor in ("new-contributor", "activity", "roles", "ingest", "overview", "project"):
        assert f'id="{anchor}"' in html
        assert f'href="#{anchor}"' in html
    # Markdown is rendered, not shown raw: tables become tables, emphasis and code tags.
    assert "<table>" in html and "<strong>" in html and "<code>" in html
    article = html[html.index('<article class="doc">') :]
    assert "**" not in article and "\n| ---" not in article


def test_export_command_writes_the_same_csv(client, world, tmp_path):
    target = tmp_path / "newcomers.csv"
    call_command(
        "export",
        "newcomers",
        "--since",
        "2024-01-01",
        "--until",
        "2024-12-31",
        "--output",
        str(target),
    )
    from_command = list(csv.reader(target.open(encoding="utf-8")))
    assert from_command == csv_rows(client.get(f"/newcomers/?{PERIOD}&format=csv"))


def test_export_command_rejects_bad_filters(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown repository: acme/nothing"):
        call_command("export", "activity", "--repo", "acme/nothing")


def test_csv_export_runs_only_its_table_query(client, world, django_assert_num_queries):
    # The filters (1) and the newcomers list (1): no chart or other table is computed.
    with django_assert_num_queries(2):
        response = client.get(f"/newcomers/?{PERIOD}&format=csv")
        rows = csv_rows(response)
    assert len(rows) == 5
