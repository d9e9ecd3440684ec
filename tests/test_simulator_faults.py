"""Fault injection, rate limits, surprising content and counters, seen from an HTTP client."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from ingest.github.queries import PULL_REQUESTS
from ingest.simulator import Faults, World

REPO = "acme/core"
T0 = datetime(2021, 5, 1, tzinfo=UTC)
ISSUES = "GET /repos/{owner}/{repo}/issues"


def world_with(issues: int = 3) -> World:
    world = World()
    world.add_org("acme")
    world.add_user("ann", company="Ant Group")
    world.add_user("ben")
    world.add_repo("acme", "core", created_at=T0)
    for n in range(issues):
        world.add_issue(REPO, author="ben", title=f"issue {n}", created_at=T0 + timedelta(hours=n))
    return world


def get(sim, path: str, **kwargs) -> requests.Response:
    return requests.get(
        f"{sim.url}{path}",
        headers={"Authorization": "token t", **kwargs.pop("headers", {})},
        timeout=10,
        **kwargs,
    )


def test_nth_request_fails_with_502_then_recovers(github_sim):
    sim = github_sim(world_with())
    sim.faults.fail(status=502, nth=2, endpoint=ISSUES)
    statuses = [get(sim, f"/repos/{REPO}/issues").status_code for _ in range(3)]
    assert statuses == [200, 502, 200]
    assert get(sim, f"/repos/{REPO}").status_code == 200  # other endpoints untouched
    assert sim.stats()["by_endpoint"][ISSUES] == {"200": 2, "502": 1}


def test_connection_reset_mid_body(github_sim):
    sim = github_sim(world_with())
    sim.faults.reset_connection(nth=1)
    # Headers arrive, then the body breaks off: what a client sees depends on where it was reading.
    with pytest.raises(
        (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    ):
        get(sim, f"/repos/{REPO}/issues")
    assert get(sim, f"/repos/{REPO}/issues").status_code == 200
    assert sim.stats()["by_endpoint"][ISSUES] == {"reset": 1, "200": 1}


@pytest.mark.parametrize("kind", ["truncate", "malformed"])
def test_broken_json_bodies_are_not_json(github_sim, kind):
    sim = github_sim(world_with())
    getattr(sim.faults, kind)(nth=1)
    broken = get(sim, f"/repos/{REPO}/issues")
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()


def test_slow_answer(github_sim):
    sim = github_sim(world_with())
    sim.faults.slow(seconds=0.3, nth=1)
    started = time.monotonic()
    assert get(sim, f"/repos/{REPO}/issues").status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.exceptions.ReadTimeout):
        sim.faults.slow(seconds=0.5, nth=1)
        requests.get(f"{sim.url}/repos/{REPO}", timeout=0.1)


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_answers_with_retry_after(github_sim, status):
    sim = github_sim(world_with())
    sim.faults.secondary_limit(status=status, retry_after=7, nth=1)
    limited = get(sim, f"/repos/{REPO}/issues")
    assert limited.status_code == status
    assert limited.headers["Retry-After"] == "7"
    assert "secondary rate limit" in limited.json()["message"]
    assert sim.stats()["rate_limited"] == 1


def test_exhausted_primary_limit_until_reset(github_sim):
    sim = github_sim(world_with())
    sim.faults.exhaust_rate_limit(reset_in=0.8, nth=2)
    assert get(sim, f"/repos/{REPO}").status_code == 200
    limited = get(sim, f"/repos/{REPO}")
    assert limited.status_code == 403
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert 0 <= int(limited.headers["X-RateLimit-Reset"]) - time.time() <= 2
    assert "rate limit exceeded" in limited.json()["message"]
    assert get(sim, f"/repos/{REPO}").status_code == 403  # still exhausted, no fault needed
    time.sleep(1.2)
    recovered = get(sim, f"/repos/{REPO}")
    assert recovered.status_code == 200 and int(recovered.headers["X-RateLimit-Remaining"]) > 4000


def test_a_real_budget_runs_out_and_304s_are_free(github_sim):
    sim = github_sim(world_with(), rate_limit=3)
    first = get(sim, f"/repos/{REPO}/issues")
    etag = first.headers["ETag"]
    for _ in range(4):
        assert get(sim, f"/repos/{REPO}/issues", headers={"If-None-Match": etag}).status_code == 304
    assert get(sim, f"/repos/{REPO}").headers["X-RateLimit-Remaining"] == "1"
    assert get(sim, f"/repos/{REPO}").headers["X-RateLimit-Remaining"] == "0"
    assert get(sim, f"/repos/{REPO}").status_code == 403
    other_token = requests.get(f"{sim.url}/repos/{REPO}", headers={"Authorization": "token other"})
    assert other_token.status_code == 200  # budgets are per token


def test_graphql_is_charged_by_cost_on_its_own_budget(github_sim):
    world = world_with(0)
    world.add_pull(REPO, author="ben", title="p", created_at=T0)
    sim = github_sim(world, graphql_limit=5)
    body = {"query": PULL_REQUESTS, "variables": {"owner": "acme", "name": "core", "after": None}}
    answer = requests.post(f"{sim.url}/graphql", json=body, headers={"Authorization": "bearer t"})
    assert answer.json()["data"]["rateLimit"] == {
        "cost": 3,
        "remaining": 2,
        "resetAt": answer.json()["data"]["rateLimit"]["resetAt"],
    }
    assert answer.headers["X-RateLimit-Used"] == "3"
    assert get(sim, f"/repos/{REPO}").headers["X-RateLimit-Used"] == "1"  # core budget is separate
    requests.post(f"{sim.url}/graphql", json=body, headers={"Authorization": "bearer t"})
    blocked = requests.post(f"{sim.url}/graphql", json=body, headers={"Authorization": "bearer t"})
    assert blocked.status_code == 403 and blocked.headers["X-RateLimit-Remaining"] == "0"


def test_fault_rules_from_the_command_line_form():
    faults = Faults()
    rule = faults.parse("secondary:429@2x3/1.5=GET /repos/{owner}/{repo}/issues")
    assert (rule.kind, rule.status, rule.nth, rule.times, rule.seconds) == (
        "secondary",
        429,
        2,
        3,
        1.5,
    )
    assert [faults.pick("GET", "/repos/{owner}/{repo}/issues") is rule for _ in range(5)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert faults.pick("GET", "/rate_limit") is None
    forever = faults.parse("status:503@1x*")
    assert all(faults.pick("GET", "/users/{username}") is forever for _ in range(10))
    for bad in ("explode@1", "status@0", "status:502"):
        with pytest.raises(ValueError):
            faults.parse(bad)


def test_surprising_but_legal_content(github_sim):
    world = world_with(0)
    world.add_user("leaver")
    world.add_user("vanished")
    rtl = "إصلاح الخطأ 🐛 修复 ✨"
    ghost_issue = world.add_issue(
        REPO, author="leaver", title=rtl, body="x" * 65_536, created_at=T0
    )
    null_issue = world.add_issue(
        REPO, author="vanished", title="null author", created_at=T0 + timedelta(1)
    )
    locked = world.add_issue(
        REPO,
        author="ben",
        title="locked",
        created_at=T0 + timedelta(2),
        locked=True,
        lock_reason="too heated",
    )
    pull = world.add_pull(REPO, author="leaver", title="by a leaver", created_at=T0 + timedelta(3))
    world.delete_user("leaver", shown_as="ghost")
    world.delete_user("vanished", shown_as="null")
    sim = github_sim(world)
    items = {i["number"]: i for i in get(sim, f"/repos/{REPO}/issues").json()}
    assert items[ghost_issue]["user"]["login"] == "ghost"
    assert items[ghost_issue]["title"] == rtl and len(items[ghost_issue]["body"]) == 65_536
    assert items[null_issue]["user"] is None
    assert items[locked]["locked"] is True and items[locked]["active_lock_reason"] == "too heated"
    assert get(sim, "/users/leaver").status_code == 404
    body = {"query": PULL_REQUESTS, "variables": {"owner": "acme", "name": "core", "after": None}}
    nodes = requests.post(f"{sim.url}/graphql", json=body).json()["data"]["repository"][
        "pullRequests"
    ]["nodes"]
    assert [(n["number"], n["author"]) for n in nodes] == [(pull, None)]


def test_transferred_repository_redirects_and_counters_use_templates(github_sim):
    world = world_with(2)
    world.add_org("newhome")
    world.transfer_repo(REPO, "newhome")
    sim = github_sim(world)
    moved = get(sim, f"/repos/{REPO}/issues", allow_redirects=False)
    assert moved.status_code == 301 and moved.json()["message"] == "Moved Permanently"
    followed = get(sim, f"/repos/{REPO}/issues")
    assert followed.status_code == 200 and followed.url.startswith(f"{sim.url}/repositories/")
    assert followed.json()[0]["repository_url"].endswith("/repos/newhome/core")
    requests.get(f"{sim.url}/_simulator/stats")
    stats = requests.get(f"{sim.url}/_simulator/stats").json()
    assert stats == sim.stats()
    assert stats["requests"] == 3  # two 301s and a 200; the stats calls themselves are not counted
    assert stats["by_endpoint"][ISSUES] == {"301": 2, "200": 1}
    sim.reset_stats()
    assert sim.stats() == {
        "requests": 0,
        "not_modified": 0,
        "rate_limited": 0,
        "by_endpoint": {},
        "by_operation": {},
    }
