"""HTTP to GitHub: auth, timeouts, retries with backoff, `Link` pagination, ETags, typed errors.

The generic API every caller (sync services, governance files, tests) uses:

    client = GitHubClient.from_settings()            # GITHUB_API_URL, GITHUB_TOKENS, timeouts
    resp = client.get_json("/repos/o/r", etag=old)   # -> Response(status, data, etag, …)
    if resp.not_modified: ...                         # 304: nothing changed, costs no budget
    for page in client.paginate("/repos/o/r/issues", {"state": "all"}):
        page.data                                     # the list on that page; page.etag, page.url
    data = client.graphql(QUERY, {"owner": "o"})      # the `data` object of a GraphQL answer
    client.stats                                      # requests, 304s, waits, remaining, reset

`path` may be a path ("/repos/o/r") or an absolute URL that GitHub handed out (a `Link`);
absolute URLs must be on the host of GITHUB_API_URL or `ForeignHost` is raised before any
byte is sent, so a token never leaves for another host whatever a `Link` header says.

Errors are typed so callers can decide: `RateLimited(reset_at)` (reschedule for then; the
client never sleeps more than `max_inline_wait` seconds), `NotFound` (404/410), `Unauthorized`
(401), `Forbidden` (403 that is not a rate limit), `Transient` (5xx, resets, timeouts,
malformed bodies after bounded retries), `ForeignHost`. Messages never contain a token.

Transport: PyGithub. Every request (REST and GraphQL) is sent by PyGithub's `Requester`
(`requestJson`, which answers `(status, headers, body)` without raising), one `github.Github`
per token, so PyGithub's `Auth.Token` writes the `Authorization` header and masks it in
PyGithub's DEBUG log (which otherwise logs every header). What we configure, not inherit:
`base_url=GITHUB_API_URL`, `per_page=100`, `retry=None` (GithubRetry would sleep until a primary
reset, up to an hour, and does not retry a 429 without `Retry-After`), no throttling sleeps
(`seconds_between_requests`/`_writes=None`; the defaults, 0.25 s and 1 s, would cap a worker at
4 REST requests and 1 GraphQL query a second), our timeout and user agent, API version
2022-11-28. GraphQL goes through the same requester: one connection, one retry and rate-limit
path, one token rotation for both APIs.

What we still do ourselves, and why:
- Pagination by `Link` as GitHub wrote it, conditional requests and 304s: `PaginatedList`
  cannot send `If-None-Match` nor report a 304 (the incremental design rests on both) and
  builds its own page URLs. PyGithub only re-encodes a Link's query (sorted, empty values
  dropped: the same request to GitHub).
- The host check, before PyGithub sees a URL: given an absolute URL, PyGithub keeps its path
  and query and sends them to the configured host with the token, whatever the URL's host was.
- 301s (renamed or transferred repositories): PyGithub follows them itself to the Location's
  *path*, dropping its query (a renamed repository's `?state=all&since=…` would come back as
  open issues only, 30 a page) and comparing host names but not ports. Our connection (PyGithub's
  own connection class, one keep-alive session per client) hands the Location on under
  `X-Pulse-Location` and the client follows it like a `Link`: query kept, host checked, bounded.
- Retries, backoff with jitter, `Retry-After`, token rotation on `X-RateLimit-*`, typed errors.
A GET answered 202 (GitHub computing statistics) would make PyGithub wait 2 s and ask again;
no endpoint this project reads answers 202.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import github
import requests
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
    RequestsResponse,
)

logger = logging.getLogger(__name__)

USER_AGENT = "pulse-community-dashboard"
STAR_ACCEPT = "application/vnd.github.star+json"
JSON_ACCEPT = "application/vnd.github+json"
API_VERSION = "2022-11-28"
# Where our connection puts a 301's Location, out of PyGithub's reach (see the module docstring).
MOVED_HEADER = "X-Pulse-Location"


# --- errors -------------------------------------------------------------------------------------


class GitHubError(Exception):
    """Base of every error the client raises; `str()` is a sentence a maintainer can read."""


class RateLimited(GitHubError):
    def __init__(self, message: str, *, reset_at: datetime) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class NotFound(GitHubError):
    pass


class Unauthorized(GitHubError):
    pass


class Forbidden(GitHubError):
    pass


class Transient(GitHubError):
    """A failure that a later attempt may not meet (5xx, reset connection, malformed body)."""


class ForeignHost(GitHubError):
    """A URL (usually from a `Link` header) that points outside GITHUB_API_URL's host."""


