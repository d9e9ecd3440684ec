"""A foreground sync of several organisations and repositories, as the `ingest` and `demo`
commands run it: the same services the Celery tasks call, one repository after another."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from ..github.client import GitHubClient
from ..identity import commits_recompute_author_keys
from ..models import IngestRun, Repository
from .repositories import largest_first
from .repository import (
    DatabaseFailed,
    SyncFailed,
    SyncRescheduled,
    organization_sync,
    repository_sync,
)


@dataclass
class CommunitySummary:
    runs: list[IngestRun] = field(default_factory=list)
    repository_ids: list[int] = field(default_factory=list)
    stopped: str = ""  # why the sync stopped early (rate limit, database), if it did
    rate_limit_reset: datetime | None = None  # set when GitHub's rate limit stopped it
    database_failed: str = ""  # set when the database failed under it

    def total(self, name: str) -> int:
        return sum(getattr(run, name) or 0 for run in self.runs)

    @property
    def errors(self) -> list[str]:
        return [message for run in self.runs for message in run.errors]

    @property
    def complete(self) -> bool:
        """Everything asked for was synced: no run failed, was skipped or cut short."""
        return not self.stopped and all(
            run.status == IngestRun.Status.SUCCESS and not run.errors for run in self.runs
        )

    def rate_limited(self, exc: SyncRescheduled) -> None:
        self.runs.append(exc.run)
        self.rate_limit_reset = exc.reset_at
        self.stopped = f"GitHub's rate limit was reached; run again after {exc.reset_at:%H:%M} UTC."

    def database_down(self, exc: DatabaseFailed) -> None:
        if exc.run is not None:
            self.runs.append(exc.run)
        self.database_failed = str(exc)
        self.stopped = (
            "The database failed; the sync stopped there (the run is recorded as failed)."
        )


def community_sync(
    *,
    client: GitHubClient,
    orgs: list[str],
    repos: list[str],
    full: bool = False,
    trigger: str = "command",
    on_repositories: Callable[[int], None] | None = None,
    on_repository_done: Callable[[IngestRun], None] | None = None,
    jobs: int = 1,
) -> CommunitySummary:
    """List each organisation's repositories, then sync every active one and each of `repos`.

    `on_repositories(n)` is called once the number of repositories is known (progress bars);
    `on_repository_done(run)` after each one. A rate limit stops the whole sync (every
    repository would meet it) and says until when in `summary.stopped`. `jobs` > 1 syncs that
    many repositories at once (threads; the per-repository lock still holds)."""
    summary = CommunitySummary()
    names: list[str] = []
    from_orgs: set[str] = set()
    try:
        for login in orgs:
            run, listed = organization_sync(client=client, login=login, full=full, trigger=trigger)
            summary.runs.append(run)
            active = set(
                Repository.objects.filter(full_name__in=listed, archived=False).values_list(
                    "full_name", flat=True
                )
            )
            names.extend(n for n in listed if n in active)
            from_orgs.update(active)
    except SyncRescheduled as exc:
        summary.rate_limited(exc)
        return summary
    except DatabaseFailed as exc:
        summary.database_down(exc)
        return summary
    except SyncFailed as exc:
        summary.runs.append(exc.run)
    for name in repos:
        if name not in names:
            names.append(name)
    names = largest_first(names)
    if on_repositories:
        on_repositories(len(names))
    stop = threading.Event()
    lock = threading.Lock()
    # Repositories synced, by id: a renamed repository is no longer found under the name it
    # was asked for, and its follow-ups (commit re-keying) must still cover it.
    synced_ids: set[int] = set()

    def one(name: str, repo_client: GitHubClient) -> None:
        if stop.is_set():
            return
        try:
            run = repository_sync(
                client=repo_client,
                full_name=name,
                full=full,
                trigger=trigger,
                listed=name in from_orgs,
                rekey_commits=False,  # once for all of them, below
            )
        except SyncRescheduled as exc:
            stop.set()
            with lock:
                summary.rate_limited(exc)
            return
        except DatabaseFailed as exc:
            # Every repository needs the database: stop here, say so, keep the summary.
            stop.set()
            with lock:
                summary.database_down(exc)
            return
        except SyncFailed as exc:
            run = exc.run
        with lock:
            summary.runs.append(run)
            synced = getattr(run, "synced_repository_id", None)
            if synced is not None:
                synced_ids.add(synced)
            if on_repository_done:
                on_repository_done(run)

    if jobs <= 1:
        for name in names:
            one(name, client)
    else:
        # Repositories in parallel, like several Celery workers: each thread has its own
        # client (connection pool) and its own database connection, closed when it ends.
        clients: dict[int, GitHubClient] = {}

        def threaded(name: str) -> None:
            ident = threading.get_ident()
            if ident not in clients:
                clients[ident] = client.clone()
            try:
                one(name, clients[ident])
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="sync") as pool:
            for future in [pool.submit(threaded, name) for name in names]:
                future.result()
        for extra in clients.values():
            client.stats.absorb(extra.stats)
            extra.close()
    if summary.database_failed:
        return summary
    summary.repository_ids = sorted(
        synced_ids
        | set(Repository.objects.filter(full_name__in=names).values_list("pk", flat=True))
    )
    if summary.repository_ids:
        commits_recompute_author_keys(repository_ids=summary.repository_ids)
    return summary


def summary_lines(summary: CommunitySummary) -> list[str]:
    """The closing summary, in the words of DESIGN.md's `ingest` contract."""
    lines = [
        f"Items written: {summary.total('items_written')}",
        f"API requests: {summary.total('requests')}",
        f"304 answers (unchanged, free): {summary.total('not_modified')}",
        f"Rate-limit waits: {summary.total('rate_limit_waits')}",
        f"Errors: {len(summary.errors)}",
    ]
    lines.extend(f"  - {message}" for message in summary.errors[:20])
    if len(summary.errors) > 20:
        lines.append(f"  … and {len(summary.errors) - 20} more (see /ingest/)")
    if summary.stopped:
        lines.append(summary.stopped)
    return lines
