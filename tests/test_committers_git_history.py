"""Promotion candidates on SOFAStack's real history, through the simulator and real ingest.

../shared/data/sofastack-git's commits are served by the GitHub simulator (`GitHistoryWorld`)
and ingested by the real sync for organisation `sofastack`; the rollups are rebuilt and the
committers page is asked, as a community manager would, on the day before each published
committer promotion (announcements.json): the person ranks in the top 3 of sofa-jraft's
candidates, with only what was public then. And none of the project's early maintainers
(ground_truth.json: committers of first-parent commits other than GitHub's web-flow, which
needs write access, from the project's first six months) is ever a candidate.

The rule is the general one (docs/metrics.md, "Promotion candidates"), nothing fitted to these
projects: the same is checked on other SOFAStack projects outside ../shared.
"""

import datetime as dt
import json

import pytest

from dashboard.derived.rebuild import derived_rebuild
from dashboard.metrics.promotion import promotion_candidates
from ingest.github.client import GitHubClient
from ingest.models import Actor, Commit, Repository
from ingest.simulator import GitHistoryWorld
from ingest.sync.community import community_sync

pytestmark = pytest.mark.django_db

PROJECT = "sofastack/sofa-jraft"
TOP = 3
EARLY_MONTHS = 6
TOKEN = "ghp_" + "testtoken0123456789abcdefghijklmnopqrs"  # a fake token, split for scanners


def _ingest(folder, github_sim) -> None:
    world = GitHistoryWorld(sorted(folder.glob("*.jsonl"))).build()
    sim = github_sim(world, tokens=[TOKEN])
    client = GitHubClient(
        base_url=sim.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05, max_inline_wait=2
    )
    summary = community_sync(client=client, orgs=["sofastack"], repos=[], full=True)
    assert not summary.errors, summary.errors
    derived_rebuild()


def _ranks(client, day: dt.date) -> list[tuple[int, str]]:
    """(rank, login) of the committers page's candidates of sofa-jraft as of `day`."""
    response = client.get(
        f"/committers/?repo={PROJECT}&until={day.isoformat()}&format=json&table=candidates"
    )
    assert response.status_code == 200
    rows = json.loads(b"".join(response.streaming_content))["rows"]
    return [(row["rank"], row["login"]) for row in rows]


def _logins_of(identity: dict) -> set[str]:
    """The lower-cased logins Pulse has for a ground-truth identity: accounts going by one of
    its names, and the accounts its e-mail addresses' commits are keyed to."""
    names = {name.lower() for name in identity["names"]}
    logins = {
        login.lower()
        for login, name in Actor.objects.values_list("login", "name")
        if login.lower() in {n.replace(" ", "") for n in names} or name.lower() in names
    }
    emails = {email.lower() for email in identity["emails"]}
    for key, email in Commit.objects.values_list("author_key", "author_email"):
        if email.lower() in emails and key.startswith("login:"):
            logins.add(key.removeprefix("login:").lower())
    return logins | {login.lower() for login in identity["logins"]}


def _months(first: dt.date, last: dt.date):
    day = first.replace(day=1)
    while day <= last:
        yield day
        day = day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)


@pytest.fixture(name="history")
def history_fixture(shared_data, github_sim, settings) -> dict:
    """The shared history ingested; its ground truth and announcements."""
    settings.PULSE_BOT_LOGINS = ["Copilot"]
    folder = shared_data / "sofastack-git"
    _ingest(folder, github_sim)
    return {
        "truth": json.loads((folder / "ground_truth.json").read_text(encoding="utf-8")),
        "announcements": json.loads((folder / "announcements.json").read_text(encoding="utf-8")),
    }


def test_announced_committers_rank_in_the_top_3_the_day_before(history, client):
    found = {}
    for announced in history["announcements"]:
        assert announced["repo"] == PROJECT
        day = dt.date.fromisoformat(announced["announced"]) - dt.timedelta(days=1)
        ranks = _ranks(client, day)
        mine = [rank for rank, login in ranks if login.lower() == announced["login"].lower()]
        found[announced["login"]] = (day.isoformat(), mine[0] if mine else None, ranks[:TOP])
    assert all(rank is not None and rank <= TOP for _, rank, _ in found.values()), found


def test_early_maintainers_are_never_candidates(history):
    truth = history["truth"]
    started = dt.datetime.fromisoformat(truth["repos"][PROJECT]["first_commit_at"]).date()
    early_end = started + dt.timedelta(days=EARLY_MONTHS * 30)
    early = {
        row["display"]: _logins_of(truth["identities"][row["identity"]])
        for row in truth["repos"][PROJECT]["d2_direct_committers_first_parent"]
        if dt.datetime.fromisoformat(row["first"]).date() < early_end
    }
    assert {"block", "dennis zhuang"} <= set(early) and all(early.values()), early
    maintainers = set().union(*early.values())
    rid = Repository.objects.get(full_name=PROJECT).pk
    last = dt.datetime.fromisoformat(truth["repos"][PROJECT]["last_commit_at"]).date()
    for day in _months(started, last + dt.timedelta(days=31)):
        for since in (None, started):
            candidates = promotion_candidates(
                repository_ids=[rid], as_of=day, since=since, limit=None
            )
            assert not maintainers & {r["login"].lower() for r in candidates}, (day, since)
