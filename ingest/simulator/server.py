"""The HTTP server: auth, primary/secondary rate limits, ETags and 304s, fault injection, counters.

Transport concerns live here; what an endpoint answers lives in `rest.py` and `graphql_api.py`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from ingest.simulator import graphql_api, rest
from ingest.simulator.faults import Fault, Faults
from ingest.simulator.render import Renderer
from ingest.simulator.world import World

WINDOW_SECONDS = 3600


@dataclass
class Window:
    """One token's primary rate-limit window for one resource (GitHub's hourly budget)."""

    limit: int
    used: int = 0
    reset: float = field(default_factory=lambda: time.time() + WINDOW_SECONDS)

    def roll(self) -> None:
        if time.time() >= self.reset:
            self.used = 0
            self.reset = time.time() + WINDOW_SECONDS

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self, resource: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset)),
            "X-RateLimit-Used": str(min(self.used, self.limit)),
            "X-RateLimit-Resource": resource,
        }

    def as_json(self) -> dict[str, int]:
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "reset": math.ceil(self.reset),
            "used": min(self.used, self.limit),
        }


@dataclass(frozen=True)
class Served:
    """One answer as served (kept when the server records, for fidelity checks)."""

    endpoint: str  # "GET /repos/{owner}/{repo}/issues"
    status: int
    accept: str
    body: Any
    request: bytes


class Stats:
    """Counters by OpenAPI path template and status (the `/_simulator/stats` contract in DESIGN.md)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.requests = 0
            self.not_modified = 0
            self.rate_limited = 0
            self.by_endpoint: dict[str, dict[str, int]] = {}
            self.by_operation: dict[str, dict[str, int]] = {}

    def count(
        self,
        key: str,
        status: int | str,
        *,
        rate_limited: bool = False,
        operation: str | None = None,
    ) -> None:
        with self.lock:
            self.requests += 1
            self.not_modified += status == 304
            self.rate_limited += rate_limited
            bucket = self.by_endpoint.setdefault(key, {})
            bucket[str(status)] = bucket.get(str(status), 0) + 1
            if operation:
                bucket = self.by_operation.setdefault(operation, {})
                bucket[str(status)] = bucket.get(str(status), 0) + 1

    def as_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "not_modified": self.not_modified,
                "rate_limited": self.rate_limited,
                "by_endpoint": {k: dict(v) for k, v in self.by_endpoint.items()},
                # GraphQL requests by the operation they name first.
                "by_operation": {k: dict(v) for k, v in self.by_operation.items()},
            }


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: SimulatorServer


