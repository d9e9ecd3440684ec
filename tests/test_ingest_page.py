"""The ingest page people act on: internal checkpoint rows hidden and checkpoints grouped per
scope, "Sync now" (staff only, CSRF, queued as the real Celery task against the simulator),
live progress of a real sync read from /ingest/progress.json while it runs, times in UTC."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from ingest.github.client import GitHubClient
from ingest.models import IngestRun, Issue, SyncState, TrackedOrganization, TrackedRepository
from ingest.simulator import World
from ingest.sync.repository import repository_sync
from tests.factories import ingest_run, sync_state
from tests.ingest_world import build_community
from tests.test_pages_browser import browser  # noqa: F401 - the Chromium fixture

TOKEN = "ghp_" + "ingestpagetoken0123456789abcdefghijkl"  # a fake token, split from scanners


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode()


# -- checkpoints ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_internal_checkpoint_rows_are_hidden_and_checkpoints_grouped_per_scope(client):
    for resource in ("issues", "pull_requests", "comments", "commits"):
        sync_state("acme/core", resource, f"2024-03-0{2 + len(resource) % 5} 10:00")
    sync_state("acme/docs", "issues", "2024-02-01 09:30")
    sync_state("org:acme", "repositories", "2024-03-01 08:00")
    SyncState.objects.create(scope="acme/core", resource="_lock", cursor="host:1:abc")
    SyncState.objects.create(scope="_rollups", resource="pending:7")
    SyncState.objects.create(scope="_derived", resource="_lock")

    html = html_of(client.get("/ingest/"))
    section = html[html.index('id="table-checkpoints"') :]
    section = section[: section.index("</section>")]
    assert "_lock" not in section and "_rollups" not in section and "_derived" not in section
    assert "pending:7" not in html and "host:1:abc" not in html
    rows = re.findall(r"<tr><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td>", section)
    assert rows == [
        ("acme/core", "4 resources"),
        ("acme/docs", "1 resources"),
        ("org:acme", "1 resources"),
    ]
    # acme/core is complete up to its oldest checkpoint; the page says the zone.
    core = section[section.index("acme/core") :].split("</tr>")[0]
    oldest = min(
        s.watermark for s in SyncState.objects.filter(scope="acme/core").exclude(resource="_lock")
    )
    assert f"{oldest:%Y-%m-%d %H:%M} UTC" in core

    export = csv_text(client.get("/ingest/?format=csv&table=checkpoints"))
    lines = export.strip().splitlines()
    assert len(lines) == 1 + 6  # header + every resource of every public scope
    assert "_lock" not in export and "_rollups" not in export and "_derived" not in export
    assert any(line.startswith("acme/core,pull_requests,") for line in lines)


@pytest.mark.django_db
def test_every_tracked_scope_shows_its_last_sync_or_that_it_was_never_synced(client):
    TrackedOrganization.objects.create(login="acme")
    TrackedRepository.objects.create(full_name="other/solo")
    ingest_run("org:acme", "2024-03-01 10:31", status="failed", errors=["Bad credentials (401)"])
    export = csv_text(client.get("/ingest/?format=csv&table=runs"))
    assert "org:acme,failed" in export
    assert "other/solo,not synced yet" in export
    html = html_of(client.get("/ingest/"))
    assert "2024-03-01 10:31 UTC" in html  # started at, with its zone
    assert "Bad credentials" not in html  # error details are for staff


# -- Sync now ---------------------------------------------------------------------------------
@pytest.fixture
def tracked(db):
    TrackedRepository.objects.create(full_name="acme/docs")


def test_sync_now_is_for_staff_only(client, django_user_model, tracked):
    # Anonymous: sent to log in, back to the ingest page afterwards; nothing queued.
    response = client.post("/ingest/sync/", {"scope": "acme/docs"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "next=/ingest/" in response["Location"]
    html = html_of(client.get("/ingest/"))
    assert "Sync now" not in html and 'action="/ingest/sync/"' not in html
    user = django_user_model.objects.create_user("viewer", password="x")
    client.force_login(user)
    assert client.post("/ingest/sync/", {"scope": "acme/docs"}).status_code == 403
    assert "Sync now" not in html_of(client.get("/ingest/"))
    assert not IngestRun.objects.exists()


def test_sync_now_refuses_get_and_unknown_scopes(admin_client, tracked):
    assert admin_client.get("/ingest/sync/").status_code == 405
    for scope in ("acme/unknown", "", "org:nobody", "../../etc", "x" * 500):
        assert admin_client.post("/ingest/sync/", {"scope": scope}).status_code == 404, scope
    assert not IngestRun.objects.exists()


def test_sync_now_needs_the_csrf_token_of_the_page(admin_user, tracked):
    visitor = Client(enforce_csrf_checks=True)
    visitor.force_login(admin_user)
    assert visitor.post("/ingest/sync/", {"scope": "acme/docs"}).status_code == 403
    html = html_of(visitor.get("/ingest/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert '<option value="acme/docs">acme/docs</option>' in html
    response = visitor.post("/ingest/sync/", {"scope": "acme/docs", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/ingest/#sync"


@pytest.fixture
def simulated_github(github_sim, settings):
    world = World()
    build_community(world)
    sim = github_sim(world, tokens=[TOKEN])
    settings.GITHUB_API_URL = sim.url
    settings.GITHUB_TOKENS = [TOKEN]
    return sim


def test_sync_now_queues_the_real_sync_task(
    admin_client, tracked, simulated_github, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = admin_client.post("/ingest/sync/", {"scope": "acme/docs"}, follow=True)
    assert len(queued) >= 1  # the task was sent once the request's transaction committed
    html = html_of(response)
    assert "A sync of acme/docs was queued" in html
    run = IngestRun.objects.get(scope="acme/docs")
    assert (run.trigger, run.status) == ("task", "success")
    assert run.items_written > 0 and run.requests > 0
    assert simulated_github.stats()["requests"] >= run.requests
    # The page now shows the run it did (staff see its details).
    runs = csv_text(admin_client.get("/ingest/?format=csv&table=runs"))
    assert "acme/docs,success,task" in runs


def test_sync_everything_queues_every_tracked_scope(
    admin_client, simulated_github, celery_eager, django_capture_on_commit_callbacks, settings
):
    settings.PULSE_ORGS, settings.PULSE_REPOS = ["acme"], []  # what sync_all seeds from
    TrackedOrganization.objects.create(login="acme")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/ingest/sync/", {"scope": "all"}, follow=True)
    assert "every tracked organisation and repository was queued" in html_of(response)
    scopes = set(IngestRun.objects.values_list("scope", flat=True))
    assert scopes == {"org:acme", "acme/core", "acme/docs"}
    assert set(IngestRun.objects.values_list("status", flat=True)) == {"success"}


# -- live progress ----------------------------------------------------------------------------
# A reader during a running sync: SQLite's in-memory test database shares one cache between
# threads and answers a reader and a writer at the same moment with "table is locked" (a file
# database waits instead); the PostgreSQL run covers these.
CONCURRENT_READER = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="a reader beside a running sync needs PostgreSQL (DATABASE_URL=postgres://…): "
    "SQLite's shared-cache test database refuses it with 'table is locked'",
)


@CONCURRENT_READER
@pytest.mark.django_db(transaction=True)
def test_progress_endpoint_follows_a_real_sync_while_it_runs(github_sim, client):
    world = World()
    build_community(world)
    sim = github_sim(world, tokens=[TOKEN])
    # Every answer a little late, as GitHub's are: the sync takes seconds, pages commit apart.
    sim.faults.add("slow", times=None, seconds=0.15)
    github = GitHubClient(base_url=sim.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            repository_sync(client=github, full_name="acme/core", trigger="command")
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            github.close()
            connection.close()

    assert client.get("/ingest/progress.json").json()["running"] == []
    worker = threading.Thread(target=run)
    worker.start()
    seen: list[dict] = []
    html_while_running = ""
    deadline = time.monotonic() + 120
    while worker.is_alive() and time.monotonic() < deadline:
        response = client.get("/ingest/progress.json")
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        seen += response.json()["running"]
        if not html_while_running and seen and seen[-1]["done"] > 0:
            html_while_running = html_of(client.get("/ingest/"))
        time.sleep(0.05)
    worker.join(timeout=30)
    assert not failures, failures

    assert {row["scope"] for row in seen} == {"acme/core"}
    issues = [row for row in seen if row["resource"] == "issues"]
    total = Issue.objects.filter(repository__full_name="acme/core").count()
    # Part-way through the issues: items of GitHub's total, and an estimate from the pace.
    middle = [row for row in issues if 0 < row["done"] < total]
    assert middle, issues
    assert all(row["total"] == total for row in middle)
    assert any(row["seconds_left"] is not None and row["seconds_left"] > 0 for row in middle)
    assert any(re.match(r"about \d+ s left for issues", row["estimate"]) for row in middle)
    # Counts grow page by page while the run is still running, with requests and budget.
    written = [row["items_written"] for row in seen]
    assert written == sorted(written) and written[-1] > written[0] >= 0
    assert max(row["requests"] for row in seen) > 1
    assert any(isinstance(row["rate_limit_remaining"], int) for row in seen)
    assert {row["steps"] for row in seen if row["steps"]} == {8}
    assert len({row["resource"] for row in seen}) >= 3  # issues, pull requests, comments, …
    # Comments come from REST lists, which say no total: no estimate is made up.
    comments = [row for row in seen if row["resource"] == "comments"]
    assert all(row["total"] is None and row["estimate"].startswith("unknown") for row in comments)
    # The page itself showed the running sync (for readers without JavaScript).
    assert "acme/core" in html_while_running and "hidden>No sync is running" in html_while_running
    assert "ingest-progress" in html_while_running

    # Finished: nothing running any more, and the run's counts are the final ones.
    assert client.get("/ingest/progress.json").json()["running"] == []
    run = IngestRun.objects.get(scope="acme/core")
    assert run.status == "success" and run.items_written >= written[-1]
    assert run.items_written == sum(run.counts.values())


@CONCURRENT_READER
def test_the_page_shows_a_sync_starting_and_finishing_without_a_reload(
    live_server,
    browser,  # noqa: F811 - the imported fixture
    github_sim,
):
    """In Chromium, under the page's real CSP: the page is opened with nothing running, a sync
    starts, ingest.js shows its row from progress.json, then says it finished; no reload."""
    world = World()
    build_community(world)
    sim = github_sim(world, tokens=[TOKEN])
    sim.faults.add("slow", times=None, seconds=0.3)  # a sync of several seconds
    github = GitHubClient(base_url=sim.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05)
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(live_server.url + "/ingest/")
    assert page.locator("#ingest-progress p.empty").is_visible()
    loads = page.evaluate("performance.getEntriesByType('navigation').length")

    def run() -> None:
        try:
            repository_sync(client=github, full_name="acme/core", trigger="command")
        finally:
            github.close()
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        row = page.locator("#ingest-progress tbody tr", has_text="acme/core")
        row.wait_for(state="visible", timeout=20_000)
        assert re.search(r"\d+ of 8", row.inner_text())
        assert "UTC" in row.inner_text()
        assert not page.locator("#ingest-progress p.empty").is_visible()
    finally:
        worker.join(timeout=120)
    page.locator("#ingest-progress .ingest-finished").wait_for(state="visible", timeout=30_000)
    assert not page.locator("#ingest-progress tbody tr").count()
    assert page.evaluate("performance.getEntriesByType('navigation').length") == loads
    assert problems == []
    page.close()
    time.sleep(0.5)  # a poll still in flight ends before the test database is dropped
