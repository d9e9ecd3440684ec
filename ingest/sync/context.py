"""The state one sync carries: the client, the run being recorded, and per-run lookups."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

from ..github.client import ClientStats, GitHubClient
from ..identity import bot_logins
from ..models import IngestRun


def now() -> datetime:
    return datetime.now(UTC)


def scrub(message: str, *, tokens: list[str]) -> str:
    """Belt and braces: no token text ever reaches a stored error or a log line."""
    for token in tokens:
        if token and token in message:
            message = message.replace(token, "***")
    return message


@dataclass
class SyncContext:
    """Client + the IngestRun row being filled; `counts` are items written per resource."""

    client: GitHubClient
    run: IngestRun
    full: bool = False
    bots: set[str] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    actors: dict[int, tuple] = field(default_factory=dict)  # actors written this run
    _base: ClientStats = field(default_factory=ClientStats)

    @classmethod
    def start(cls, *, client: GitHubClient, scope: str, trigger: str, full: bool) -> SyncContext:
        run = IngestRun.objects.create(
            scope=scope, trigger=trigger, full=full, started_at=now(), status="running"
        )
        return cls(
            client=client, run=run, full=full, bots=bot_logins(), _base=client.stats.snapshot()
        )

    def wrote(self, resource: str, n: int) -> None:
        self.counts[resource] += n

    def error(self, message: str) -> None:
        tokens = [t.value for t in self.client._tokens] + list(settings.GITHUB_TOKENS)
        self.errors.append(scrub(message, tokens=tokens))

    def save(self, *, status: str | None = None) -> IngestRun:
        """Write counters to the run row (called per resource so /ingest/ shows progress)."""
        stats = self.client.stats
        run = self.run
        run.counts = dict(self.counts)
        run.items_written = sum(self.counts.values())
        run.requests = stats.requests - self._base.requests
        run.not_modified = stats.not_modified - self._base.not_modified
        run.rate_limit_waits = stats.rate_limit_waits - self._base.rate_limit_waits
        run.errors = list(self.errors)
        run.error_count = len(self.errors)
        run.rate_limit_remaining = stats.rate_limit_remaining
        run.rate_limit_reset = stats.rate_limit_reset
        if status is not None:
            run.status = status
            run.finished_at = now()
        run.save()
        return run