class SimulatorServer:
    """Serves a `World` over HTTP on loopback; a context manager (start on enter, stop on exit)."""

    # The test suite sets this to a list: every server made meanwhile records its answers and
    # joins the list, so each test's answers can be checked against GitHub's contracts.
    watched: ClassVar[list[SimulatorServer] | None] = None

    def __init__(
        self,
        world: World,
        *,
        tokens: set[str] | list[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int = 5000,
        graphql_limit: int = 5000,
        anonymous_limit: int = 60,
        full_schema: bool = True,
        record: bool = False,
    ) -> None:
        self.world = world
        # With `record`, every answer served whole is kept for fidelity checks (tests only).
        watched = SimulatorServer.watched
        record = record or watched is not None
        self.served: deque[Served] | None = deque(maxlen=20_000) if record else None
        if watched is not None:
            watched.append(self)
        self.tokens = set(tokens) if tokens is not None else None
        self.host, self.port = host, port
        self.limits = {"core": rate_limit, "graphql": graphql_limit}
        self.anonymous_limit = anonymous_limit
        self.full_schema = full_schema
        self.faults = Faults()
        self._stats = Stats()
        self._windows: dict[tuple[str, str], Window] = {}
        self._windows_lock = threading.Lock()
        self._exhausted: dict[str, float] = {}
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.schema, self.schema_source = graphql_api.load_schema(prefer_full=full_schema)

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def bind(self) -> SimulatorServer:
        """Open the listening socket (so `url` is known) without serving yet."""
        if self._server is None:
            self._server = _HTTPServer((self.host, self.port), _Handler)
            self._server.sim = self
            self.renderer = Renderer(self.world, self.url)
        return self

    def start(self) -> SimulatorServer:
        """Serve in a background thread."""
        self.bind()
        # A short poll interval makes stop() quick: tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="github-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the foreground (the CLI) until interrupted."""
        self.bind()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- counters and limits ----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return self._stats.as_json()

    def reset_stats(self) -> None:
        self._stats.reset()

    def window(self, who: str, resource: str) -> Window:
        with self._windows_lock:
            key = (who, resource)
            if key not in self._windows:
                limit = self.anonymous_limit if who == "anonymous" else self.limits[resource]
                self._windows[key] = Window(limit)
            window = self._windows[key]
            window.roll()
            until = self._exhausted.get(resource, 0.0)
            if time.time() < until:
                window.used, window.reset = max(window.used, window.limit), until
            return window

    def exhaust(self, *, resource: str = "core", reset_in: float = 1.0) -> None:
        """Use up every token's budget for `resource` until `reset_in` seconds from now."""
        self._exhausted[resource] = time.time() + reset_in


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from GitHub
    # Headers and body go out in two writes; with Nagle's algorithm on, the body waits for the
    # client's delayed ACK of the headers (~40 ms per answer on Linux), which made every small
    # answer take 40+ ms and the simulator, not the client, the bottleneck of every benchmark.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def version_string(self) -> str:
        return "GitHub.com"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        # Silent: request lines may carry tokens in query strings, and tests want quiet output.
        return

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._serve("GET")

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._serve("GET")  # the GET answer's status and headers; `_write` leaves out the body

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self._serve("POST")

    def do_PATCH(self) -> None:  # noqa: N802 - stdlib name
        self._serve("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802 - stdlib name
        self._serve("DELETE")

    def do_PUT(self) -> None:  # noqa: N802 - stdlib name
        self._serve("PUT")

    # -- one request ------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        sim = self.server.sim
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        # GitHub Enterprise Server's prefixes, so a GHES-style GITHUB_API_URL works too.
        if path.startswith("/api/v3/") or path == "/api/graphql":
            path = path[len("/api/v3") :] if path.startswith("/api/v3/") else "/graphql"
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._write(
                rest.Reply(400, {"message": "Bad Content-Length"}),
                b'{"message":"Bad Content-Length"}',
            )
            return
        body = self.rfile.read(length) if length > 0 else b""
        self._request_body = body
        if path.startswith("/_simulator/"):
            self._simulator_endpoint(method, path)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = rest.Request(
            method, path, parse_qs(parts.query), headers, body, sim.world, sim.renderer, sim.url
        )
        found = None
        if path == "/graphql" and method == "POST":
            template = "/graphql"
        elif path == "/rate_limit" and method == "GET":
            template = "/rate_limit"
        else:
            found = rest.match(method, path)
            template = found[0].template if found else path
        key = f"{method} {template}"
        resource = "graphql" if template == "/graphql" else "core"

        who = self._identity(headers)
        if who is None:
            self._send(key, rest.HttpError(401, "Bad credentials").reply, rate=None)
            return
        window = sim.window(who, resource)
        rate_headers = window.headers(resource)

        fault = sim.faults.pick(
            method,
            template,
            _operation(body) if template == "/graphql" and sim.faults.rules else None,
        )
        if fault is not None and self._apply_fault(fault, key, window, resource):
            return

        if template == "/rate_limit":
            core, gql = sim.window(who, "core"), sim.window(who, "graphql")
            self._send(
                key,
                rest.Reply(
                    200,
                    {
                        "resources": {
                            "core": core.as_json(),
                            "graphql": gql.as_json(),
                            "search": Window(30 if who != "anonymous" else 10).as_json(),
                        },
                        "rate": core.as_json(),
                    },
                ),
                rate=core.headers("core"),
            )
            return
        if window.remaining <= 0:
            reply = rest.HttpError(403, f"API rate limit exceeded for {self._who_text(who)}.").reply
            self._send(key, reply, rate=rate_headers, rate_limited=True)
            return

        if template == "/graphql":
            self._graphql(key, req, window)
            return
        try:
            if found is None:
                raise rest.HttpError(404, "Not Found")
            reply = found[0].handler(req, found[1])
        except rest.HttpError as error:
            reply = error.reply
        except rest.Moved as moved:
            target = (
                sim.url
                + self._moved_path(path, moved.repo.id)
                + (f"?{parts.query}" if parts.query else "")
            )
            reply = rest.Reply(
                301,
                {
                    "message": "Moved Permanently",
                    "url": target,
                    "documentation_url": "https://docs.github.com/v3/#http-redirects",
                },
                {"Location": target},
            )
        except Exception:  # noqa: BLE001 - a simulator bug must still answer like GitHub's 500
            reply = rest.Reply(500, {"message": "Server Error", "status": "500"})
            traceback.print_exc()

        payload = _encode(reply.body)
        etag = 'W/"' + hashlib.sha256(payload).hexdigest()[:40] + '"'
        if reply.status == 200 and method == "GET":
            reply.headers["ETag"] = etag
            if etag in [t.strip() for t in headers.get("if-none-match", "").split(",")]:
                # A conditional hit does not count against the primary limit, as on GitHub.
                self._send(
                    key, rest.Reply(304, None, {"ETag": etag}), rate=window.headers(resource)
                )
                return
        window.used += 1
        self._send(key, reply, rate=window.headers(resource), payload=payload)

    def _moved_path(self, path: str, repo_id: int) -> str:
        rest_of_path = path.split("/", 4)[4] if path.count("/") >= 4 else ""
        return f"/repositories/{repo_id}" + (f"/{rest_of_path}" if rest_of_path else "")

    def _graphql(self, key: str, req: rest.Request, window: Window) -> None:
        sim = self.server.sim
        try:
            payload = json.loads(req.body or b"null")
        except (ValueError, UnicodeDecodeError):
            self._send(
                key,
                rest.Reply(
                    400,
                    {
                        "message": "Problems parsing JSON",
                        "documentation_url": "https://docs.github.com/graphql",
                    },
                ),
                rate=window.headers("graphql"),
            )
            return

        def charge(cost: int) -> dict[str, Any]:
            window.used += cost
            return {
                "cost": cost,
                "remaining": window.remaining,
                "resetAt": graphql_api.reset_at(math.ceil(window.reset)),
                "limit": window.limit,
                "used": min(window.used, window.limit),
                "nodeCount": 0,
            }

        try:
            status, answer, _ = graphql_api.execute(sim.world, sim.schema, payload, rate=charge)
        except Exception:  # noqa: BLE001 - GitHub answers its own failures in the errors list
            traceback.print_exc()
            status, answer = (
                502,
                {
                    "data": None,
                    "errors": [{"message": "Something went wrong while executing your query."}],
                },
            )
        self._send(key, rest.Reply(status, answer), rate=window.headers("graphql"))

    def _identity(self, headers: dict[str, str]) -> str | None:
        """Who is asking, for rate limiting: a token's digest, "anonymous", or None for a bad token."""
        auth = headers.get("authorization", "")
        if not auth:
            return "anonymous"
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() not in ("token", "bearer") or not token:
            return None
        tokens = self.server.sim.tokens
        if tokens is not None and token not in tokens:
            return None
        # Keyed by a digest so the token itself is never stored or shown anywhere.
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]

    def _who_text(self, who: str) -> str:
        if who == "anonymous":
            return f"{self.client_address[0]}"
        return "user ID " + str(int(who.split(":")[1][:6], 16))

    def _apply_fault(self, fault: Fault, key: str, window: Window, resource: str) -> bool:
        """Carry out a fault; True when it answered the request (False: slow, then serve normally)."""
        rate = window.headers(resource)
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return False
        if fault.kind == "status":
            body = {
                "message": "Server Error" if fault.status >= 500 else "Error",
                "status": str(fault.status),
            }
            self._send(key, rest.Reply(fault.status, body), rate=rate)
        elif fault.kind == "secondary":
            reply = rest.HttpError(
                fault.status,
                "You have exceeded a secondary rate limit. Please wait a few "
                "minutes before you try again.",
            ).reply
            reply.headers["Retry-After"] = str(int(fault.seconds))
            self._send(key, reply, rate=rate, rate_limited=True)
        elif fault.kind == "malformed":
            self._send(
                key,
                rest.Reply(200, None),
                rate=rate,
                payload=b'{"message": "ok", "items": [1, 2,, }',
            )
        elif fault.kind == "truncated":
            self._send(
                key,
                rest.Reply(200, None),
                rate=rate,
                payload=b'[{"id": 1, "number": 1, "title": "trunc',
            )
        elif fault.kind == "reset":
            self._reset_mid_body(key, rate)
        elif fault.kind == "exhaust":
            self.server.sim.exhaust(resource=resource, reset_in=fault.seconds)
            window = self.server.sim.window(
                self._identity({k.lower(): v for k, v in self.headers.items()}) or "", resource
            )
            reply = rest.HttpError(403, "API rate limit exceeded for this token.").reply
            self._send(key, reply, rate=window.headers(resource), rate_limited=True)
        return True

    def _reset_mid_body(self, key: str, rate: dict[str, str]) -> None:
        body = json.dumps([{"id": n, "title": "x" * 200} for n in range(50)]).encode()
        self.send_response(200)
        for name, value in {"Content-Type": "application/json; charset=utf-8", **rate}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.server.sim._stats.count(key, "reset")  # noqa: SLF001 - the server owns its counters
        self.connection.close()

    def _simulator_endpoint(self, method: str, path: str) -> None:
        sim = self.server.sim
        if method == "GET" and path == "/_simulator/stats":
            reply = rest.Reply(200, sim.stats())
        elif method == "POST" and path == "/_simulator/stats/reset":
            sim.reset_stats()
            reply = rest.Reply(200, sim.stats())
        else:
            reply = rest.Reply(404, {"message": "Not Found"})
        self._write(reply, _encode(reply.body))

    def _send(
        self,
        key: str,
        reply: rest.Reply,
        *,
        rate: dict[str, str] | None,
        rate_limited: bool = False,
        payload: bytes | None = None,
    ) -> None:
        sim = self.server.sim
        operation = _operation(self._request_body) if key == "POST /graphql" else None
        sim._stats.count(  # noqa: SLF001
            key, reply.status, rate_limited=rate_limited, operation=operation
        )
        if sim.served is not None and reply.body is not None:
            sim.served.append(
                Served(
                    key,
                    reply.status,
                    self.headers.get("Accept", ""),
                    reply.body,
                    self._request_body,
                )
            )
        headers = dict(rate or {})
        headers.update(reply.headers)
        reply.headers = headers
        self._write(reply, payload if payload is not None else _encode(reply.body))

    def _write(self, reply: rest.Reply, payload: bytes) -> None:
        self.send_response(reply.status)
        if reply.status != 304:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        self.send_header("X-GitHub-Request-Id", uuid.uuid4().hex[:20].upper())
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status == 304:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _encode(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)")


def _operation(body: bytes) -> str | None:
    """The operation a GraphQL request names first (for fault rules on one operation)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    query = payload.get("query") if isinstance(payload, dict) else None
    found = _OPERATION.match(query) if isinstance(query, str) else None
    return found.group(1) if found else None
