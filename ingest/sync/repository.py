"""One repository's whole sync (every resource in turn) and one organisation's listing, each
recorded as an IngestRun under its single-flight lock."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError, connection

from ..github.client import (
    ForeignHost,
    GitHubClient,
    GitHubError,
    NotFound,
    RateLimited,
    Transient,
    Unauthorized,
)
from ..identity import commits_recompute_author_keys
from ..models import IngestRun, Repository
from .comments import repository_sync_comments
from .commits import repository_sync_commits
from .context import SyncContext, now
from .governance import repository_sync_governance  # roles are dated by these files
from .issues import repository_sync_issues
from .lock import scope_lock
from .profiles import actors_sync_profiles
from .pulls import repository_sync_pull_requests
from .repositories import organization_sync_repositories, repository_sync_metadata
from .responses import repository_update_first_responses
from .review_comments import repository_sync_review_comments
from .stars import repository_sync_stars
from .statistics import tables_analyze_if_grown

logger = logging.getLogger(__name__)

RESOURCES: list[tuple[str, Callable[..., int]]] = [
    ("issues", repository_sync_issues),
    ("pull requests and reviews", repository_sync_pull_requests),
    ("comments", repository_sync_comments),
    ("review comments", repository_sync_review_comments),
    ("commits", repository_sync_commits),
    ("stars", repository_sync_stars),
    # OWNERS / MAINTAINERS / COMMITTERS history (the dashboard dates roles by it).
    ("governance files", repository_sync_governance),
]


class SyncRescheduled(Exception):
    """The sync stopped at GitHub's rate limit; run it again at `reset_at` (a task retries)."""

    def __init__(self, run: IngestRun, reset_at) -> None:
        super().__init__(f"{run.scope}: rate limit reached; resumes at {reset_at:%H:%M} UTC")
        self.run = run
        self.reset_at = reset_at


class SyncFailed(Exception):
    """Every resource failed transiently (e.g. GitHub down); a task may retry later."""

    def __init__(self, run: IngestRun) -> None:
        super().__init__(f"{run.scope}: " + "; ".join(run.errors[:3]))
        self.run = run


class DatabaseFailed(Exception):
    """The database failed under a sync (connection dropped, server restarted, lock timeout:
    Django's InterfaceError or OperationalError, the original as `__cause__`). The run was
    recorded as failed with that reason when the database answered again; a task may retry
    later (the checkpoints hold what was committed)."""

    def __init__(self, run: IngestRun | None, message: str) -> None:
        super().__init__(message)
        self.run = run


class SyncTimedOut(Exception):
    """The task's (soft) time limit stopped the sync; the run is recorded as partial with
    what it wrote, and the checkpoints hold it: the task may continue in a new one."""

    def __init__(self, run: IngestRun | None) -> None:
        super().__init__(run.errors[-1] if run and run.errors else "time limit reached")
        self.run = run


def _time_limit(exc: BaseException) -> bool:
    """Celery's SoftTimeLimitExceeded, raised into the task's code (known by name: the
    services do not import Celery)."""
    return type(exc).__name__ == "SoftTimeLimitExceeded"


# Errors of the database itself rather than of a query: a later attempt may not meet them.
DATABASE_ERRORS = (InterfaceError, OperationalError)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _run_interrupted(ctx: SyncContext, *, stage: str, exc: BaseException) -> IngestRun | None:
    """Record why a sync stopped on an error outside GitHub: the run becomes failed with the
    real reason (partial for a task's time limit: the task continues it). The database
    connection is replaced first if it is the thing that failed. Returns the saved run, or
    None if the database cannot be reached to save it (the next run of the scope then marks
    it abandoned)."""
    if isinstance(exc, DATABASE_ERRORS):
        message = (
            f"The database failed during {stage} of {ctx.run.scope} "
            f"({type(exc).__name__}: {_first_line(exc)}); what was committed before is kept."
        )
        status = IngestRun.Status.FAILED
    elif _time_limit(exc):
        message = (
            f"The task's time limit was reached during {stage} of {ctx.run.scope}; "
            "the sync continues from the last saved page in a new task."
        )
        status = IngestRun.Status.PARTIAL
    else:
        message = (
            f"The sync of {ctx.run.scope} stopped during {stage} on an unexpected error "
            f"({type(exc).__name__}: {_first_line(exc)})."
        )
        status = IngestRun.Status.FAILED
    ctx.error(message)
    for attempt in range(2):
        # A dropped connection stays unusable until closed; outside a transaction, closing it
        # makes the next query open a new one.
        if attempt or isinstance(exc, DATABASE_ERRORS):
            if connection.connection is not None and not connection.in_atomic_block:
                connection.close()
        try:
            return ctx.save(status=status)
        except DatabaseError:
            continue
    logger.error("%s (and the run could not be recorded as failed)", message)
    return None


