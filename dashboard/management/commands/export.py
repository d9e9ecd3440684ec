"""`manage.py export VIEW [filters] [--output FILE]`: a page's CSV, from the same builders.

VIEW is a page name (overview, activity, newcomers, ingest, project, person); `project` needs
`--project owner/name`, `person` needs `--login LOGIN`. Filters are the page's query
parameters (`--repo` repeatable, `--org`, `--since`, `--until`, `--interval`, `--kind`,
`--stack`, `--table`). Bad filters stop with the same message the page's 400 gives.
`--output` names a file, or an existing directory to write the file the page's Download CSV
would be named (`pulse-activity-2025-01-01_2025-12-31.csv`) into.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404, QueryDict

from dashboard.exports import csv_write, export_filename
from dashboard.forms import FilterForm
from dashboard.pages import PAGES
from dashboard.pages.filter_sets import export_period


class Command(BaseCommand):
    help = "Write a dashboard page's table as CSV (same numbers as the page's Download CSV)."

    def add_arguments(self, parser):
        parser.add_argument("view", choices=sorted(PAGES))
        parser.add_argument("--repo", action="append", default=[], help="owner/name, repeatable")
        parser.add_argument("--org")
        parser.add_argument("--since", help="YYYY-MM-DD")
        parser.add_argument("--until", help="YYYY-MM-DD")
        parser.add_argument("--interval", help="week, month, quarter or year")
        parser.add_argument("--kind", help="newcomers: first contribution kind")
        parser.add_argument("--stack", help="newcomers: project or kind")
        parser.add_argument("--table", help="which of the page's tables (default: the first)")
        parser.add_argument("--project", help="owner/name, for VIEW project")
        parser.add_argument("--login", help="GitHub login, for VIEW person")
        parser.add_argument(
            "--output",
            "-o",
            help="file to write, or a directory to write it in under the page's download name "
            "(default: standard output)",
        )

    def handle(self, *args, **options):
        query = QueryDict(mutable=True)
        for repo in options["repo"]:
            query.appendlist("repo", repo)
        for key in ("org", "since", "until", "interval", "kind", "stack", "table"):
            if options[key]:
                query[key] = options[key]
        form = FilterForm(query)
        if not form.is_valid():
            raise CommandError(" ".join(form.problems()))
        view = options["view"]
        path_kwargs = {}
        if view == "project":
            if not options["project"] or options["project"].count("/") != 1:
                raise CommandError("export project needs --project owner/name.")
            owner, name = options["project"].split("/")
            path_kwargs = {"owner": owner, "name": name}
        elif view == "person":
            if not options["login"]:
                raise CommandError("export person needs --login LOGIN.")
            path_kwargs = {"login": options["login"]}
        filters = form.filters()
        try:
            page = PAGES[view](filters=filters, **path_kwargs)
        except Http404 as error:
            raise CommandError(str(error)) from error
        table = page.table(options["table"])
        if table is None:
            raise CommandError(
                f"table {options['table']!r} is not one of {', '.join(t.id for t in page.tables)}."
            )
        output = options["output"]
        if output and Path(output).is_dir():
            name = page.name + ("" if table is page.tables[0] else f"-{table.id}")
            period = export_period(page_key=view, page=page, filters=filters)
            output = str(Path(output) / export_filename(name=name, extension="csv", period=period))
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = csv_write(columns=table.header(), rows=table.export_rows(), out=out)
            self.stderr.write(f"{count} rows written to {output}")
        else:
            csv_write(columns=table.header(), rows=table.export_rows(), out=sys.stdout)
