"""Co-authors are contributors (GitHub credits `Co-authored-by:` people): counted on the
commit's date in new and active contributors and on the person's page, with a filter that
leaves them out; bots named by convention (`-bot`, `-robot`) are not people."""

import datetime as dt
import json

import pytest
from django.core.cache import cache

from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.activity import activity_by_interval
from dashboard.metrics.newcomers import newcomers_list
from dashboard.metrics.people import contributions_by_project
from ingest import identity
from ingest.models import CommitCoAuthor
from tests.factories import actor, commit, repository

pytestmark = pytest.mark.django_db

MAY = {"since": dt.date(2024, 5, 1), "until": dt.date(2024, 5, 31)}


@pytest.fixture
def world():
    cache.clear()
    repo = repository("acme/alpha")
    ann = actor("ann")
    pat = actor("pat")
    first = commit(repo, "2024-05-03 10:00", author=ann)
    # pat co-authored ann's commit (linked by GitHub); an unlinked co-author by e-mail; a
    # co-author who is the author again (counted once); a bot named by convention.
    for position, (who, name, email) in enumerate(
        [
            (pat, "Pat", "pat@example.org"),
            (None, "Quinn Q", "quinn@example.org"),
            (ann, "ann", "ann@example.org"),
            (None, "deploy-robot", "robot@example.org"),
        ],
        start=1,
    ):
        CommitCoAuthor.objects.create(
            commit=first,
            repository=repo,
            position=position,
            author=who,
            name=name,
            email=email,
            author_key=identity.author_key(login=who.login if who else None, email=email),
        )
    commit(repo, "2024-05-20 10:00", author=actor("sofastack-robot"))
    derived_rebuild()
    return repo


def _newcomers(repo, kind: str) -> set[str]:
    rows = newcomers_list(repository_ids=[repo.pk], narrowed=True, kind=kind, **MAY)
    return {row["person"] for row in rows}


def test_co_authors_are_new_contributors_unless_left_out(world):
    assert _newcomers(world, "default") == {"ann", "pat", "Quinn Q"}
    assert _newcomers(world, "commit") == {"ann", "pat", "Quinn Q"}
    assert _newcomers(world, "default-authored") == {"ann"}


def test_co_authors_are_active_contributors_on_the_commits_date(world):
    activity = activity_by_interval(repository_ids=[world.pk], interval="month", **MAY)
    assert activity["metrics"]["active_contributors"] == [3]
    assert activity["metrics"]["commits"] == [2]  # co-authoring adds no commit


def test_a_co_authored_commit_shows_on_the_persons_page(world):
    rows = contributions_by_project(person_key="login:pat", **MAY)
    assert [(r["project"], r["co_authoreds"], r["commits"]) for r in rows] == [("acme/alpha", 1, 0)]


def test_the_newcomers_page_filter_leaves_co_authors_out(client, world):
    shown = client.get("/newcomers/?since=2024-05-01&until=2024-05-31&format=json")
    left_out = client.get(
        "/newcomers/?since=2024-05-01&until=2024-05-31&coauthors=exclude&format=json"
    )
    people = [
        {row["person"] for row in json.loads(b"".join(r.streaming_content))["rows"]}
        for r in (shown, left_out)
    ]
    assert people == [{"ann", "pat", "Quinn Q"}, {"ann"}]
    bad = client.get("/newcomers/?coauthors=maybe")
    assert bad.status_code == 400 and b"coauthors" in bad.content
