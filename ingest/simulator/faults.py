"""Fault injection: rules that make chosen requests fail the ways GitHub and networks do.

A rule matches requests by method and OpenAPI path template (None = any; `POST /graphql#Name`:
the GraphQL requests of the operation `Name`) and fires on the
N-th matching request after it was added, for `times` requests (None = for ever). Kinds:
`status` (502/503/500 answer), `reset` (connection reset mid-body), `truncated` (a 200 whose
JSON stops short), `malformed` (a 200 whose body is not JSON), `slow` (sleep, then answer
normally), `secondary` (403/429 with Retry-After), `exhaust` (the primary limit runs out:
403 with X-RateLimit-Remaining 0 until the reset `seconds` later).

Rules can also be given on the command line as `kind[:status]@nth[xtimes][/seconds][=METHOD path]`,
e.g. `status:502@3`, `reset@5`, `secondary:429@2/1`, `slow@1x10/0.5`, `exhaust@10/2`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

KINDS = ("status", "reset", "truncated", "malformed", "slow", "secondary", "exhaust")


@dataclass
class Fault:
    """One rule; `seen` counts the requests it has matched so far."""

    kind: str
    nth: int = 1
    times: int | None = 1
    endpoint: str | None = None  # "GET /repos/{owner}/{repo}/issues", or a template alone
    status: int = 502
    seconds: float = 0.0
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, template: str, operation: str | None = None) -> bool:
        if self.endpoint is None:
            return True
        if "#" in self.endpoint:  # "POST /graphql#Stargazers": one GraphQL operation
            endpoint, name = self.endpoint.split("#", 1)
            return name == operation and endpoint in (template, f"{method} {template}")
        if " " in self.endpoint:
            return self.endpoint == f"{method} {template}"
        return self.endpoint == template


class Faults:
    """The fault rules of one server; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[Fault] = []

    def add(
        self,
        kind: str,
        *,
        nth: int = 1,
        times: int | None = 1,
        endpoint: str | None = None,
        status: int | None = None,
        seconds: float = 0.0,
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
        if nth < 1 or (times is not None and times < 1):
            raise ValueError("nth and times count from 1")
        default_status = {"secondary": 403, "exhaust": 403}.get(kind, 502)
        rule = Fault(kind, nth, times, endpoint, status or default_status, seconds)
        with self._lock:
            self.rules.append(rule)
        return rule

    # The readable forms tests use.
    def fail(
        self, *, status: int = 502, nth: int = 1, times: int | None = 1, endpoint: str | None = None
    ) -> Fault:
        return self.add("status", status=status, nth=nth, times=times, endpoint=endpoint)

    def reset_connection(
        self, *, nth: int = 1, times: int | None = 1, endpoint: str | None = None
    ) -> Fault:
        return self.add("reset", nth=nth, times=times, endpoint=endpoint)

    def truncate(
        self, *, nth: int = 1, times: int | None = 1, endpoint: str | None = None
    ) -> Fault:
        return self.add("truncated", nth=nth, times=times, endpoint=endpoint)

    def malformed(
        self, *, nth: int = 1, times: int | None = 1, endpoint: str | None = None
    ) -> Fault:
        return self.add("malformed", nth=nth, times=times, endpoint=endpoint)

    def slow(
        self, *, seconds: float, nth: int = 1, times: int | None = 1, endpoint: str | None = None
    ) -> Fault:
        return self.add("slow", seconds=seconds, nth=nth, times=times, endpoint=endpoint)

    def secondary_limit(
        self,
        *,
        status: int = 403,
        retry_after: float = 1,
        nth: int = 1,
        times: int | None = 1,
        endpoint: str | None = None,
    ) -> Fault:
        if status not in (403, 429):
            raise ValueError("GitHub answers a secondary limit with 403 or 429")
        return self.add(
            "secondary", status=status, seconds=retry_after, nth=nth, times=times, endpoint=endpoint
        )

    def exhaust_rate_limit(
        self, *, reset_in: float = 1.0, nth: int = 1, endpoint: str | None = None
    ) -> Fault:
        return self.add("exhaust", seconds=reset_in, nth=nth, times=1, endpoint=endpoint)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, method: str, template: str, operation: str | None = None) -> Fault | None:
        """The rule that fires for this request, if any (every matching rule counts the request).
        `operation`: a GraphQL request's operation name, for rules on `/graphql#Name`."""
        chosen = None
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, template, operation):
                    continue
                rule.seen += 1
                due = rule.seen >= rule.nth and (rule.times is None or rule.fired < rule.times)
                if due and chosen is None:
                    rule.fired += 1
                    chosen = rule
        return chosen

    def parse(self, spec: str) -> Fault:
        """Add a rule from its command-line form (see the module docstring)."""
        found = re.fullmatch(
            r"(?P<kind>[a-z]+)(?::(?P<status>\d{3}))?@(?P<nth>\d+)(?:x(?P<times>\d+|\*))?"
            r"(?:/(?P<seconds>[\d.]+))?(?:=(?P<endpoint>.+))?",
            spec.strip(),
        )
        if not found:
            raise ValueError(
                f"bad fault {spec!r}: expected kind[:status]@nth[xtimes][/seconds][=METHOD path]"
            )
        times = found["times"]
        return self.add(
            found["kind"],
            nth=int(found["nth"]),
            times=None if times == "*" else int(times or 1),
            endpoint=found["endpoint"],
            status=int(found["status"]) if found["status"] else None,
            seconds=float(found["seconds"] or 0),
        )
