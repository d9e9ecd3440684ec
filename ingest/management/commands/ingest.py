"""`manage.py ingest [--org ORG]… [--repo OWNER/NAME]… [--full]`: the Celery tasks' sync, in the
foreground, with a progress bar and a closing summary.

Exit codes (DESIGN.md), for cron and scripts: 0 everything asked for was synced; 1 some
resource failed (GitHub errors, an unreachable API, a sync of the same repository already
running, the database failing mid-sync); 2 bad configuration (nothing was synced); 3 stopped
by GitHub's rate limit (the message says when it resets). Anything but 0 ends with one line
on standard error saying why.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from tqdm import tqdm

from ingest.changes import facts_recorded
from ingest.gc_tuning import gc_tune_for_ingest
from ingest.github.client import GitHubClient, RefusedHost
from ingest.models import TrackedOrganization, TrackedRepository
from ingest.scope import scope_seed_from_settings
from ingest.sync.community import CommunitySummary, community_sync, summary_lines

EXIT_FAILED = 1
EXIT_CONFIGURATION = 2
EXIT_RATE_LIMITED = 3


def run_and_report(
    command: BaseCommand,
    *,
    client: GitHubClient,
    orgs: list[str],
    repos: list[str],
    full: bool,
    trigger: str,
    jobs: int = 1,
) -> CommunitySummary:
    bar = tqdm(total=0, unit="repo", desc="Syncing", file=command.stderr._out, disable=None)

    def start(total: int) -> None:
        bar.total = total
        bar.refresh()

    def done(run) -> None:
        bar.set_postfix_str(f"{run.scope} {run.status}", refresh=False)
        bar.update(1)

    try:
        summary = community_sync(
            client=client,
            orgs=orgs,
            repos=repos,
            full=full,
            trigger=trigger,
            on_repositories=start,
            on_repository_done=done,
            jobs=jobs,
        )
    finally:
        bar.close()
        client.close()
    for line in summary_lines(summary):
        command.stdout.write(line)
    if summary.database_failed:
        return summary  # nothing to rebuild from; the next ingest catches up
    # Readers of the facts (the dashboard's derived data) catch up before the command ends.
    for _receiver, message in facts_recorded.send(sender=Command, inline=True):
        if message:
            command.stdout.write(str(message))
    return summary


def outcome(summary: CommunitySummary) -> tuple[int, str]:
    """The exit code for a finished sync and the line that explains it (empty for 0)."""
    if summary.database_failed:
        return EXIT_FAILED, summary.database_failed
    if summary.rate_limit_reset is not None:
        return (
            EXIT_RATE_LIMITED,
            f"Stopped by GitHub's rate limit; it resets at "
            f"{summary.rate_limit_reset:%Y-%m-%d %H:%M} UTC. Run the command again then.",
        )
    if summary.complete:
        return 0, ""
    failed = [run for run in summary.runs if run.status != "success" or run.errors]
    skipped = [run.scope for run in failed if run.status == "skipped"]
    parts = []
    if len(failed) > len(skipped):
        parts.append(
            f"{len(failed) - len(skipped)} of {len(summary.runs)} syncs did not complete "
            f"({len(summary.errors) - len(skipped)} errors above)"
        )
    if skipped:
        parts.append(f"skipped, another sync of it was running: {', '.join(skipped[:5])}")
    return EXIT_FAILED, "; ".join(parts) + "."


def database_failed(exc: DatabaseError) -> CommandError:
    """The one line (exit 1) for a database that failed, without its traceback."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return CommandError(
        f"The database failed during the sync ({type(exc).__name__}: {first}).",
        returncode=EXIT_FAILED,
    )


def exit_with_outcome(summary: CommunitySummary) -> None:
    """Raise the CommandError that gives a finished sync its exit status (nothing for 0)."""
    code, reason = outcome(summary)
    if code:
        raise CommandError(reason, returncode=code)


class Command(BaseCommand):
    help = (
        "Sync GitHub data for the tracked organisations and repositories (or the given ones). "
        "Exit status: 0 all synced, 1 some resource failed, 2 bad configuration, "
        "3 stopped by the rate limit."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--org",
            action="append",
            default=[],
            metavar="ORG",
            help="organisation to sync (repeatable); default: tracked ones",
        )
        parser.add_argument(
            "--repo",
            action="append",
            default=[],
            metavar="OWNER/NAME",
            help="repository to sync (repeatable)",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="repositories synced at once (threads, like several workers); default 4 on "
            "PostgreSQL, 1 on SQLite (one writer at a time)",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="re-read everything and reconcile deletions and renames",
        )

    def handle(
        self, *args, org: list[str], repo: list[str], full: bool, jobs: int | None, **options
    ) -> None:
        gc_tune_for_ingest()
        if jobs is None:
            # While one repository waits for GitHub, others are written (bench/ingest_throughput.py
            # measures the gain; SQLite has one writer at a time).
            jobs = 4 if connection.vendor == "postgresql" else 1
        if jobs < 1:
            raise CommandError("--jobs must be at least 1.", returncode=EXIT_CONFIGURATION)
        for name in repo:
            if name.count("/") != 1 or not all(name.split("/")):
                raise CommandError(
                    f"--repo {name!r} is not of the form OWNER/NAME.",
                    returncode=EXIT_CONFIGURATION,
                )
        try:
            client = GitHubClient.from_settings()
        except (ValueError, RefusedHost) as exc:
            raise CommandError(str(exc), returncode=EXIT_CONFIGURATION) from None
        try:
            if not org and not repo:
                scope_seed_from_settings()
                org = list(
                    TrackedOrganization.objects.filter(active=True).values_list("login", flat=True)
                )
                repo = list(
                    TrackedRepository.objects.filter(active=True).values_list(
                        "full_name", flat=True
                    )
                )
            if not org and not repo:
                client.close()
                raise CommandError(
                    "Nothing to sync: no organisation or repository is tracked "
                    "(set PULSE_ORGS / PULSE_REPOS, or pass --org / --repo).",
                    returncode=EXIT_CONFIGURATION,
                )
            summary = run_and_report(
                self, client=client, orgs=org, repos=repo, full=full, trigger="command", jobs=jobs
            )
        except DatabaseError as exc:
            raise database_failed(exc) from None
        exit_with_outcome(summary)
