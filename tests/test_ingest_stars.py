"""Stars through GraphQL: each stargazer's account creation date from the star's own page,
incremental runs from the kept cursor (an unchanged repository costs one request), and a
full run that removes the stars no longer listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.github.client import GitHubClient
from ingest.models import Actor, Star, SyncState
from ingest.simulator import SimulatorServer, World
from ingest.sync.community import community_sync

pytestmark = pytest.mark.django_db

TOKEN = "ghp_" + "starsToken0123456789abcdefghijklmnop"  # split: a fake token
T0 = datetime(2023, 6, 1, tzinfo=UTC)


def sync(server, *, full: bool = False):
    client = GitHubClient(
        base_url=server.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05, max_inline_wait=2
    )
    summary = community_sync(client=client, orgs=[], repos=["acme/core"], full=full)
    assert not summary.errors, summary.errors
    return summary


def stargazer_requests(server) -> dict[str, int]:
    return server.stats()["by_operation"].get("Stargazers", {})


@pytest.fixture
def world() -> World:
    world = World()
    world.add_org("acme")
    world.add_repo("acme", "core", created_at=T0 - timedelta(days=400))
    for n in range(150):  # two pages of stargazers
        world.add_user(f"fan{n}", created_at=T0 - timedelta(days=n))
        world.add_star("acme/core", user=f"fan{n}", starred_at=T0 + timedelta(hours=n))
    return world


def test_stars_come_with_the_accounts_creation_dates(world):
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        sync(server, full=True)
    assert Star.objects.count() == 150
    fan7 = Actor.objects.get(login="fan7")
    assert fan7.created_at == T0 - timedelta(days=7)
    assert Star.objects.get(actor=fan7).starred_at == T0 + timedelta(hours=7)
    # Every stargazer's creation date is known without its profile being asked for.
    assert not Actor.objects.filter(stars__isnull=False, created_at__isnull=True).exists()


def test_an_unchanged_repository_costs_one_request_and_new_stars_are_read_from_the_cursor(world):
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        sync(server, full=True)
        cursor = SyncState.objects.get(scope="acme/core", resource="stars").cursor
        server.reset_stats()
        sync(server)
        # Stars: one GraphQL request, after the kept cursor, that returns nothing.
        assert stargazer_requests(server) == {"200": 1}, server.stats()
        assert SyncState.objects.get(scope="acme/core", resource="stars").cursor == cursor
        world.add_user("late", created_at=T0 + timedelta(days=30))
        world.add_star("acme/core", user="late", starred_at=T0 + timedelta(days=31))
        server.reset_stats()
        sync(server)
        assert stargazer_requests(server) == {"200": 1}, server.stats()  # only the new star's page
    assert Star.objects.count() == 151
    assert Actor.objects.get(login="late").created_at == T0 + timedelta(days=30)
    assert SyncState.objects.get(scope="acme/core", resource="stars").cursor != cursor


def test_unstarred_are_removed_by_a_full_run_only(world):
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        sync(server, full=True)
        world.remove_star("acme/core", user="fan3")
        world.delete_user("fan4")  # a deleted account's star is no longer listed either
        sync(server)
        assert Star.objects.count() == 150, "an incremental run does not reconcile"
        sync(server, full=True)
    assert Star.objects.count() == 148
    assert not Star.objects.filter(actor__login__in=["fan3", "fan4"]).exists()


def test_a_rest_checkpoint_kept_by_an_older_version_starts_the_read_over(world):
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        sync(server, full=True)
        SyncState.objects.filter(scope="acme/core", resource="stars").update(
            cursor="/repositories/1/stargazers?per_page=100&page=2", etag='W/"x"'
        )
        world.add_user("late")
        world.add_star("acme/core", user="late", starred_at=T0 + timedelta(days=31))
        server.reset_stats()
        sync(server)
        assert stargazer_requests(server) == {"200": 2}  # both pages again, nothing doubled
    assert Star.objects.count() == 151
