"""Benchmark: dashboard page server time (p95) and CSV export speed on a large world.

Usage (PostgreSQL; the database is emptied and refilled):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_bench \\
        .venv/bin/python bench/pages.py [--items 1000000] [--people 50000] [--runs 10]
    # again on the same world (pages only; --rebuild also rebuilds and times the derived data):
    .venv/bin/python bench/pages.py --reuse [--rebuild] [--only /activity/]

It bulk-inserts a world shaped like ingest's rows (repositories, people, pull requests,
issues, commits, reviews, comments; `--items` of them in total) with the roles an ingested
community has (bench/world_roles.py: maintainers who merge and approve, committers given write
access over the years and listed in OWNERS / MAINTAINERS.md versions, author associations,
difficulty labels, promotion rules, admin role entries) and the sync history an ingested world
has (a daily run of each repository over the last year, and its checkpoints; added to a reused
world that has none), rebuilds the derived data (timed), requests
every page `--runs` times through Django's test client (server time: routing, queries,
template; cold, with Django's cache cleared before each request, and warm), the committers page
also as of two years ago (all projects, and the busiest one), and streams the largest CSV
(every newcomer, per project, all time) to measure rows per second and the peak Python memory
while streaming. `--slowest N` lists each page's N slowest queries. Prints the figures;
asserts nothing.
"""

import argparse
import datetime as dt
import gc
import math
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

from django.apps import apps  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from world_roles import Staff, labels, profile  # noqa: E402

from config.startup import loaded_objects_freeze  # noqa: E402
from dashboard.derived.rebuild import derived_rebuild  # noqa: E402
from dashboard.exports import csv_lines  # noqa: E402
from dashboard.forms import FilterForm  # noqa: E402
from dashboard.models import PromotionRule  # noqa: E402
from dashboard.pages import PAGES  # noqa: E402
from ingest.models import (  # noqa: E402
    Actor,
    Comment,
    Commit,
    GovernanceFileVersion,
    IngestRun,
    Issue,
    PullRequest,
    Repository,
    Review,
    RoleEntry,
    SyncState,
)

