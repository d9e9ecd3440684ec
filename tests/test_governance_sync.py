"""Governance files through the simulator: their git history dates role changes on the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ingest.github.client import GitHubClient
from ingest.models import GovernanceFileVersion, SyncState
from ingest.simulator import SimulatorServer, World
from ingest.sync.repository import repository_sync
from tests.test_committers_page import table_rows

pytestmark = pytest.mark.django_db

TOKEN = (
    "ghp_" + "governancetoken0123456789abcdefghijkl"
)  # split: a fake token, kept out of secret scanners
OWNERS_V1 = "approvers:\n- pmc1\nreviewers:\n- bob\n"
OWNERS_V2 = "approvers:\n- pmc1\n- alice\nreviewers:\n- bob\n"
OWNERS_V3 = "approvers:\n- pmc1\n- alice\nreviewers: []\n"


@pytest.fixture
def sim():
    world = World()
    world.add_org("mosn")
    world.add_user("pmc1", company="Ant Group")
    world.add_user("alice", company="Acme")
    world.add_user("bob", company="Globex")
    world.add_repo("mosn", "layotto", created_at="2019-01-01T00:00:00Z")
    world.set_file(
        "mosn/layotto",
        "MAINTAINERS.md",
        content="# Maintainers\n\n* Pat (@pmc1)\n",
        committed_at="2020-01-10T00:00:00Z",
        author="pmc1",
    )
    world.set_file(
        "mosn/layotto",
        "OWNERS",
        content=OWNERS_V1,
        committed_at="2020-05-05T10:00:00Z",
        author="pmc1",
    )
    world.set_file(
        "mosn/layotto",
        "OWNERS",
        content=OWNERS_V2,
        committed_at="2021-03-04T09:30:00Z",
        author="pmc1",
    )
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        yield server


def sync(server):
    client = GitHubClient(
        base_url=server.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05, max_inline_wait=2
    )
    return repository_sync(client=client, full_name="mosn/layotto", trigger="command")


def test_versions_are_stored_and_date_roles_on_the_as_of_page(sim, client):
    run = sync(sim)
    assert not run.errors, run.errors
    versions = list(
        GovernanceFileVersion.objects.filter(path="OWNERS")
        .order_by("committed_at")
        .values_list("committed_at__date", "people")
    )
    assert [(str(day), people) for day, people in versions] == [
        ("2020-05-05", {"approvers": ["pmc1"], "reviewers": ["bob"]}),
        ("2021-03-04", {"approvers": ["pmc1", "alice"], "reviewers": ["bob"]}),
    ]
    assert run.counts["governance_files"] == 3
    html = client.get("/committers/?repo=mosn/layotto&until=2022-02-01").content.decode()
    ladder = {row[1]: row for row in table_rows(html, "ladder")}
    assert ladder["alice"][2:4] == ["Committer", "2021-03-04"]
    assert ladder["bob"][2:4] == ["Reviewer", "2020-05-05"]
    assert ladder["pmc1"][2:4] == ["Committer", "2020-01-10"]  # MAINTAINERS.md, no merges
    before = client.get("/committers/?repo=mosn/layotto&until=2021-03-04").content.decode()
    assert "alice" not in {row[1] for row in table_rows(before, "ladder")}


def test_new_versions_are_read_daily_and_only_new_ones_fetched(sim, client):
    sync(sim)
    sim.world.set_file(
        "mosn/layotto",
        "OWNERS",
        content=OWNERS_V3,
        committed_at="2022-06-01T00:00:00Z",
        author="pmc1",
    )
    sim.reset_stats()
    assert sync(sim).counts.get("governance_files", 0) == 0  # read less than a day ago
    assert "GET /repos/{owner}/{repo}/contents/{path}" not in sim.stats()["by_endpoint"]
    SyncState.objects.filter(scope="mosn/layotto", resource="governance").update(
        last_success_at=timezone.now() - timedelta(days=1)
    )
    assert sync(sim).counts["governance_files"] == 1
    # Only the new version's content was fetched.
    contents = sim.stats()["by_endpoint"]["GET /repos/{owner}/{repo}/contents/{path}"]
    assert contents == {"200": 1}
    html = client.get("/committers/?repo=mosn/layotto").content.decode()
    ladder = {row[1] for row in table_rows(html, "ladder")}
    assert "bob" not in ladder  # dropped from reviewers in the newest version
    assert "alice" in ladder
