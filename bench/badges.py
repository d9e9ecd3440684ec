"""Benchmark: the health badge's server time (`/badges/<owner>/<name>.svg`), on bench/pages.py's
world.

Usage (PostgreSQL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench \\
        .venv/bin/python bench/badges.py --reuse [--runs 10] [--requests 200]
    # without --reuse it first builds bench/pages.py's world (--items, --people) and rebuilds

Times, through Django's test client (routing, queries, SVG; no network):
- cold: the selector cache emptied before each request (as right after a derived-data
  rebuild): the first badge measures every tracked project once (one pass for the community);
- warm: `--requests` badges of random projects with the measures cached (every later request
  until the next rebuild): the weights are read and applied, the SVG drawn;
- revalidated: the same with the badge's ETag in `If-None-Match` (a 304, nothing measured).
Also the cold /risks/ page, which shows the health table. Prints the figures; asserts nothing.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from pages import missing_tables_create, p95, world_build  # noqa: E402

from dashboard.derived.rebuild import derived_rebuild  # noqa: E402
from ingest.models import Repository  # noqa: E402


def _timed(client: Client, path: str, **headers) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(path, **headers)
    return (time.perf_counter() - started) * 1000, response.status_code


def _line(name: str, values: list[float]) -> str:
    return f"{name:44} {statistics.median(values):9.1f} {p95(values):9.1f} {max(values):9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded world")
    parser.add_argument("--runs", type=int, default=10, help="cold requests")
    parser.add_argument("--requests", type=int, default=200, help="warm requests")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/badges.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    missing_tables_create()
    if not args.reuse:
        world = world_build(items=args.items, people=args.people)
        print(f"world: {world['items']:,} items, {world['people']:,} people", flush=True)
        derived_rebuild()
    names = list(Repository.objects.filter(tracked=True).values_list("full_name", flat=True))
    print(f"{len(names)} tracked projects")
    client = Client()
    paths = [f"/badges/{name}.svg" for name in names]
    assert client.get(paths[0]).status_code == 200
    rng = random.Random(1)

    cold = []
    for _ in range(args.runs):
        cache.clear()
        ms, status = _timed(client, rng.choice(paths))
        assert status == 200
        cold.append(ms)
    warm, etags = [], {}
    for path in paths:  # fill the cache and learn each badge's ETag
        etags[path] = client.get(path)["ETag"]
    for _ in range(args.requests):
        ms, status = _timed(client, rng.choice(paths))
        assert status == 200
        warm.append(ms)
    revalidated = []
    for _ in range(args.requests):
        path = rng.choice(paths)
        ms, status = _timed(client, path, HTTP_IF_NONE_MATCH=etags[path])
        assert status == 304
        revalidated.append(ms)
    risks = []
    for _ in range(args.runs):
        cache.clear()
        ms, status = _timed(client, "/risks/")
        assert status == 200
        risks.append(ms)
    print(f"{'request':44} {'median':>9} {'p95':>9} {'max':>9}  (ms)")
    print(_line("badge, cold (measures every project)", cold))
    print(_line("badge, warm (measures cached)", warm))
    print(_line("badge, If-None-Match (304)", revalidated))
    print(_line("/risks/ with the health table, cold", risks))


if __name__ == "__main__":
    main()
