"""Syncs that survive what operators do: a changed GITHUB_API_URL (checkpoints are relative to
it) and a renamed repository (its follow-ups run under the new name)."""

from __future__ import annotations

import pytest

from ingest.github.client import GitHubClient
from ingest.models import Repository, Star, SyncState
from ingest.simulator import SimulatorServer, World
from ingest.sync.community import community_sync
from tests.ingest_world import at, build_community

pytestmark = pytest.mark.django_db

TOKEN = "ghp_" + "resilienceToken0123456789abcdefghijk"  # split: a fake token


@pytest.fixture
def world():
    world = World()
    build_community(world, issues=30, pulls=20)
    for index in range(130):  # more than one page of stargazers
        world.add_user(f"fan{index}")
        world.add_star("acme/core", user=f"fan{index}", starred_at=at(index / 10))
    return world


def client_for(server) -> GitHubClient:
    return GitHubClient(
        base_url=server.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05, max_inline_wait=2
    )


def assert_clean(summary) -> None:
    problems = [(run.scope, run.status, run.errors) for run in summary.runs if run.errors]
    assert not problems and all(run.status == "success" for run in summary.runs), problems


def test_a_changed_api_url_keeps_the_stars_checkpoint_working(world):
    with SimulatorServer(world, tokens=[TOKEN]) as first:
        assert_clean(community_sync(client=client_for(first), orgs=["acme"], repos=[]))
        first_origin = first.url
    stars = Star.objects.filter(repository__full_name="acme/core").count()
    cursor = SyncState.objects.get(scope="acme/core", resource="stars").cursor
    # A GraphQL cursor: nothing of the host in it.
    assert cursor and not cursor.startswith("/") and "://" not in cursor, cursor
    world.add_user("latecomer")
    world.add_star("acme/core", user="latecomer", starred_at=at(200))
    # Another simulator, another port: what every second `make run` does, or a moved GHES.
    with SimulatorServer(world, tokens=[TOKEN]) as second:
        assert second.url != first_origin
        summary = community_sync(client=client_for(second), orgs=["acme"], repos=[])
    assert_clean(summary)
    assert Star.objects.filter(actor__login="latecomer").exists()
    assert Star.objects.filter(repository__full_name="acme/core").count() == stars + 1


def test_an_absolute_checkpoint_stored_before_is_read_on_the_new_host(world):
    with SimulatorServer(world, tokens=[TOKEN]) as first:
        community_sync(client=client_for(first), orgs=["acme"], repos=[])
    state = SyncState.objects.get(scope="acme/core", resource="stars")
    # As older versions stored it: the absolute URL on a host that is gone.
    state.cursor = "http://127.0.0.1:1" + state.cursor
    state.etag = ""
    state.save()
    world.add_user("latecomer")
    world.add_star("acme/core", user="latecomer", starred_at=at(200))
    with SimulatorServer(world, tokens=[TOKEN]) as second:
        summary = community_sync(client=client_for(second), orgs=["acme"], repos=[])
    assert_clean(summary)
    assert Star.objects.filter(actor__login="latecomer").exists()
    assert "://" not in SyncState.objects.get(pk=state.pk).cursor


def test_the_client_keeps_checkpoints_relative_to_its_base_url():
    client = GitHubClient(base_url="https://ghe.example.org/api/v3/")
    assert (
        client.checkpoint_path("https://ghe.example.org/api/v3/repositories/7/stargazers?page=3")
        == "/repositories/7/stargazers?page=3"
    )
    assert client.checkpoint_path("http://old.example:99/repositories/7/stargazers?page=2") == (
        "/repositories/7/stargazers?page=2"
    )
    assert client.checkpoint_path("/repositories/7/stargazers") == "/repositories/7/stargazers"


def test_a_renamed_repository_still_gets_its_follow_ups(world):
    with SimulatorServer(world, tokens=[TOKEN]) as sim:
        first = community_sync(client=client_for(sim), orgs=[], repos=["acme/docs"])
        docs = Repository.objects.get(full_name="acme/docs")
        assert first.repository_ids == [docs.pk]
        world.rename_repo("acme/docs", "handbook")
        world.add_issue("acme/handbook", author="bob", title="After the rename", created_at=at(90))
        # Asked for by its old name (PULSE_REPOS, a cron line): GitHub redirects.
        summary = community_sync(client=client_for(sim), orgs=[], repos=["acme/docs"])
    assert_clean(summary)
    docs.refresh_from_db()
    assert docs.full_name == "acme/handbook"
    # The per-repository follow-ups (commit re-keying) cover it under its new name.
    assert summary.repository_ids == [docs.pk]
    assert docs.issues.filter(title="After the rename").exists()
