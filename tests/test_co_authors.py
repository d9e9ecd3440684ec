"""Commit co-authors through ingest: GitHub's `Commit.authors` after the author, one
`CommitCoAuthor` row per person, linked to the account GitHub links their e-mail to."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ingest.github.client import GitHubClient
from ingest.identity import author_key
from ingest.models import Commit, CommitCoAuthor, FactChange
from ingest.simulator import SimulatorServer, World
from ingest.sync.community import community_sync
from tests.ingest_world import at

pytestmark = pytest.mark.django_db

TOKEN = "ghp_" + "testtoken0123456789abcdefghijklmnopqrs"  # split: a fake token
PAGES = 2  # the history is read 100 commits at a time
COMMITS = 150


def co_authors_of(n: int) -> list[dict]:
    """Who co-authored commit n: every third one a linked person and an unlinked e-mail, every
    fifth GitHub's Copilot agent (a bot, stored like anyone), every seventh its own author
    again (GitHub lists a person once)."""
    people = []
    if n % 3 == 0:
        people += [
            {"name": "Bob B", "email": "bob@example.org", "login": "bob"},
            {"name": "Mystery", "email": "mystery@example.org", "login": None},
        ]
    if n % 5 == 0:
        people.append({"name": "Copilot", "email": "198982749+Copilot@users.noreply.github.com"})
    if n % 7 == 0:
        people.append({"name": "Alice A", "email": "alice@example.org", "login": "alice"})
    return people


@pytest.fixture
def sim():
    world = World()
    world.add_org("acme")
    world.add_user("alice")
    world.add_user("bob")
    world.add_repo("acme", "core", created_at=at(-10))
    for n in range(COMMITS):
        world.add_commit(
            "acme/core",
            authored_at=at(n / 4),
            author_login="alice",
            author_name="Alice A",
            author_email="alice@example.org",
            message=f"Change {n}",
            co_authors=co_authors_of(n),
        )
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        yield server


def sync(server, *, full: bool = True):
    client = GitHubClient(
        base_url=server.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05, max_inline_wait=2
    )
    return community_sync(client=client, orgs=["acme"], repos=[], full=full)


def stored() -> list[tuple]:
    return sorted(
        CommitCoAuthor.objects.values_list(
            "commit__message_headline", "position", "author__login", "name", "email", "author_key"
        )
    )


def expected() -> list[tuple]:
    rows = []
    for n in range(COMMITS):
        people = [p for p in co_authors_of(n) if p["email"] != "alice@example.org"]
        for position, person in enumerate(people, start=1):
            key = author_key(login=person.get("login"), email=person["email"])
            rows.append(
                (f"Change {n}", position, person.get("login"), person["name"], person["email"], key)
            )
    return sorted(rows)


def test_co_authors_are_stored_after_the_author_linked_where_github_links_them(sim):
    summary = sync(sim)
    assert not summary.errors, summary.errors
    assert Commit.objects.count() == COMMITS
    assert stored() == expected()
    # The author, listed first by GitHub (and again in one trailer), is never a co-author.
    assert not CommitCoAuthor.objects.filter(email="alice@example.org").exists()
    # A co-author's account is an actor like a commit author's.
    bob = CommitCoAuthor.objects.filter(author__login="bob").first().author
    assert bob.github_id == sim.world.user("bob").id


def test_a_re_read_replaces_a_commits_co_authors(sim):
    sync(sim)
    # GitHub links an e-mail once it is verified on an account: a re-read brings the link.
    sim.world.add_user("mystery")
    sim.world.db.execute(
        "UPDATE co_authors SET user_id = ? WHERE email = ?",
        (sim.world.user("mystery").id, "mystery@example.org"),
    )
    summary = sync(sim)
    assert not summary.errors, summary.errors
    rows = stored()
    assert len(rows) == len(expected())  # replaced, not added to
    mystery = {r[2:] for r in rows if r[4] == "mystery@example.org"}
    assert mystery == {("mystery", "Mystery", "mystery@example.org", "login:mystery")}
    assert not CommitCoAuthor.objects.filter(author_key="").exists()


def test_co_authors_are_written_per_page_in_the_pages_transaction(sim, monkeypatch):
    with CaptureQueriesContext(connection) as queries:
        sync(sim)
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(
            ('INSERT INTO "ingest_commitcoauthor"', 'DELETE FROM "ingest_commitcoauthor"')
        )
    ]
    assert len(writes) == 2 * PAGES, writes  # one DELETE and one bulk INSERT per page
    assert FactChange.objects.filter(repository__full_name="acme/core").exists()

    CommitCoAuthor.objects.all().delete()
    Commit.objects.all().delete()

    def refuse(**_):
        raise RuntimeError("the page's change record failed")

    monkeypatch.setattr("ingest.sync.commits.facts_changed", refuse)
    with pytest.raises(RuntimeError):
        sync(sim)
    # Nothing of a page outlives its failed transaction, co-authors included.
    assert not Commit.objects.exists() and not CommitCoAuthor.objects.exists()
