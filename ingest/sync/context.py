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
    progress: dict = field(default_factory=dict)  # where the sync is (IngestRun.progress)
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

    def step(self, label: str, *, step: int, steps: int) -> None:
        """A resource starts: the ingest page shows which one, and its progress from here."""
        self.progress = {
            "resource": label,
            "step": step,
            "steps": steps,
            "done": 0,
            "total": None,
            "resource_started_at": now().isoformat(),
        }
        self.save()

    def page_written(self, resource: str, n: int, *, total: int | None = None) -> None:
        """Count one page's items as written and record where the sync is. Called inside the
        page's transaction, so the run row shows exactly what is committed (one UPDATE a page).
        `total`: how many items GitHub says this resource will read in this run (its
        `totalCount`), when the sync can know it."""
        self.counts[resource] += n
        if self.progress:
            self.progress["done"] += n
            if total is not None:
                self.progress["total"] = total
        self.save()

    def error(self, message: str) -> None:
        tokens = [t.value for t in self.client._tokens] + list(settings.GITHUB_TOKENS)
        self.errors.append(scrub(message, tokens=tokens))

    def save(self, *, status: str | None = None) -> IngestRun:
        """Write counters to the run row (per page and per resource: /ingest/ shows progress)."""
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
        run.progress = dict(self.progress)
        if status is not None:
            run.status = status
            run.finished_at = now()
        run.save()
        return run
