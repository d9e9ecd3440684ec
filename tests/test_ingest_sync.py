"""Sync services against the simulator over HTTP: full, incremental, reconcile, faults."""

from __future__ import annotations

import pytest

from ingest import identity
from ingest.github.client import GitHubClient
from ingest.models import (
    Actor,
    Comment,
    Commit,
    IngestRun,
    Issue,
    PullRequest,
    Repository,
    Review,
    Star,
)
from ingest.simulator import SimulatorServer, World
from ingest.sync.community import community_sync
from tests.ingest_world import at, build_community, snapshot

pytestmark = pytest.mark.django_db

TOKEN = (
    "ghp_" + "testtoken0123456789abcdefghijklmnopqrs"
)  # split: a fake token, kept out of secret scanners


@pytest.fixture
def sim():
    world = World()
    expected = build_community(world)
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        server.expected = expected
        yield server


def client_for(server) -> GitHubClient:
    # The simulator answers at once; keep retry delays short so fault tests stay fast.
    return GitHubClient(
        base_url=server.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05, max_inline_wait=2
    )


def sync(server, *, full: bool = False):
    return community_sync(client=client_for(server), orgs=["acme"], repos=[], full=full)


def test_full_sync_stores_everything_in_few_requests(sim):
    summary = sync(sim, full=True)
    assert not summary.errors, summary.errors
    expected = sim.expected
    assert Repository.objects.count() == expected["repositories"]
    assert Issue.objects.count() == expected["issues"]
    assert PullRequest.objects.count() == expected["pull_requests"]
    assert Review.objects.count() == expected["reviews"]  # incl. the PR with 61 reviews
    assert Commit.objects.count() == expected["commits"]
    assert Star.objects.count() == expected["stars"]
    review_comments = Comment.objects.filter(kind=Comment.Kind.REVIEW)
    assert review_comments.count() == expected["review_comments"]
    assert Comment.objects.filter(kind=Comment.Kind.ISSUE).count() == expected["comments"]
    merged = PullRequest.objects.get(repository__full_name="acme/core", number__gt=0, title="PR 0")
    assert merged.merged_by.login == "alice" and merged.additions == 10
    # The inline comment is linked to its pull request by number, with author and association.
    inline = review_comments.get(repository__full_name="acme/core", issue_number=merged.number)
    assert (inline.author.login, inline.author_association) == ("carol", "MEMBER")
    assert inline.created_at == at(0.9) and inline.body_length == len("nit: rename this")
    # ...and a draft inline comment is not a response: the author saw the review, at day 1.
    assert (merged.first_response_at, merged.first_responder.login) == (at(1), "carol")
    # First response: the bot's earlier comment does not count; the human answer does.
    issue = Issue.objects.get(title__startswith="Issue 0 ")
    assert issue.first_responder.login == "bob"
    assert issue.first_response_at == at(0.5)
    # Affiliation and bots from profiles fetched 100 at a time.
    assert Actor.objects.filter(login="dependabot[bot]", is_bot=True).exists()
    assert not Star.objects.filter(actor__login="dependabot[bot]").exists()  # only users star
    alice = Repository.objects.get(full_name="acme/core").stars.get(actor__login="alice").actor
    assert (alice.affiliation, alice.affiliation_source) == ("home", "company")
    keys = set(Commit.objects.values_list("author_key", flat=True))
    assert "login:dave" in keys and identity.git_key(email="mystery@example.org") in keys
    stored = sum(len(rows) for name, rows in snapshot().items() if name != "repositories")
    requests = sim.stats()["requests"]
    # Pages of 100 (at least one per repository and resource, even a nearly empty one), plus
    # four conditional probes per repository that earn the next run its 304s, plus the org's
    # list and one profiles query: nothing per object (bench/ingest_requests.py measures the
    # ratio on a large world, where the fixed costs fade).
    repositories, resources = 2, 6
    assert requests <= stored / 100 * 2 + repositories * (resources + 4) + 2, (requests, stored)
    runs = IngestRun.objects.filter(scope="acme/core").get()
    assert runs.status == "success" and runs.counts["issues"] == expected["issues"] - 1


def test_incremental_sync_of_unchanged_world_costs_only_304s(sim):
    sync(sim, full=True)
    sim.reset_stats()
    summary = sync(sim)
    stats = sim.stats()
    assert not summary.errors
    # One conditional request per repository and resource (+ the org's repository list);
    # stars come through GraphQL, which has no conditional requests: one request per
    # repository, from the kept cursor, that returns no star.
    assert stats["requests"] == stats["not_modified"] + 2, stats
    assert stats["by_endpoint"]["POST /graphql"] == {"200": 2}, stats
    assert stats["requests"] <= 2 * 6 + 1, stats
    assert stats["by_endpoint"]["GET /repos/{owner}/{repo}/pulls/comments"] == {"304": 2}, stats
    assert IngestRun.objects.filter(scope="acme/core").latest("started_at").not_modified >= 5


