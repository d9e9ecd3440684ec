"""The GitHub client over real HTTP: token rotation and rate limits against the simulator, and
a `Link` or redirect to another host never receiving the token (a second real server)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.github.client import ForeignHost, GitHubClient, RateLimited
from ingest.simulator import SimulatorServer, World
from ingest.tasks import reschedule_countdown

A = "ghp_" + "tokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # split: a fake token, kept out of secret scanners
B = "ghp_" + "tokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"  # split: a fake token, kept out of secret scanners


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


def test_reschedule_countdown_stays_below_the_visibility_timeout(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    far = datetime.now(UTC) + timedelta(hours=5)
    assert reschedule_countdown(far) < 3600
    near = datetime.now(UTC) + timedelta(seconds=100)
    assert 100 <= reschedule_countdown(near) <= 110


def test_429_without_retry_after_is_backed_off_and_retried(world):
    with SimulatorServer(world) as sim:
        sim.faults.fail(status=429, nth=1, times=2)
        client = GitHubClient(base_url=sim.url, tokens=[A], backoff_base=0.01)
        response = client.get_json("/repos/acme/core/issues")
        assert response.status == 200 and len(response.data) == 5
        assert client.stats.rate_limit_waits == 2


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
        assert home_handler.seen and home_handler.seen[0]["Authorization"] == f"Bearer {A}"
        assert foreign_handler.seen == []  # not even a token-less request went there
        assert A not in str(caught.value)
    finally:
        home.shutdown()
        foreign.shutdown()
