"""`manage.py ingest [--org ORG]… [--repo OWNER/NAME]… [--full]`: the Celery tasks' sync, in the
foreground, with a progress bar and a closing summary."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from ingest.changes import facts_recorded
from ingest.gc_tuning import gc_tune_for_ingest
from ingest.github.client import GitHubClient
from ingest.models import TrackedOrganization, TrackedRepository
from ingest.scope import scope_seed_from_settings
from ingest.sync.community import community_sync, summary_lines


def run_and_report(
    command: BaseCommand,
    *,
    client: GitHubClient,
    orgs: list[str],
    repos: list[str],
    full: bool,
    trigger: str,
    jobs: int = 1,
) -> None:
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
    # Readers of the facts (the dashboard's derived data) catch up before the command ends.
    for _receiver, message in facts_recorded.send(sender=Command, inline=True):
        if message:
            command.stdout.write(str(message))


class Command(BaseCommand):
    help = "Sync GitHub data for the tracked organisations and repositories (or the given ones)."

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
            raise CommandError("--jobs must be at least 1.")
        for name in repo:
            if name.count("/") != 1 or not all(name.split("/")):
                raise CommandError(f"--repo {name!r} is not of the form OWNER/NAME.")
        if not org and not repo:
            scope_seed_from_settings()
            org = list(
                TrackedOrganization.objects.filter(active=True).values_list("login", flat=True)
            )
            repo = list(
                TrackedRepository.objects.filter(active=True).values_list("full_name", flat=True)
            )
        try:
            client = GitHubClient.from_settings()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        run_and_report(
            self, client=client, orgs=org, repos=repo, full=full, trigger="command", jobs=jobs
        )