def test_incremental_sync_picks_up_changes(sim):
    sync(sim, full=True)
    before = snapshot()
    world = sim.world
    number = world.add_issue("acme/core", author="dave", title="New issue", created_at=at(500))
    world.add_comment("acme/core", number, author="alice", body="hi", created_at=at(500.2))
    world.add_user("erin", company="蚂蚁集团")
    world.add_star("acme/core", user="erin", starred_at=at(501))
    world.add_commit("acme/core", authored_at=at(502), author_login="erin", message="Late")
    world.update_issue("acme/core", 1, state="closed", closed_at=at(503))
    pull = world.add_pull("acme/core", author="dave", title="Late PR", created_at=at(504))
    world.add_review_comment(
        "acme/core", pull, author="bob", body="why?", created_at=at(505), author_association="NONE"
    )
    edited = Comment.objects.filter(kind=Comment.Kind.REVIEW).order_by("created_at").first()
    world.update_comment("acme/core", edited.github_id, body="longer now", updated_at=at(506))
    sim.reset_stats()
    sync(sim)
    after = snapshot()
    assert len(after["comments"]) == len(before["comments"]) + 2
    late = PullRequest.objects.get(title="Late PR")
    assert Comment.objects.get(kind="review", issue_number=late.number).author.login == "bob"
    edited.refresh_from_db()
    assert edited.body_length == len("longer now") and edited.updated_at == at(506)
    # Only what changed was read: the review comments cost the probe and one page of answers.
    review_calls = sim.stats()["by_endpoint"]["GET /repos/{owner}/{repo}/pulls/comments"]
    assert review_calls.get("200") == 2 and review_calls.get("304") == 1, review_calls
    assert len(after["issues"]) == len(before["issues"]) + 1
    assert len(after["stars"]) == len(before["stars"]) + 1
    assert len(after["commits"]) == len(before["commits"]) + 1
    new = Issue.objects.get(title="New issue")
    assert new.first_responder.login == "alice"
    assert Issue.objects.get(repository__full_name="acme/core", number=1).state == "closed"
    assert sim.stats()["requests"] < 30


def test_full_sync_reconciles_deleted_issue_and_renamed_repository(sim):
    sync(sim, full=True)
    doomed = Issue.objects.get(repository__full_name="acme/docs")
    sim.world.delete_issue("acme/docs", doomed.number)
    sim.world.rename_repo("acme/docs", "handbook")
    deleted = Comment.objects.filter(kind=Comment.Kind.REVIEW).order_by("github_id")[5]
    sim.world.delete_comment("acme/core", deleted.github_id)
    spoken = Comment.objects.filter(
        kind=Comment.Kind.ISSUE, repository__full_name="acme/core"
    ).order_by("github_id")[3]
    sim.world.delete_comment("acme/core", spoken.github_id)
    sync(sim)
    assert Comment.objects.filter(pk=deleted.pk).exists(), "only a full run reconciles"
    assert Comment.objects.filter(pk=spoken.pk).exists()
    sync(sim, full=True)
    assert not Issue.objects.filter(pk=doomed.pk).exists()
    assert not Comment.objects.filter(pk=deleted.pk).exists()
    assert not Comment.objects.filter(pk=spoken.pk).exists()
    assert (
        Comment.objects.filter(kind=Comment.Kind.REVIEW).count()
        == sim.expected["review_comments"] - 1
    )
    assert Repository.objects.filter(full_name="acme/handbook").count() == 1
    assert not Repository.objects.filter(full_name="acme/docs").exists()


def _wipe() -> None:
    from ingest.models import SyncState

    for model in (
        Star,
        Review,
        Comment,
        Commit,
        PullRequest,
        Issue,
        Repository,
        Actor,
        SyncState,
        IngestRun,
    ):
        model.objects.all().delete()


def test_sync_through_faults_ends_with_the_same_rows_as_a_clean_one(sim):
    sync(sim, full=True)
    clean = snapshot()
    _wipe()
    faults = sim.faults
    faults.fail(status=502, nth=2, times=2)
    faults.fail(status=503, nth=3, endpoint="POST /graphql")
    faults.reset_connection(nth=4, endpoint="GET /repos/{owner}/{repo}/issues")
    faults.truncate(nth=2, endpoint="GET /repos/{owner}/{repo}/issues/comments")
    faults.fail(status=502, nth=3, times=2, endpoint="GET /repos/{owner}/{repo}/pulls/comments")
    faults.truncate(nth=5, endpoint="GET /repos/{owner}/{repo}/pulls/comments")
    faults.malformed(nth=5, endpoint="POST /graphql")
    faults.secondary_limit(status=429, retry_after=0.2, nth=6)
    faults.secondary_limit(status=403, retry_after=0.1, nth=3, endpoint="POST /graphql#Stargazers")
    faults.exhaust_rate_limit(reset_in=1.0, nth=25)
    rounds = 0
    while True:
        rounds += 1
        summary = sync(sim)
        if not summary.stopped or rounds >= 4:
            break
        assert "rate limit" in summary.stopped
        import time

        time.sleep(1.2)  # the simulated primary limit resets after a second
    assert rounds >= 2, "the exhausted rate limit should have stopped the first round"
    assert snapshot() == clean
    review_calls = sim.stats()["by_endpoint"]["GET /repos/{owner}/{repo}/pulls/comments"]
    assert review_calls.get("502") == 2, review_calls  # the injected failures were met
    partial = IngestRun.objects.filter(status="partial").first()
    assert partial is not None and any("rate limit" in e for e in partial.errors), [
        (r.scope, r.status, r.errors) for r in IngestRun.objects.all()
    ]


