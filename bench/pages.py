"""Benchmark: dashboard page server time (p95) and CSV export speed on a large world.

Usage (PostgreSQL; the database is emptied and refilled):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench \\
        .venv/bin/python bench/pages.py [--items 1000000] [--people 50000] [--runs 10]
    # again on the same world (pages only; --rebuild also rebuilds and times the rollups):
    .venv/bin/python bench/pages.py --reuse [--rebuild] [--only /activity/]

It bulk-inserts a world shaped like ingest's rows (repositories, people, pull requests,
issues, commits, reviews, comments; `--items` of them in total), rebuilds the rollups (timed),
requests every page `--runs` times through Django's test client (server time: routing, queries,
template), and streams the largest CSV (every newcomer, per project, all time) to measure rows
per second and the peak Python memory while streaming. Prints the figures; asserts nothing.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from dashboard.exports import csv_lines  # noqa: E402
from dashboard.forms import FilterForm  # noqa: E402
from dashboard.pages import PAGES  # noqa: E402
from dashboard.rollups import rollups_rebuild  # noqa: E402
from ingest.models import (  # noqa: E402
    Actor,
    Comment,
    Commit,
    Issue,
    PullRequest,
    Repository,
    Review,
)

REPOS = 20
BATCH = 5000
SPAN_DAYS = 6 * 365
# The world ends today, so that the pages' default period (the last 365 days) is full.
START = dt.datetime.combine(
    dt.date.today() - dt.timedelta(days=SPAN_DAYS), dt.time.min, tzinfo=dt.UTC
)


def _when(rng: random.Random) -> dt.datetime:
    return START + dt.timedelta(days=rng.random() * (SPAN_DAYS - 1), seconds=rng.randrange(86400))


def _person(rng: random.Random, actors: list[int]) -> int:
    # A long tail: a few people do most of the work, as in real communities.
    return (
        actors[min(int(rng.paretovariate(1.2)) - 1, len(actors) - 1)]
        if rng.random() < 0.6
        else rng.choice(actors)
    )


def world_build(*, items: int, people: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ingest_repository, ingest_actor RESTART IDENTITY CASCADE")
    repos = Repository.objects.bulk_create(
        [
            Repository(
                github_id=i + 1,
                owner_login="sofastack" if i % 3 else "mosn",
                name=f"project-{i:02d}",
                full_name=f"{'sofastack' if i % 3 else 'mosn'}/project-{i:02d}",
                html_url="",
            )
            for i in range(REPOS)
        ]
    )
    repo_ids = [r.id for r in repos]
    Actor.objects.bulk_create(
        [Actor(github_id=100 + i, login=f"user{i}", name=f"User {i}") for i in range(people)]
        + [Actor(github_id=99, login="dependabot[bot]", is_bot=True, type="Bot")],
        batch_size=BATCH,
    )
    actors = list(Actor.objects.filter(is_bot=False).order_by("id").values_list("id", flat=True))
    shares = {"pr": 0.35, "issue": 0.2, "commit": 0.25, "review": 0.12, "comment": 0.08}
    counts = {k: int(items * v) for k, v in shares.items()}
    number = 0

    def batches(total, make):
        for start in range(0, total, BATCH):
            yield [make() for _ in range(min(BATCH, total - start))]

    def pr():
        nonlocal number
        number += 1
        created = _when(rng)
        merged = created + dt.timedelta(hours=rng.randrange(1, 500)) if rng.random() < 0.7 else None
        return PullRequest(
            github_id=10**7 + number,
            repository_id=rng.choice(repo_ids),
            number=number,
            title=f"Change {number}",
            state="closed" if merged else "open",
            author_id=_person(rng, actors),
            created_at=created,
            updated_at=merged or created,
            closed_at=merged,
            merged_at=merged,
            first_response_at=created + dt.timedelta(hours=rng.randrange(1, 100))
            if rng.random() < 0.8
            else None,
        )

    def issue():
        nonlocal number
        number += 1
        created = _when(rng)
        closed = created + dt.timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.6 else None
        return Issue(
            github_id=10**7 + number,
            repository_id=rng.choice(repo_ids),
            number=number,
            title=f"Problem {number}",
            state="closed" if closed else "open",
            author_id=_person(rng, actors),
            created_at=created,
            updated_at=closed or created,
            closed_at=closed,
            first_response_at=created + dt.timedelta(hours=rng.randrange(1, 200))
            if rng.random() < 0.75
            else None,
        )

    def commit():
        nonlocal number
        number += 1
        when = _when(rng)
        author = _person(rng, actors)
        return Commit(
            repository_id=rng.choice(repo_ids),
            sha=f"{number:040x}",
            author_id=author,
            author_key=f"login:user{author - actors[0]}",
            authored_at=when,
            committed_at=when,
        )

    started = time.monotonic()
    for make, model, total in (
        (pr, PullRequest, counts["pr"]),
        (issue, Issue, counts["issue"]),
        (commit, Commit, counts["commit"]),
    ):
        for batch in batches(total, make):
            model.objects.bulk_create(batch)
    prs = list(PullRequest.objects.values_list("id", "repository_id", "created_at"))

    def review():
        nonlocal number
        number += 1
        pr_id, repo_id, created = rng.choice(prs)
        return Review(
            github_id=10**8 + number,
            repository_id=repo_id,
            pull_request_id=pr_id,
            author_id=_person(rng, actors),
            state="APPROVED",
            submitted_at=created + dt.timedelta(hours=rng.randrange(1, 100)),
        )

    def comment():
        nonlocal number
        number += 1
        when = _when(rng)
        return Comment(
            github_id=10**8 + number,
            repository_id=rng.choice(repo_ids),
            issue_number=rng.randrange(1, number),
            author_id=_person(rng, actors),
            created_at=when,
            updated_at=when,
        )

    for make, model, total in (
        (review, Review, counts["review"]),
        (comment, Comment, counts["comment"]),
    ):
        for batch in batches(total, make):
            model.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "items": sum(counts.values()),
        "people": people,
        "load_seconds": time.monotonic() - started,
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def pages_time(*, runs: int, only: list[str] | None = None):
    """Yields (path, cold median, cold p95, warm median, warm p95) in ms per page: cold with
    the selector cache emptied before each request (as right after a rollup rebuild), warm
    with it filled (every later request until the next rebuild)."""
    client = Client()
    # This bench's own world has user1; on another (--reuse of an ingested world) the person
    # with the most pull requests and the repository with the most pull requests stand in.
    busiest = Actor.objects.annotate(n=Count("pull_requests")).order_by("-n")
    person = (Actor.objects.filter(login="user1").first() or busiest.first()).login
    repo = Repository.objects.annotate(n=Count("pull_requests")).order_by("-n", "id")
    repo = repo.first().full_name
    paths = [
        "/activity/",
        "/newcomers/",
        f"/projects/{repo}/",
        f"/people/{person}/",
        "/ingest/",
        "/activity/?interval=week",
        "/newcomers/?since=2000-01-01&interval=quarter",
        "/",
        "/committers/",
    ]
    for path in paths:
        if only and not any(
            path == prefix or (prefix != "/" and path.startswith(prefix)) for prefix in only
        ):
            continue
        response = client.get(path)  # warm-up (and check it works)
        assert response.status_code == 200, (path, response.status_code)
        cold, warm = [], []
        for _ in range(runs):
            cache.clear()
            started = time.perf_counter()
            client.get(path)
            cold.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            client.get(path)
            warm.append((time.perf_counter() - started) * 1000)
        yield path, statistics.median(cold), p95(cold), statistics.median(warm), p95(warm)


def export_speed() -> dict:
    """The largest table (every newcomer per project, all time) as the page streams it."""
    url = "/newcomers/?since=2000-01-01&org=sofastack&kind=any&format=csv"
    client = Client()
    started = time.perf_counter()
    response = client.get(url)
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - started
    # Memory in a second pass (tracemalloc slows Python down, so not while timing).
    form = FilterForm({"since": "2000-01-01", "org": "sofastack", "kind": "any"})
    assert form.is_valid(), form.problems()
    table = PAGES["newcomers"](filters=form.filters()).table("newcomers")
    tracemalloc.start()
    lines = (
        sum(
            chunk.count("\n")
            for chunk in csv_lines(columns=table.header(), rows=table.export_rows())
        )
        - 1
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rows": lines,
        "seconds": seconds,
        "rows_per_second": lines / seconds,
        "megabytes": size / 2**20,
        "peak_mb": peak / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded world")
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="with --reuse: rebuild the rollups first (after a rollup change)",
    )
    parser.add_argument("--only", action="append", help="time only pages under this path")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/pages.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    if not args.reuse:
        world = world_build(items=args.items, people=args.people)
        print(
            f"world: {world['items']:,} items, {world['people']:,} people, "
            f"loaded in {world['load_seconds']:.0f} s"
        )
    if not args.reuse or args.rebuild:
        started = time.monotonic()
        rows = rollups_rebuild()
        print(
            f"rollups rebuilt: {rows:,} contribution rows in {time.monotonic() - started:.1f} s",
            flush=True,
        )
    print(
        f"{'page':48} {'cold median':>11} {'cold p95':>9} {'warm median':>11} {'warm p95':>9}  (ms)"
    )
    for path, median, high, warm_median, warm_high in pages_time(runs=args.runs, only=args.only):
        flag = "" if high < 300 else "  (cold over 300 ms)"
        print(
            f"{path:48} {median:11.1f} {high:9.1f} {warm_median:11.1f} {warm_high:9.1f}{flag}",
            flush=True,
        )
    export = export_speed()
    print(
        f"CSV export over HTTP (newcomers per project, all time): {export['rows']:,} rows, "
        f"{export['megabytes']:.0f} MB in {export['seconds']:.2f} s = "
        f"{export['rows_per_second']:,.0f} rows/s (page build included); peak Python "
        f"memory while streaming {export['peak_mb']:.1f} MB"
    )


if __name__ == "__main__":
    main()
