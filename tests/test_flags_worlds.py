"""The flags on whole worlds, through the real pipeline (simulator, sync, rebuild):

- the synthetic world plants typo-PR floods (accounts made days before, many tiny pull requests
  in a few weeks) and a star burst on mosn/layotto from freshly made accounts: every one of them
  is flagged (recall 100%), found from what the generator planted, not from the detector;
- SOFAStack's real history (../shared/data/sofastack-git, served by the git-history world) has
  tiny docs-only commits at a few a year and no gaming: no flood is flagged there.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.derived.rebuild import derived_rebuild
from dashboard.models import Flag
from ingest.github.client import GitHubClient
from ingest.models import PullRequest, Repository
from ingest.simulator import GitHistoryWorld
from ingest.simulator.synthetic import STAR_BURST_REPO, SyntheticWorld
from ingest.sync.community import community_sync

pytestmark = pytest.mark.django_db

TOKEN = "ghp_" + "flagsToken0123456789abcdefghijklmnop"  # split: a fake token


def ingest(sim, orgs: list[str]) -> None:
    client = GitHubClient(
        base_url=sim.url, tokens=[TOKEN], backoff_base=0.01, backoff_cap=0.05, max_inline_wait=2
    )
    summary = community_sync(client=client, orgs=orgs, repos=[], full=True)
    assert not summary.errors, summary.errors
    derived_rebuild()


def test_every_planted_flood_and_the_star_burst_of_the_synthetic_world_are_flagged(github_sim):
    generator = SyntheticWorld(seed=1, scale="small")
    world = generator.build()
    planted = sorted(set(generator.planted_floods))
    assert len(planted) >= 4  # two in sofa-rpc, two in mosn, maybe more
    burst_logins = {
        row["login"]
        for row in world.query(
            "SELECT login FROM users WHERE id IN ({})".format(
                ",".join(str(uid) for uid in generator.burst_accounts)
            )
        )
    }
    ingest(github_sim(world, tokens=[TOKEN]), ["sofastack", "mosn"])

    names = dict(Repository.objects.values_list("pk", "full_name"))
    flooded = {
        (names[repository_id], login)
        for repository_id, login in Flag.objects.filter(kind="pr_flood_author").values_list(
            "repository_id", "subject"
        )
    }
    missed = [p for p in planted if p not in flooded]
    assert not missed, (missed, sorted(flooded))
    # Each flooder's flag lists their pull requests in the window as evidence.
    for full_name, login in planted:
        flag = Flag.objects.get(
            kind="pr_flood_author",
            subject=login,
            repository_id=Repository.objects.get(full_name=full_name).pk,
        )
        theirs = set(
            PullRequest.objects.filter(
                repository_id=flag.repository_id, author__login=login
            ).values_list("number", flat=True)
        )
        assert {e["number"] for e in flag.evidence} <= theirs
        assert flag.count >= 5
    # The burst: 150 fresh accounts over 36 hours from 2023-06-12.
    bursts = Flag.objects.filter(
        kind="star_burst", repository_id=Repository.objects.get(full_name=STAR_BURST_REPO).pk
    )
    assert bursts.count() == 1
    burst = bursts.get()
    assert burst.window_start.date() >= dt.date(2023, 6, 12)
    assert burst.window_end.date() <= dt.date(2023, 6, 14)
    counted = next(e for e in burst.evidence if "accounts" in e)
    # Every planted account is fresh (a regular stargazer may be too, by the same rule).
    assert len(burst_logins) == 150 and 150 <= counted["fresh"] <= burst.count
    assert len(set(counted["accounts"]) - burst_logins) <= counted["fresh"] - 150
    # Nothing else in the world is a star burst.
    assert Flag.objects.filter(kind="star_burst").count() == 1


def test_no_flag_on_sofastacks_real_history(shared_data, github_sim, settings):
    settings.PULSE_BOT_LOGINS = ["Copilot"]
    folder = shared_data / "sofastack-git"
    world = GitHistoryWorld(sorted(folder.glob("*.jsonl"))).build()
    ingest(github_sim(world, tokens=[TOKEN]), ["sofastack"])
    assert Repository.objects.count() == 3
    assert PullRequest.objects.count() > 1000
    assert list(Flag.objects.values_list("kind", "subject", "count")) == []