def test_persistent_5xx_is_reported_in_plain_words_and_other_resources_still_sync(sim):
    sim.faults.fail(status=502, nth=1, times=None, endpoint="POST /graphql#Stargazers")
    sync(sim, full=True)
    run = IngestRun.objects.get(scope="acme/core")
    assert run.status == "partial"
    assert Issue.objects.filter(repository__full_name="acme/core").count() > 100
    assert Star.objects.count() == 0
    assert any(
        "GitHub answered 502 5 times" in e and "acme/core" in e and "next run" in e
        for e in run.errors
    ), run.errors


def test_deleted_author_still_gets_a_first_response_and_odd_content_is_stored():
    world = World()
    world.add_org("acme")
    world.add_user("alice")
    world.add_user("zed")
    world.add_repo("acme", "core")
    title = "Crash ‮ with RTL text and emoji 🚀 " + "x" * 200
    number = world.add_issue(
        "acme/core", author="zed", title=title, created_at=at(0), locked=True, body="y" * 65536
    )
    world.add_comment("acme/core", number, author="alice", body="looking", created_at=at(1))
    world.delete_user("zed", shown_as="null")
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        summary = sync(server, full=True)
    assert not summary.errors
    issue = Issue.objects.get()
    assert issue.author is None and issue.locked and issue.title == title
    assert issue.first_responder.login == "alice" and issue.first_response_at == at(1)


def test_a_new_star_after_a_full_last_page_is_not_missed():
    world = World()
    world.add_org("acme")
    world.add_repo("acme", "core")
    for i in range(101):
        world.add_user(f"fan{i}")
    for i in range(100):
        world.add_star("acme/core", user=f"fan{i}", starred_at=at(i))
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        sync(server, full=True)
        assert Star.objects.count() == 100
        world.add_star("acme/core", user="fan100", starred_at=at(200))
        sync(server)
    assert Star.objects.count() == 101


def test_profiles_missing_are_fetched_each_run_and_stale_ones_on_a_full_run(sim):
    from datetime import timedelta

    from django.utils import timezone

    sync(sim, full=True)
    assert not Actor.objects.filter(profile_fetched_at=None).exclude(node_id="").exists()
    person = Actor.objects.filter(type="User").exclude(node_id="").order_by("pk").first()
    sim.world.update_user(person.login, company="Moved On Ltd")
    month_ago = timezone.now() - timedelta(days=30)
    Actor.objects.filter(pk=person.pk).update(profile_fetched_at=month_ago)
    sync(sim)
    person.refresh_from_db()
    assert person.company != "Moved On Ltd", "an incremental run leaves fetched profiles alone"
    sync(sim, full=True)
    person.refresh_from_db()
    assert person.company == "Moved On Ltd"
    assert person.profile_fetched_at > month_ago


def test_the_largest_repository_is_synced_first():
    """Repositories run side by side; the biggest one starts first so that it does not run
    alone at the end: by GitHub's open-issue count on a first sync, by what is stored after."""
    world = World()
    build_community(world)
    world.add_repo("acme", "aaa-tiny", created_at=at(-100))  # listed first: newest, and by name
    world.add_issue("acme/aaa-tiny", author="bob", title="lonely", created_at=at(1))
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        listed = [r["full_name"] for r in requests_json(server, "/orgs/acme/repos")]
        assert listed[0] == "acme/aaa-tiny"
        for full in (True, False):
            IngestRun.objects.all().delete()
            community_sync(client=client_for(server), orgs=["acme"], repos=[], full=full)
            order = list(
                IngestRun.objects.exclude(scope__startswith="org:")
                .order_by("started_at", "pk")
                .values_list("scope", flat=True)
            )
            assert order[0] == "acme/core" and len(order) == 3, (full, order)


def requests_json(server, path: str):
    import requests

    answer = requests.get(server.url + path, headers={"Authorization": f"token {TOKEN}"})
    answer.raise_for_status()
    return answer.json()