def _skipped(*, scope: str, trigger: str, full: bool) -> IngestRun:
    stamp = now()
    return IngestRun.objects.create(
        scope=scope,
        trigger=trigger,
        full=full,
        status=IngestRun.Status.SKIPPED,
        started_at=stamp,
        finished_at=stamp,
        errors=[f"Another sync of {scope} was already running; this one was skipped."],
    )


def _close_abandoned(scope: str) -> None:
    """Runs still 'running' while we hold the lock were cut off (worker killed or restarted)."""
    IngestRun.objects.filter(scope=scope, status=IngestRun.Status.RUNNING).update(
        status=IngestRun.Status.FAILED,
        finished_at=now(),
        error_count=1,
        errors=[
            "The sync stopped before finishing (the worker was stopped or killed); "
            "the next run resumed from the last saved page."
        ],
    )


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: don't wait for the WAL flush at each page's COMMIT (a third of the write
    time). Safe here: a crash can lose only the last pages *together with* their checkpoint,
    which lives in the same transaction, so the next run simply fetches them again."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


def repository_sync(
    *,
    client: GitHubClient,
    full_name: str,
    full: bool = False,
    trigger: str = "task",
    listed: bool = False,
    rekey_commits: bool = True,
) -> IngestRun:
    """Sync every resource of one repository. Errors of one resource are recorded in plain
    words and the others still run; a rate limit stops the run (SyncRescheduled).

    `listed`: the row was just written from the organisation's list; don't fetch it again.
    `rekey_commits`: re-key the community's commits afterwards (identities are community-wide,
    so the pass costs the same for every repository: a caller that syncs many repositories
    passes False and runs it once at the end)."""
    with scope_lock(scope=full_name) as acquired:
        if not acquired:
            return _skipped(scope=full_name, trigger=trigger, full=full)
        _close_abandoned(full_name)
        _commit_without_waiting_for_disk()
        ctx = SyncContext.start(client=client, scope=full_name, trigger=trigger, full=full)
        stage: list[str] = []  # where the sync is, for the message if it is cut off
        try:
            return _sync_resources(
                ctx, full_name=full_name, listed=listed, rekey_commits=rekey_commits, stage=stage
            )
        except (SyncRescheduled, SyncFailed):
            raise
        except Exception as exc:
            run = _run_interrupted(ctx, stage=stage[-1] if stage else "the start", exc=exc)
            if isinstance(exc, DATABASE_ERRORS):
                raise DatabaseFailed(run, run.errors[-1] if run else _first_line(exc)) from exc
            if _time_limit(exc):
                raise SyncTimedOut(run) from exc
            raise


def _continues_at(ctx: SyncContext, reset_at) -> str:
    """What happens after a rate limit: a task re-queues itself; a command just stops."""
    if ctx.run.trigger == "task":
        return f"the sync continues at {reset_at:%H:%M} UTC."
    return f"run it again after {reset_at:%H:%M} UTC."


