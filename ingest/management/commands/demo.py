"""`manage.py demo [--seed N] [--scale small|medium|large]`: serve a synthetic world with the
GitHub simulator on an ephemeral loopback port and ingest it over HTTP with the real code."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from ingest.github.client import GitHubClient
from ingest.models import TrackedOrganization

from .ingest import database_failed, exit_with_outcome, run_and_report

# The simulator accepts any token when started without a token list; sending one exercises
# the same Authorization path as production. It is not a secret.
DEMO_TOKEN = "demo-token-for-the-simulator"


class Command(BaseCommand):
    help = (
        "Ingest a synthetic community through the GitHub simulator (no token needed). "
        "Exit status as for ingest: 0 all synced, 1 something failed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", choices=["small", "medium", "large"], default="small")
        parser.add_argument("--full", action="store_true", help="re-read everything")

    def handle(self, *args, seed: int, scale: str, full: bool, **options) -> None:
        from ingest.simulator import SimulatorServer, World

        self.stdout.write(f"Building the synthetic world (seed {seed}, scale {scale})…")
        world = World.synthetic(seed=seed, scale=scale)
        orgs = sorted({repo.owner_login for repo in world.repos()})
        try:
            for login in orgs:
                TrackedOrganization.objects.get_or_create(login=login)
            with SimulatorServer(world) as sim:
                self.stdout.write(f"Simulator serving at {sim.url}; ingesting {', '.join(orgs)}.")
                # The simulator answers instantly: no need for GitHub's patient retry delays.
                client = GitHubClient(
                    base_url=sim.url, tokens=[DEMO_TOKEN], backoff_base=0.05, max_inline_wait=5
                )
                summary = run_and_report(
                    self, client=client, orgs=orgs, repos=[], full=full, trigger="demo"
                )
        except DatabaseError as exc:
            raise database_failed(exc) from None
        exit_with_outcome(summary)
