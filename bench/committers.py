"""Benchmark: the committers page (and the pages that use its role selectors) on a large world.

Usage (PostgreSQL; reuses a world loaded by bench/pages.py, which it does not change except
for rebuilding the RoleSignal rollup):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench \\
        .venv/bin/python bench/committers.py [--runs 10]

Prints the rollup rebuild time, then median and p95 server time (Django test client: routing,
queries, template; CSV streamed to the end) of each path over `--runs` requests. Asserts
nothing.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from dashboard.derived.roles import roles_rebuild  # noqa: E402
from ingest.models import Actor, PullRequest, Repository  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/committers.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    items = PullRequest.objects.count()
    started = time.monotonic()
    with transaction.atomic():
        rows = roles_rebuild(repository_ids=list(Repository.objects.values_list("pk", flat=True)))
    print(
        f"world: {items:,} pull requests; RoleSignal rollup rebuilt: {rows:,} rows in "
        f"{time.monotonic() - started:.1f} s"
    )
    repo = Repository.objects.order_by("id").first().full_name
    person = Actor.objects.filter(is_bot=False).order_by("id").first().login
    paths = [
        "/committers/",
        f"/committers/?repo={repo}",
        f"/committers/?repo={repo}&until=2022-02-01",
        "/committers/?format=csv&table=candidates",
        "/",
        f"/people/{person}/",
    ]
    client = Client()
    print(f"{'path':58} {'median ms':>10} {'p95 ms':>8}")
    for path in paths:
        response = client.get(path)  # warm-up, and check it works
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(path)
            if response.streaming:
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - started) * 1000)
        flag = "" if p95(times) < 300 else "  (over 300 ms)"
        print(f"{path:58} {statistics.median(times):10.1f} {p95(times):8.1f}{flag}")


if __name__ == "__main__":
    main()
