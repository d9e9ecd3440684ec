"""`manage.py rebuild_derived [--repo OWNER/NAME]…`: rebuild the derived data from the facts
(all repositories, or some), e.g. after a change of the metric definitions."""

from django.core.management.base import BaseCommand, CommandError

from dashboard.derived.rebuild import derived_rebuild
from ingest.models import Repository


class Command(BaseCommand):
    help = "Rebuild the dashboard's derived data from ingest's facts."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--repo",
            action="append",
            default=[],
            metavar="OWNER/NAME",
            help="repository to rebuild (repeatable); default: all",
        )

    def handle(self, *args, repo: list[str], **options) -> None:
        ids = None
        if repo:
            found = dict(
                Repository.objects.filter(full_name__in=repo).values_list("full_name", "pk")
            )
            unknown = sorted(set(repo) - set(found))
            if unknown:
                raise CommandError(f"Unknown repositories: {', '.join(unknown)}.")
            ids = sorted(found.values())
        rebuilt = derived_rebuild(repository_ids=ids)
        self.stdout.write(
            f"Derived data rebuilt for {rebuilt.repositories} repositories (version "
            f"{rebuilt.version}, {rebuilt.events} contribution events, {rebuilt.seconds:.1f} s)."
        )
