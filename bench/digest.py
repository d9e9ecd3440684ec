"""Benchmark: the weekly digest and a nomination draft on bench/pages.py's world.

Usage (PostgreSQL; the world must have been built by bench/pages.py on the same database):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench \\
        .venv/bin/python bench/digest.py [--runs 10] [--weeks 4]

Requests `/digest/?week=…` for the last `--weeks` complete weeks (all projects, and the busiest
project alone), its Markdown (`format=md`), and the nomination draft of the busiest project's
first candidate, `--runs` times each through Django's test client with the selector cache
emptied before each request (cold). Prints median and p95 server time per URL and what the
digest held; asserts nothing.
"""

import argparse
import datetime as dt
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

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from dashboard.definitions.weeks import iso_week_label, last_complete_week  # noqa: E402
from dashboard.metrics.promotion import promotion_candidates  # noqa: E402
from ingest.models import PullRequest, Repository  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def timed(client: Client, path: str, runs: int) -> tuple[float, float, int]:
    response = client.get(path)  # warm-up, and check it works
    assert response.status_code == 200, (path, response.status_code)
    size = len(response.content)
    cold = []
    for _ in range(runs):
        cache.clear()
        started = time.perf_counter()
        client.get(path)
        cold.append((time.perf_counter() - started) * 1000)
    return statistics.median(cold), p95(cold), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=4)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/digest.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    print(
        f"world: {PullRequest.objects.count():,} pull requests in "
        f"{Repository.objects.count()} repositories"
    )
    busiest = Repository.objects.annotate(n=Count("pull_requests")).order_by("-n", "id").first()
    last = last_complete_week(dt.datetime.now(dt.UTC).date())
    paths = []
    for back in range(args.weeks):
        week = iso_week_label(last - dt.timedelta(days=7 * back))
        paths += [f"/digest/?week={week}", f"/digest/?week={week}&format=md"]
    week = iso_week_label(last)
    paths.append(f"/digest/?week={week}&repo={busiest.full_name}")
    paths.append("/digest/")
    candidates = promotion_candidates(repository_ids=[busiest.id], as_of=None, limit=1)
    if candidates:
        paths.append(
            f"/committers/nomination/?repo={busiest.full_name}&login={candidates[0]['login']}"
        )
    client = Client()
    print(f"{'path':72} {'cold median':>11} {'cold p95':>9} {'KB':>6}  (ms)")
    for path in paths:
        median, high, size = timed(client, path, args.runs)
        flag = "" if high < 1000 else "  (over 1 s)"
        print(f"{path:72} {median:11.1f} {high:9.1f} {size / 1024:6.0f}{flag}", flush=True)


if __name__ == "__main__":
    main()