REPOS = 20
BATCH = 5000
SPAN_DAYS = 6 * 365
# The world ends today, so that the pages' default period (the last 365 days) is full.
START = dt.datetime.combine(
    dt.date.today() - dt.timedelta(days=SPAN_DAYS), dt.time.min, tzinfo=dt.UTC
)
END = START + dt.timedelta(days=SPAN_DAYS)
# Typical added lines of a pull request by its difficulty label (None: unlabelled).
LINES = {"easy": 15, "medium": 120, "hard": 600, None: 60}


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
        [
            Actor(github_id=100 + i, login=f"user{i}", name=f"User {i}", **profile(rng, i))
            for i in range(people)
        ]
        + [Actor(github_id=99, login="dependabot[bot]", is_bot=True, type="Bot")],
        batch_size=BATCH,
    )
    humans = Actor.objects.filter(is_bot=False).order_by("id")
    actors = list(humans.values_list("id", flat=True))
    logins = dict(humans.values_list("id", "login"))
    bot = Actor.objects.get(is_bot=True).id
    staff = Staff(
        rng,
        repos=[(r.id, r.full_name, r.owner_login) for r in repos],
        actors=actors,
        logins=logins,
        home=set(humans.filter(affiliation="home").values_list("id", flat=True)),
        start=START,
        end=END,
    )
    shares = {"pr": 0.35, "issue": 0.2, "commit": 0.25, "review": 0.12, "comment": 0.08}
    counts = {k: int(items * v) for k, v in shares.items()}
    serial = 0  # GitHub ids
    numbers = dict.fromkeys(repo_ids, 0)  # issues and pull requests share a repository's numbers
    issue_numbers: dict[int, list[int]] = {rid: [] for rid in repo_ids}

    def batches(total, make):
        for start in range(0, total, BATCH):
            yield [make() for _ in range(min(BATCH, total - start))]

    def author_at(rid: int, at: dt.datetime) -> int:
        return staff.author(rid, at) or _person(rng, actors)

    def issue():
        nonlocal serial
        serial += 1
        rid = rng.choice(repo_ids)
        numbers[rid] += 1
        issue_numbers[rid].append(numbers[rid])
        created = _when(rng)
        closed = created + dt.timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.6 else None
        closed = closed if closed and closed < END else None
        author = author_at(rid, created)
        return Issue(
            github_id=10**7 + serial,
            repository_id=rid,
            number=numbers[rid],
            title=f"Problem {serial}",
            state="closed" if closed else "open",
            author_id=author,
            author_association=staff.association(rid, author, created),
            labels=labels(rng)[0],
            created_at=created,
            updated_at=closed or created,
            closed_at=closed,
            first_response_at=created + dt.timedelta(hours=rng.randrange(1, 200))
            if rng.random() < 0.75
            else None,
        )

    def pr():
        nonlocal serial
        serial += 1
        rid = rng.choice(repo_ids)
        numbers[rid] += 1
        created = _when(rng)
        author = bot if rng.random() < 0.01 else author_at(rid, created)
        merged = created + dt.timedelta(hours=rng.randrange(1, 500)) if rng.random() < 0.7 else None
        merged = merged if merged and merged < END else None
        found, level = labels(rng)
        # Sizes as difficulty goes (the size heuristic classifies the unlabelled ones).
        added = max(1, int(rng.lognormvariate(math.log(LINES[level]), 0.9)))
        draw = rng.random()
        title = (
            f"docs: explain change {serial}"
            if draw < 0.04
            else "Fix typo in README.md"
            if draw < 0.07
            else f"Change {serial}"
        )
        closes = issue_numbers[rid]
        return PullRequest(
            github_id=10**7 + serial,
            repository_id=rid,
            number=numbers[rid],
            title=title,
            state="closed" if merged else "open",
            author_id=author,
            author_association="NONE" if author == bot else staff.association(rid, author, created),
            labels=found,
            closes_issues=[rng.choice(closes)] if closes and rng.random() < 0.2 else [],
            additions=added,
            deletions=int(added * rng.uniform(0, 0.6)),
            changed_files=max(1, int(math.sqrt(added) / 2)),
            created_at=created,
            updated_at=merged or created,
            closed_at=merged,
            merged_at=merged,
            merged_by_id=staff.merger(rid, merged, author) if merged else None,
            first_response_at=created + dt.timedelta(hours=rng.randrange(1, 100))
            if rng.random() < 0.8
            else None,
        )

    def commit():
        nonlocal serial
        serial += 1
        rid = rng.choice(repo_ids)
        when = _when(rng)
        author = author_at(rid, when)
        return Commit(
            repository_id=rid,
            sha=f"{serial:040x}",
            author_id=author,
            author_key=f"login:{logins[author]}",
            authored_at=when,
            committed_at=when,
        )

    started = time.monotonic()
    # Issues first: pull requests close some of their repository's issues.
    for make, model, total in (
        (issue, Issue, counts["issue"]),
        (pr, PullRequest, counts["pr"]),
        (commit, Commit, counts["commit"]),
    ):
        for batch in batches(total, make):
            model.objects.bulk_create(batch)
    prs = list(
        PullRequest.objects.values_list(
            "id", "repository_id", "created_at", "author_id", "merged_at"
        )
    )
    threads = list(Issue.objects.values_list("repository_id", "number", "created_at", "author_id"))
    threads += list(
        PullRequest.objects.values_list("repository_id", "number", "created_at", "author_id")
    )

    def review():
        nonlocal serial
        serial += 1
        pr_id, rid, created, author, merged = rng.choice(prs)
        when = min(
            created + dt.timedelta(hours=rng.randrange(1, 100)),
            (merged or END) - dt.timedelta(minutes=5),
        )
        # Most reviews come from people with write access; others comment or ask for changes.
        reviewer = staff.reviewer(rid, when, author) if rng.random() < 0.65 else None
        if reviewer is not None:
            state = rng.choices(["APPROVED", "CHANGES_REQUESTED", "COMMENTED"], [7, 2, 1])[0]
        else:
            reviewer = _person(rng, actors)
            reviewer = rng.choice(actors) if reviewer == author else reviewer
            state = rng.choices(["APPROVED", "CHANGES_REQUESTED", "COMMENTED"], [1, 2, 5])[0]
        return Review(
            github_id=10**8 + serial,
            repository_id=rid,
            pull_request_id=pr_id,
            author_id=reviewer,
            state=state,
            author_association=staff.association(rid, reviewer, when),
            submitted_at=max(when, created),
        )

    def comment():
        nonlocal serial
        serial += 1
        rid, number, created, author = rng.choice(threads)
        when = created + dt.timedelta(minutes=int(rng.lognormvariate(math.log(480), 1.5)) + 1)
        when = when if when < END else created + (END - created) * rng.random()
        # Answers from people with write access, replies by the author, and the community.
        draw = rng.random()
        who = staff.reviewer(rid, when, author or 0) if draw < 0.45 else None
        who = who or (author if 0.45 <= draw < 0.7 and author else _person(rng, actors))
        return Comment(
            github_id=10**8 + serial,
            repository_id=rid,
            issue_number=number,
            author_id=who,
            author_association="NONE" if who == bot else staff.association(rid, who, when),
            body_length=rng.randrange(20, 2000),
            created_at=when,
            updated_at=when,
        )

    for make, model, total in (
        (review, Review, counts["review"]),
        (comment, Comment, counts["comment"]),
    ):
        for batch in batches(total, make):
            model.objects.bulk_create(batch)
    versions = GovernanceFileVersion.objects.bulk_create(staff.governance_versions())
    # bulk_create: no post_save recount of the candidates (the derived rebuild that follows
    # counts them with these rules).
    PromotionRule.objects.bulk_create(staff.promotion_rules())
    RoleEntry.objects.bulk_create(staff.role_entries())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "items": sum(counts.values()),
        "people": people,
        "load_seconds": time.monotonic() - started,
        "governance_versions": len(versions),
        "write_access": sum(len(grants) for grants in staff.grants.values()),
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def pages_time(*, runs: int, only: list[str] | None = None, slowest: int = 0, warm: bool = True):
    """Yields (path, cold median, cold p95, warm median, warm p95, slowest queries) in ms per
    page: cold with the selector cache emptied before each request (as right after a derived-data
    rebuild), warm with it filled (every later request until the next rebuild; not timed
    without `warm`, then NaN). With `slowest`, one more cold request lists that many of its
    slowest queries: (ms, SQL)."""
    client = Client()
    # Set up as config/wsgi.py sets up a served process: start-up objects frozen out of the
    # garbage collector's walks.
    loaded_objects_freeze()
    # This bench's own world has user1; on another (--reuse of an ingested world) the person
    # with the most pull requests and the repository with the most pull requests stand in.
    busiest = Actor.objects.annotate(n=Count("pull_requests")).order_by("-n")
    person = (Actor.objects.filter(login="user1").first() or busiest.first()).login
    repo = Repository.objects.annotate(n=Count("pull_requests")).order_by("-n", "id")
    repo = repo.first().full_name
    until = years_before(dt.date.today(), 2).isoformat()
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
        # As of a past day: the roles and the candidates' ranking as they stood then.
        f"/committers/?until={until}",
        f"/committers/?repo={repo}&until={until}",
        "/risks/",
    ]
    for path in paths:
        if only and not any(
            path == prefix or (prefix != "/" and path.startswith(prefix)) for prefix in only
        ):
            continue
        response = client.get(path)  # warm-up (and check it works)
        assert response.status_code == 200, (path, response.status_code)
        # A full garbage collection owed to the pages before would land in whichever page
        # comes next (one slow request, its p95): collected here, outside the timing.
        gc.collect()
        cold, warmed = [], []
        for _ in range(runs):
            cache.clear()
            started = time.perf_counter()
            client.get(path)
            cold.append((time.perf_counter() - started) * 1000)
            if warm:
                started = time.perf_counter()
                client.get(path)
                warmed.append((time.perf_counter() - started) * 1000)
        queries = []
        if slowest:
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            queries = sorted(
                ((float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries),
                reverse=True,
            )[:slowest]
        yield (
            path,
            statistics.median(cold),
            p95(cold),
            statistics.median(warmed) if warmed else math.nan,
            p95(warmed) if warmed else math.nan,
            queries,
        )


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


def missing_tables_create() -> list[str]:
    """Creates the tables, columns and indexes a reused world lacks. Each app keeps one initial
    migration, edited in place when a table or column is added, so `migrate` finds nothing to
    apply on a database migrated before; derived tables hold nothing a rebuild does not write
    (run with --rebuild), and a new column of the facts takes its default. Returns what was
    created."""
    existing = set(connection.introspection.table_names())
    created = []
    with connection.schema_editor() as editor:
        for app in ("ingest", "dashboard"):
            for model in apps.get_app_config(app).get_models():
                table = model._meta.db_table
                if table not in existing:
                    editor.create_model(model)
                    created.append(table)
                    continue
                with connection.cursor() as cursor:
                    columns = {
                        c.name
                        for c in connection.introspection.get_table_description(cursor, table)
                    }
                for field in model._meta.local_concrete_fields:
                    if field.column not in columns:
                        editor.add_field(model, field)
                        created.append(f"{table}.{field.column}")
                with connection.cursor() as cursor:
                    named = set(connection.introspection.get_constraints(cursor, table))
                for index in model._meta.indexes:
                    if index.name not in named:
                        editor.add_index(model, index)
                        created.append(f"{table}.{index.name}")
    if created:
        print(f"created what this database lacked: {', '.join(created)}", flush=True)
    return created


INGEST_RESOURCES = ("repository", "issues", "pull_requests", "commits", "comments", "governance")


def ingest_history_create() -> int:
    """Gives a world without any sync history what an ingested one has: a daily sync of each
    tracked repository over the last year (one in fifty failed) and each one's checkpoints,
    so that /ingest/ shows what it shows in use. Returns the runs written (0 when the world
    has a history already)."""
    if IngestRun.objects.exists():
        return 0
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC).replace(minute=7, second=0, microsecond=0)
    names = list(Repository.objects.filter(tracked=True).values_list("full_name", flat=True))
    runs = []
    for day in range(365, 0, -1):
        for name in names:
            started = now - dt.timedelta(days=day, minutes=rng.randrange(60))
            failed = rng.random() < 0.02
            runs.append(
                IngestRun(
                    scope=name,
                    status=IngestRun.Status.FAILED if failed else IngestRun.Status.SUCCESS,
                    started_at=started,
                    finished_at=started + dt.timedelta(seconds=rng.randrange(5, 90)),
                    counts={"issues": rng.randrange(5), "pull_requests": rng.randrange(8)},
                    items_written=rng.randrange(40),
                    requests=rng.randrange(6, 30),
                    not_modified=rng.randrange(6),
                    error_count=1 if failed else 0,
                    errors=["GitHub answered 502 Bad Gateway three times"] if failed else [],
                    rate_limit_remaining=rng.randrange(3000, 5000),
                )
            )
    IngestRun.objects.bulk_create(runs, batch_size=BATCH)
    last = now - dt.timedelta(days=1)
    SyncState.objects.bulk_create(
        SyncState(scope=name, resource=resource, watermark=last, last_success_at=last)
        for name in names
        for resource in INGEST_RESOURCES
    )
    return len(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded world")
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="with --reuse: rebuild the derived data first (after a change to it)",
    )
    parser.add_argument("--only", action="append", help="time only pages under this path")
    parser.add_argument(
        "--slowest",
        type=int,
        default=0,
        metavar="N",
        help="also list each page's N slowest queries (one more cold request)",
    )
    parser.add_argument("--no-export", action="store_true", help="skip the CSV export figure")
    parser.add_argument(
        "--cold-only", action="store_true", help="time cold requests only (no warm ones)"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/pages.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    missing_tables_create()
    if not args.reuse:
        world = world_build(items=args.items, people=args.people)
        print(
            f"world: {world['items']:,} items, {world['people']:,} people, "
            f"loaded in {world['load_seconds']:.0f} s; {world['write_access']} people with "
            f"write access over {REPOS} repositories, {world['governance_versions']} "
            "governance file versions",
            flush=True,
        )
    added = ingest_history_create()
    if added:
        print(f"sync history added: {added:,} daily runs of the tracked repositories", flush=True)
    if not args.reuse or args.rebuild:
        started = time.monotonic()
        rows = derived_rebuild().events
        print(
            f"derived data rebuilt: {rows:,} contribution rows in "
            f"{time.monotonic() - started:.1f} s",
            flush=True,
        )
    print(
        f"{'page':48} {'cold median':>11} {'cold p95':>9} {'warm median':>11} {'warm p95':>9}  (ms)"
    )
    timed = pages_time(
        runs=args.runs, only=args.only, slowest=args.slowest, warm=not args.cold_only
    )
    for path, median, high, warm_median, warm_high, queries in timed:
        flag = "" if high < 300 else "  (cold over 300 ms)"
        print(
            f"{path:48} {median:11.1f} {high:9.1f} {warm_median:11.1f} {warm_high:9.1f}{flag}",
            flush=True,
        )
        for ms, sql in queries:
            print(f"    {ms:8.1f} ms  {' '.join(sql.split())[:400]}", flush=True)
    if args.no_export:
        return
    export = export_speed()
    print(
        f"CSV export over HTTP (newcomers per project, all time): {export['rows']:,} rows, "
        f"{export['megabytes']:.0f} MB in {export['seconds']:.2f} s = "
        f"{export['rows_per_second']:,.0f} rows/s (page build included); peak Python "
        f"memory while streaming {export['peak_mb']:.1f} MB"
    )


if __name__ == "__main__":
    main()
