"""The GitHub client over real HTTP: token rotation and rate limits against the simulator, and
a `Link` or redirect to another host never receiving the token (a second real server). PyGithub
sends every request; what it would do by default (sleep to a reset, drop a redirect's query,
log headers) must not happen."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.github.client import ForeignHost, GitHubClient, RateLimited
from ingest.simulator import SimulatorServer, World
from ingest.tasks import reschedule_countdown

A = (
    "ghp_" + "tokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
)  # split: a fake token, kept out of secret scanners
B = (
    "ghp_" + "tokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
)  # split: a fake token, kept out of secret scanners


@pytest.fixture
def world():
    world = World()
    world.add_org("acme")
    world.add_user("alice")
    world.add_repo("acme", "core")
    for i in range(5):
        world.add_issue(
            "acme/core", author="alice", title=f"i{i}", created_at="2024-01-01T00:00:00Z"
        )
    return world


def test_tokens_used_in_turn_then_rate_limited_with_a_reset_time(world):
    with SimulatorServer(world, tokens=[A, B], rate_limit=8) as sim:
        client = GitHubClient(base_url=sim.url, tokens=[A, B], min_remaining=3)
        # Ten answers where one token allows eight: after A fell to the floor, B took over.
        for _ in range(10):
            assert client.get_json("/repos/acme/core/issues").status == 200
        with pytest.raises(RateLimited) as caught:
            for _ in range(10):
                client.get_json("/repos/acme/core/issues")
        assert caught.value.reset_at > datetime.now(UTC)
        assert "rate limit" in str(caught.value) and A not in str(caught.value)


def test_a_used_up_primary_limit_raises_at_once_instead_of_sleeping_to_the_reset(world):
    with SimulatorServer(world, tokens=[A]) as sim:
        sim.faults.exhaust_rate_limit(reset_in=3600)
        client = GitHubClient(base_url=sim.url, tokens=[A])
        started = time.monotonic()
        with pytest.raises(RateLimited) as caught:
            client.get_json("/repos/acme/core/issues")
        # GithubRetry would have held this worker until the reset, an hour away.
        assert time.monotonic() - started < 5
        assert caught.value.reset_at > datetime.now(UTC) + timedelta(minutes=55)


def test_reschedule_countdown_stays_below_the_visibility_timeout(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    far = datetime.now(UTC) + timedelta(hours=5)
    assert reschedule_countdown(far) < 3600
    near = datetime.now(UTC) + timedelta(seconds=100)
    assert 100 <= reschedule_countdown(near) <= 110


def test_429_without_retry_after_is_backed_off_and_retried(world):
    with SimulatorServer(world) as sim:
        sim.faults.fail(status=429, nth=1, times=2)
        slept: list[float] = []
        client = GitHubClient(
            base_url=sim.url, tokens=[A], backoff_base=0.01, backoff_cap=0.05, sleep=slept.append
        )
        started = time.monotonic()
        response = client.get_json("/repos/acme/core/issues")
        assert response.status == 200 and len(response.data) == 5
        assert client.stats.rate_limit_waits == 2
        # Two short, capped backoffs of ours; nobody (PyGithub included) waited for the reset,
        # which the 429s announced an hour away.
        assert len(slept) == 2 and all(0 < s <= 0.05 for s in slept)
        assert time.monotonic() - started < 5
        assert client.stats.rate_limit_reset > datetime.now(UTC) + timedelta(minutes=55)


def test_a_renamed_repository_is_followed_with_its_query(world):
    world.add_issue(
        "acme/core",
        author="alice",
        title="done",
        created_at="2024-01-02T00:00:00Z",
        closed_at="2024-01-03T00:00:00Z",
    )
    world.rename_repo("acme/core", "kernel")
    with SimulatorServer(world, tokens=[A]) as sim:
        client = GitHubClient(base_url=sim.url, tokens=[A])
        pages = list(client.paginate("/repos/acme/core/issues", {"state": "all", "per_page": 2}))
        # PyGithub, left to follow the 301 itself, would ask for the path alone: open issues
        # only, 30 a page. The query survives: all six, two a page, closed one included.
        assert [len(p.data) for p in pages] == [2, 2, 2]
        assert "done" in {i["title"] for p in pages for i in p.data}
        assert all("/repositories/" in p.url for p in pages)


def test_pygithub_does_not_pause_between_requests(world):
    with SimulatorServer(world, tokens=[A]) as sim:
        client = GitHubClient(base_url=sim.url, tokens=[A])
        started = time.monotonic()
        for _ in range(20):
            client.get_json("/repos/acme/core/issues")
        for _ in range(5):
            client.graphql('query { repository(owner: "acme", name: "core") { id } }', {})
        # PyGithub's default pauses (0.25 s before a request, 1 s before a write) would take
        # about 9 s here.
        assert time.monotonic() - started < 4


def test_pygithub_sends_the_requests_and_its_debug_log_never_shows_the_token(world, caplog):
    # As an operator debugging might: the settings keep "github" and "urllib3" at WARNING.
    for name in (None, "github", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    with SimulatorServer(world, tokens=[A, B]) as sim:
        client = GitHubClient(base_url=sim.url, tokens=[A, B])
        assert client.get_json("/repos/acme/core/issues").status == 200
        data = client.graphql('query { repository(owner: "acme", name: "core") { id } }', {})
        assert data["repository"]["id"]
    sent = [r for r in caplog.records if r.name == "github.Requester"]
    assert len(sent) == 2  # PyGithub's requester sent both, REST and GraphQL ...
    assert all("token (oauth token removed)" in r.getMessage() for r in sent)  # ... masked
    assert A not in caplog.text and B not in caplog.text


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []
    reply_headers: dict[str, str] = {}
    status = 200

    def do_GET(self):  # noqa: N802 - stdlib name
        type(self).seen.append(dict(self.headers))
        self.send_response(self.status)
        for name, value in self.reply_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args):
        pass


def _serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("status", [200, 301])
def test_link_or_redirect_to_another_host_never_gets_the_token(status):
    foreign_handler = type("Foreign", (_Recorder,), {"seen": [], "reply_headers": {}})
    foreign = _serve(foreign_handler)
    elsewhere = f"http://127.0.0.1:{foreign.server_address[1]}/repositories/1/issues?page=2"
    headers = {"Link": f'<{elsewhere}>; rel="next"'} if status == 200 else {"Location": elsewhere}
    home_handler = type(
        "Home", (_Recorder,), {"seen": [], "reply_headers": headers, "status": status}
    )
    home = _serve(home_handler)
    try:
        client = GitHubClient(base_url=f"http://127.0.0.1:{home.server_address[1]}", tokens=[A])
        with pytest.raises(ForeignHost) as caught:
            list(client.paginate("/repos/acme/core/issues"))
        # PyGithub's Auth.Token writes the header (GitHub takes "token" and "Bearer" alike).
        assert home_handler.seen and home_handler.seen[0]["Authorization"] == f"token {A}"
        assert foreign_handler.seen == []  # not even a token-less request went there
        assert A not in str(caught.value)
    finally:
        home.shutdown()
        foreign.shutdown()


class _EnterpriseServer(BaseHTTPRequestHandler):
    """GitHub Enterprise Server's layout: REST under /api/v3, two pages linked by `Link`."""

    paths: list[str] = []

    def do_GET(self):  # noqa: N802 - stdlib name
        type(self).paths.append(self.path)
        self.send_response(200)
        if "page=2" not in self.path:
            port = self.server.server_address[1]
            link = f"http://127.0.0.1:{port}/api/v3/repositories/7/issues?page=2&state=all"
            self.send_header("Link", f'<{link}>; rel="next"')
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args):
        pass


def test_enterprise_server_paths_keep_their_prefix_once():
    server = _serve(_EnterpriseServer)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/api/v3"
        client = GitHubClient(base_url=base, tokens=[A])
        pages = list(client.paginate("/repos/acme/core/issues", {"state": "all"}))
        assert len(pages) == 2
        assert _EnterpriseServer.paths == [
            "/api/v3/repos/acme/core/issues?per_page=100&state=all",
            "/api/v3/repositories/7/issues?page=2&state=all",
        ]
    finally:
        server.shutdown()