class RefusedHost(GitHubError):
    """GITHUB_API_URL resolves to an address the token must not be sent to."""


# --- where the token may go ---------------------------------------------------------------------


def _unmapped(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IPv4 address written as IPv6 (::ffff:a.b.c.d) is that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a token must not go to `address` ("link-local", "loopback", "private"), or None
    for a public address."""
    if address.is_link_local:
        return "link-local"
    if address.is_loopback:
        return "loopback"
    if not address.is_global:  # RFC 1918, shared (CGNAT), unique-local, reserved, …
        return "private"
    return None


def api_url_check(
    base_url: str, *, allow_private: bool, resolve: Callable[..., list] = socket.getaddrinfo
) -> None:
    """Refuse an API URL whose host resolves to a link-local address (cloud metadata services
    such as 169.254.169.254 hand out credentials there: never allowed), or to a loopback or
    private one unless `allow_private` (PULSE_ALLOW_PRIVATE_API: the simulator, a GitHub
    Enterprise Server on a private network). Raises ValueError for a malformed URL,
    RefusedHost for a refused one. A host that does not resolve is left to fail as
    unreachable. Checked when a client is made from the settings, i.e. at the start of every
    task and command; DNS answers that change afterwards are not seen."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("GITHUB_API_URL must be an http(s) URL such as https://api.github.com")
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
        addresses = [literal]
    except ValueError:
        try:
            infos = resolve(host, parts.port or 443, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for address in map(_unmapped, addresses):
        kind = _address_kind(address)
        if kind == "link-local":
            raise RefusedHost(
                f"GITHUB_API_URL's host {host} is a link-local address ({address}), where "
                "cloud metadata services live; Pulse never sends a token there."
            )
        if kind and not allow_private:
            raise RefusedHost(
                f"GITHUB_API_URL's host {host} is a {kind} address ({address}); the token would "
                "be sent there. Set PULSE_ALLOW_PRIVATE_API=true if that is intended (the "
                "simulator, a GitHub Enterprise Server on your network)."
            )


# --- results ------------------------------------------------------------------------------------


@dataclass
class Response:
    url: str
    status: int
    data: Any = None
    etag: str = ""
    next_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class ClientStats:
    requests: int = 0
    not_modified: int = 0
    rate_limit_waits: int = 0
    retries: int = 0
    rate_limit_remaining: int | None = None
    rate_limit_reset: datetime | None = None

    def snapshot(self) -> ClientStats:
        return ClientStats(**self.__dict__)

    def absorb(self, other: ClientStats) -> None:
        """Add another client's counters (threads that each had their own client)."""
        self.requests += other.requests
        self.not_modified += other.not_modified
        self.rate_limit_waits += other.rate_limit_waits
        self.retries += other.retries


@dataclass
class _Token:
    value: str
    requester: Requester
    # Per rate-limit resource ("core", "graphql", …): remaining budget and reset time.
    remaining: dict[str, int] = field(default_factory=dict)
    reset: dict[str, datetime] = field(default_factory=dict)


def _parse_link_next(header: str | None) -> str | None:
    if not header:
        return None
    for part in header.split(","):
        section = part.split(";")
        if len(section) < 2:
            continue
        url = section[0].strip()
        if any(s.strip() in ('rel="next"', "rel=next") for s in section[1:]):
            if url.startswith("<") and url.endswith(">"):
                return url[1:-1]
    return None


def _now() -> datetime:
    return datetime.now(UTC)


class _KeepsRedirects:
    """Mixed into PyGithub's connection classes: a 301's Location is handed on under
    MOVED_HEADER, so PyGithub's Requester returns the 301 instead of following it to the path
    alone (it would drop the query and not compare ports)."""

    def getresponse(self) -> RequestsResponse:
        response = super().getresponse()  # type: ignore[misc]
        if response.status == 301 and "Location" in response.headers:
            moved = requests.structures.CaseInsensitiveDict(response.headers)
            moved[MOVED_HEADER] = moved.pop("Location")
            response.headers = moved
        return response


class _HTTPConnection(_KeepsRedirects, HTTPRequestsConnectionClass):
    pass


class _HTTPSConnection(_KeepsRedirects, HTTPSRequestsConnectionClass):
    pass


class GitHubClient:
    """One GitHub endpoint (GITHUB_API_URL) with one or more tokens used in turn."""

    def __init__(
        self,
        *,
        base_url: str,
        tokens: list[str] | None = None,
        timeout: float = 30,
        min_remaining: int = 50,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        max_inline_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("GITHUB_API_URL must be an http(s) URL such as https://api.github.com")
        self._origin = (parts.scheme, parts.netloc)
        # One PyGithub per token (its Auth.Token writes and, in its log, masks the header);
        # configured, not inherited: see the module docstring.
        pygithub = {
            "base_url": self.base_url,
            "per_page": 100,
            "timeout": math.ceil(timeout),
            "user_agent": USER_AGENT,
            "retry": None,
            "pool_size": 1,
            "seconds_between_requests": None,
            "seconds_between_writes": None,
            "api_version": API_VERSION,
        }
        self._tokens = [
            _Token(t, github.Github(auth=github.Auth.Token(t), **pygithub).requester)
            for t in (tokens or [])
            if t
        ]
        self._anonymous = github.Github(**pygithub).requester
        self.per_page = self._anonymous.per_page
        # Every requester sends through this one connection: one keep-alive pool per client.
        # No urllib3 retries under it (retry=0): the retry policy is ours, below.
        connection = _HTTPSConnection if parts.scheme == "https" else _HTTPConnection
        self._connection = connection(
            parts.hostname, parts.port, timeout=timeout, retry=0, pool_size=1
        )
        self._current = 0
        self.timeout = timeout
        self.min_remaining = min_remaining
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_inline_wait = max_inline_wait
        self._sleep = sleep
        self.stats = ClientStats()
        # GitHub Enterprise Server serves REST under /api/v3 and GraphQL under /api/graphql.
        if parts.path.rstrip("/").endswith("/v3"):
            self.graphql_url = self.base_url[: -len("/v3")] + "/graphql"
        else:
            self.graphql_url = self.base_url + "/graphql"

    @classmethod
    def from_settings(cls, **overrides: Any) -> GitHubClient:
        """A client for GITHUB_API_URL with GITHUB_TOKEN, once `api_url_check` let it through
        (ValueError or RefusedHost otherwise)."""
        from django.conf import settings

        api_url_check(
            overrides.get("base_url", settings.GITHUB_API_URL),
            allow_private=settings.PULSE_ALLOW_PRIVATE_API,
        )
        kwargs: dict[str, Any] = {
            "base_url": settings.GITHUB_API_URL,
            "tokens": list(settings.GITHUB_TOKENS),
            "timeout": settings.GITHUB_TIMEOUT,
            "min_remaining": settings.GITHUB_MIN_REMAINING,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    def clone(self) -> GitHubClient:
        """A client with the same settings and tokens and its own connection (one per thread:
        the requests.Session under PyGithub's connection is not meant to be shared)."""
        return GitHubClient(
            base_url=self.base_url,
            tokens=[t.value for t in self._tokens],
            timeout=self.timeout,
            min_remaining=self.min_remaining,
            max_attempts=self.max_attempts,
            backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap,
            max_inline_wait=self.max_inline_wait,
            sleep=self._sleep,
        )

    def close(self) -> None:
        self._connection.close()

    # --- public API -----------------------------------------------------------------------------

    def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        etag: str | None = None,
        accept: str = JSON_ACCEPT,
    ) -> Response:
        """GET one page; with `etag`, a 304 comes back as `Response(status=304, data=None)`."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        return self._request("GET", self._url(path), params=params, headers=headers)

    def paginate(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        accept: str = JSON_ACCEPT,
        etag: str | None = None,
    ) -> Iterator[Response]:
        """Yield every page, following `Link: rel="next"` as GitHub wrote it (never built here).

        With `etag`, the first page is conditional; a 304 yields that single 304 page and stops.
        """
        params = dict(params or {})
        if not path.startswith(("http://", "https://")) and "?" not in path:
            # A Link URL (or a checkpoint of one) carries its own query.
            params.setdefault("per_page", self.per_page)
        response = self.get_json(path, params, etag=etag, accept=accept)
        yield response
        while response.next_url and not response.not_modified:
            response = self.get_json(response.next_url, None, accept=accept)
            yield response

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST a query; return its `data`. GraphQL-level errors raise typed errors too."""
        response = self._request(
            "POST",
            self.graphql_url,
            json_body={"query": query, "variables": variables},
            headers={"Accept": "application/json"},
        )
        body = response.data if isinstance(response.data, dict) else {}
        errors = body.get("errors") or []
        data = body.get("data")
        types = {e.get("type") for e in errors if isinstance(e, dict)}
        if "RATE_LIMITED" in types:
            reset = self.stats.rate_limit_reset or _now() + timedelta(minutes=1)
            raise RateLimited("GitHub's GraphQL rate limit is used up.", reset_at=reset)
        if errors and (data is None or not types <= {"NOT_FOUND"}):
            first = errors[0].get("message", "") if isinstance(errors[0], dict) else str(errors[0])
            if types == {"NOT_FOUND"}:
                raise NotFound(f"GitHub's GraphQL API did not find it: {first[:200]}")
            raise GitHubError(f"GitHub's GraphQL API refused the query: {first[:200]}")
        if not isinstance(data, dict):
            raise Transient("GitHub's GraphQL API answered without data.")
        rate = data.get("rateLimit")
        if isinstance(rate, dict) and rate.get("remaining") is not None:
            self.stats.rate_limit_remaining = int(rate["remaining"])
        return data

    def checkpoint_path(self, url: str) -> str:
        """A page's address as a checkpoint may keep it: the path (and query) under
        GITHUB_API_URL, so that it still works after GITHUB_API_URL changes (another port for
        the simulator, a moved GitHub Enterprise Server). `paginate` and `get_json` take it
        back. Absolute URLs stored before (of any host) come back as their path and query."""
        if not url.startswith(("http://", "https://")):
            return url
        parts = urlsplit(url)
        path = parts.path or "/"
        base_path = urlsplit(self.base_url).path.rstrip("/")
        if base_path and (path == base_path or path.startswith(base_path + "/")):
            path = path[len(base_path) :] or "/"
        return path + (f"?{parts.query}" if parts.query else "")

    # --- internals ------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            if (parts.scheme, parts.netloc) != self._origin:
                raise ForeignHost(
                    f"GitHub pointed to a page on another host ({parts.netloc}); "
                    "not following it, so the token stays with the configured API host."
                )
            return path
        return self.base_url + "/" + path.lstrip("/")

    def _describe(self, url: str) -> str:
        return urlsplit(url).path

    def _pick_token(self, resource: str) -> _Token | None:
        """The current token, moving on to the next when its budget for `resource` is low."""
        if not self._tokens:
            return None
        now = _now()
        for offset in range(len(self._tokens)):
            token = self._tokens[(self._current + offset) % len(self._tokens)]
            remaining = token.remaining.get(resource)
            reset = token.reset.get(resource)
            if remaining is None or remaining > self.min_remaining or (reset and reset <= now):
                self._current = (self._current + offset) % len(self._tokens)
                return token
        resets = [t.reset.get(resource) for t in self._tokens if t.reset.get(resource)]
        reset_at = min(resets) if resets else now + timedelta(minutes=1)
        raise RateLimited(
            f"GitHub's rate limit is (nearly) used up: all {len(self._tokens)} token(s) have "
            f"fewer than {self.min_remaining} {resource} requests left until {reset_at:%H:%M} UTC.",
            reset_at=reset_at,
        )

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * random.uniform(0.5, 1.0)

    def _record_rate(self, token: _Token | None, headers: dict[str, str]) -> None:
        """Note the budget left; `headers` as PyGithub hands them back, names in lower case."""
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        resource = headers.get("x-ratelimit-resource", "core")
        if remaining is None:
            return
        try:
            remaining_i = int(remaining)
            reset_at = datetime.fromtimestamp(int(reset), UTC) if reset else None
        except ValueError:
            return
        self.stats.rate_limit_remaining = remaining_i
        if reset_at:
            self.stats.rate_limit_reset = reset_at
        if token is not None:
            token.remaining[resource] = remaining_i
            if reset_at:
                token.reset[resource] = reset_at

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> Response:
        resource = "graphql" if method == "POST" else "core"
        where = self._describe(url)
        failures: list[str] = []
        attempt = 0
        waits = 0
        redirects = 0
        while True:
            token = self._pick_token(resource)
            requester = token.requester if token is not None else self._anonymous
            # The page's own address, which callers keep as a resume cursor: parameters encoded
            # as PyGithub encodes them (a Link URL already carries its own).
            sent = Requester.add_parameters_to_url(url, params) if params else url
            self.stats.requests += 1
            try:
                status, answer_headers, body = requester.requestJson(
                    method, sent, None, dict(headers or {}), json_body, cnx=self._connection
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,  # a reset mid-body
            ) as exc:
                failures.append(f"connection failed ({type(exc).__name__})")
                attempt += 1
                if attempt >= self.max_attempts:
                    raise Transient(self._gave_up(method, where, failures)) from None
                self.stats.retries += 1
                self._sleep(self._backoff(attempt))
                continue

            self._record_rate(token, answer_headers)
            logger.debug("github %s %s -> %s", method, where, status)
            location = answer_headers.get(MOVED_HEADER.lower()) or answer_headers.get("location")

            if status in (301, 302, 307, 308) and location and redirects < 3:
                # A renamed or transferred repository: follow, same host check as a Link.
                redirects += 1
                url = self._url(urljoin(sent, location))
                params = None
                where = self._describe(url)
                continue
            if status == 304:
                self.stats.not_modified += 1
                return Response(
                    url=sent,
                    status=304,
                    etag=answer_headers.get("etag", ""),
                    headers=answer_headers,
                )
            if status == 401:
                raise Unauthorized(
                    f"GitHub refused the token (401) for {where}; check GITHUB_TOKEN."
                )
            if status in (403, 429):
                retry_after = answer_headers.get("retry-after")
                exhausted = answer_headers.get("x-ratelimit-remaining") == "0"
                text = body[:500].lower()
                if retry_after is not None:
                    try:
                        seconds = max(0.0, float(retry_after))
                    except ValueError:
                        seconds = 60.0
                    self.stats.rate_limit_waits += 1
                    waits += 1
                    if seconds <= self.max_inline_wait and waits <= self.max_attempts:
                        self._sleep(seconds)
                        continue
                    raise RateLimited(
                        f"GitHub asked to slow down (secondary rate limit) for {where}; "
                        f"retrying after {int(seconds)} s.",
                        reset_at=_now() + timedelta(seconds=seconds),
                    )
                if exhausted:
                    self.stats.rate_limit_waits += 1
                    if token is not None:
                        token.remaining[resource] = 0
                    waits += 1
                    if waits <= len(self._tokens):
                        continue  # _pick_token moves to another token or raises RateLimited
                    reset_at = self.stats.rate_limit_reset or _now() + timedelta(minutes=1)
                    raise RateLimited(
                        f"GitHub's rate limit is used up; it resets at {reset_at:%H:%M} UTC.",
                        reset_at=reset_at,
                    )
                if status == 429 or "rate limit" in text:
                    # A secondary limit without Retry-After: GitHub says wait, then back off
                    # exponentially; bounded, then the caller reschedules.
                    self.stats.rate_limit_waits += 1
                    waits += 1
                    if waits < self.max_attempts:
                        self._sleep(self._backoff(waits))
                        continue
                    raise RateLimited(
                        f"GitHub kept answering {status} (rate limit) for {where}.",
                        reset_at=_now() + timedelta(minutes=1),
                    )
                raise Forbidden(f"GitHub refused access (403) to {where}.")
            if status in (404, 410):
                raise NotFound(f"GitHub has no {where} ({status}).")
            if status >= 500 or status == 408:
                failures.append(f"GitHub answered {status}")
                attempt += 1
                if attempt >= self.max_attempts:
                    raise Transient(self._gave_up(method, where, failures))
                self.stats.retries += 1
                self._sleep(self._backoff(attempt))
                continue
            if status in (301, 302, 307, 308):
                raise GitHubError(f"GitHub kept redirecting {where} ({status}); not following.")
            if status >= 400:
                raise GitHubError(f"GitHub rejected the request for {where} ({status}).")
            try:
                data = json.loads(body) if body else None
            except ValueError:
                failures.append("GitHub sent a malformed (cut-off or invalid) JSON body")
                attempt += 1
                if attempt >= self.max_attempts:
                    raise Transient(self._gave_up(method, where, failures)) from None
                self.stats.retries += 1
                self._sleep(self._backoff(attempt))
                continue
            return Response(
                url=sent,
                status=status,
                data=data,
                etag=answer_headers.get("etag", ""),
                next_url=_parse_link_next(answer_headers.get("link")),
                headers=answer_headers,
            )

    def _gave_up(self, method: str, where: str, failures: list[str]) -> str:
        summary = "; ".join(dict.fromkeys(failures))
        return f"{summary} {len(failures)} times for {method} {where}; will retry at the next run."