def _sync_resources(
    ctx: SyncContext, *, full_name: str, listed: bool, rekey_commits: bool, stage: list[str]
) -> IngestRun:
    full = ctx.full
    stage.append("the repository's metadata")
    known = Repository.objects.filter(full_name=full_name).values_list("pk", flat=True)
    try:
        if listed and known:
            repository_id = known[0]
        else:
            repository_id = repository_sync_metadata(ctx=ctx, full_name=full_name)
    except (NotFound, Unauthorized, ForeignHost, GitHubError) as exc:
        ctx.error(f"Could not read {full_name} from GitHub: {exc}")
        status = "partial" if isinstance(exc, RateLimited) else "failed"
        run = ctx.save(status=status)
        if isinstance(exc, RateLimited):
            raise SyncRescheduled(run, exc.reset_at) from None
        if isinstance(exc, Transient):
            raise SyncFailed(run) from None
        return run
    repo = Repository.objects.get(pk=repository_id)
    # Callers that sync many repositories do follow-ups per repository id: under a rename the
    # name they asked for is no longer the repository's (not stored; see community_sync).
    ctx.run.synced_repository_id = repo.pk
    transient = 0
    for step, (label, service) in enumerate(RESOURCES, start=1):
        stage.append(label)
        ctx.step(label, step=step, steps=len(RESOURCES) + 1)  # + the profiles of people met
        try:
            service(ctx=ctx, repository_id=repository_id)
        except RateLimited as exc:
            ctx.error(
                f"{exc} Stopped before {label} of {repo.full_name}; {_continues_at(ctx, exc.reset_at)}"
            )
            raise SyncRescheduled(ctx.save(status="partial"), exc.reset_at) from None
        except Unauthorized as exc:
            ctx.error(str(exc))
            return ctx.save(status="failed")
        except Transient as exc:
            transient += 1
            ctx.error(f"{label.capitalize()} of {repo.full_name}: {exc}")
        except GitHubError as exc:
            ctx.error(f"{label.capitalize()} of {repo.full_name}: {exc}")
        except (KeyError, TypeError, ValueError) as exc:
            # A page that is valid JSON but not the shape GitHub documents: keep what was
            # written, say so, and let the next run read it again from the checkpoint.
            logger.exception("unexpected payload syncing %s of %s", label, repo.full_name)
            ctx.error(
                f"{label.capitalize()} of {repo.full_name}: GitHub sent an answer of an "
                f"unexpected shape ({type(exc).__name__}: {str(exc)[:100]}); "
                "will retry at the next run."
            )
        ctx.save()
    stage.append("the profiles of people met")
    ctx.step("profiles of people met", step=len(RESOURCES) + 1, steps=len(RESOURCES) + 1)
    try:
        actors_sync_profiles(ctx=ctx)
    except RateLimited as exc:
        ctx.error(f"{exc} Profiles of new people will be fetched at the next run.")
    except GitHubError as exc:
        ctx.error(f"Profiles of people met in {repo.full_name}: {exc}")
    stage.append("the follow-ups (statistics, first responses, commit authors)")
    tables_analyze_if_grown()
    repository_update_first_responses(repository_id=repo.pk)
    if rekey_commits:
        commits_recompute_author_keys(repository_ids=None if full else [repo.pk])
    status = "success" if not ctx.errors else "partial"
    if transient == len(RESOURCES):
        raise SyncFailed(ctx.save(status="failed"))
    return ctx.save(status=status)


def organization_sync(
    *, client: GitHubClient, login: str, full: bool = False, trigger: str = "task"
) -> tuple[IngestRun, list[str]]:
    """List (and upsert) an organisation's repositories; returns the run and the names."""
    scope = f"org:{login}"
    with scope_lock(scope=scope) as acquired:
        if not acquired:
            return _skipped(scope=scope, trigger=trigger, full=full), []
        _close_abandoned(scope)
        ctx = SyncContext.start(client=client, scope=scope, trigger=trigger, full=full)
        try:
            names = organization_sync_repositories(ctx=ctx, login=login)
        except RateLimited as exc:
            ctx.error(f"Listing the repositories of {login}: {exc}")
            raise SyncRescheduled(ctx.save(status="partial"), exc.reset_at) from None
        except Transient as exc:
            ctx.error(f"Listing the repositories of {login}: {exc}")
            raise SyncFailed(ctx.save(status="failed")) from None
        except GitHubError as exc:
            ctx.error(f"Listing the repositories of {login}: {exc}")
            return ctx.save(status="failed"), []
        except Exception as exc:
            run = _run_interrupted(ctx, stage="the repository list", exc=exc)
            if isinstance(exc, DATABASE_ERRORS):
                raise DatabaseFailed(run, run.errors[-1] if run else _first_line(exc)) from exc
            raise
        return ctx.save(status="success"), names
