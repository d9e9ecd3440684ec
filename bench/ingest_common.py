"""Shared set-up of the ingest benchmarks: a scratch database and a simulator process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORGS = "sofastack,mosn"


@contextmanager
def scratch_database():
    """A fresh, migrated database: PostgreSQL when DATABASE_URL says so (a new database on that
    server, dropped afterwards), else a SQLite file. Yields its DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import dj_database_url
        import psycopg2

        base = dj_database_url.parse(url)
        name = f"pulse_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(
            host=base["HOST"],
            port=base["PORT"] or 5432,
            user=base["USER"],
            password=base["PASSWORD"],
            dbname="postgres",
        )
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        scratch = f"postgres://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/{name}"
        try:
            manage(scratch, "migrate", "--noinput", "-v0")
            yield scratch
        finally:
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            scratch = f"sqlite:///{tmp}/bench.sqlite3"
            manage(scratch, "migrate", "--noinput", "-v0")
            yield scratch


def orgs_of(scale: str) -> str:
    """Every organisation of the synthetic world of this scale (beyond sofastack and mosn, the
    large world spreads its repositories over `community-NN` organisations)."""
    sys.path.insert(0, str(ROOT))
    from ingest.simulator.synthetic import SCALES

    extra = max(0, SCALES[scale]["repos"] - 8) // 30
    return ",".join([ORGS] + [f"community-{n:02d}" for n in range(extra)])


def env_for(
    db_url: str, sim_url: str = "http://127.0.0.1:9", *, orgs: str = ORGS
) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="tests.settings",
        GITHUB_API_URL=sim_url,
        GITHUB_TOKEN="bench-token",
        PULSE_ORGS=orgs,
        PULSE_REPOS="",
        LOG_LEVEL="WARNING",
    )


def manage(db_url: str, *args: str, sim_url: str = "http://127.0.0.1:9") -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env_for(db_url, sim_url),
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(result.stdout + result.stderr)
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def simulator(*, scale: str, seed: int = 1, world_db: str | None = None):
    """`python -m ingest.simulator` in its own process (its CPU and memory are not the
    ingest worker's). Yields its URL. `world_db`: a world file kept between runs (built there by
    the first run; the large world takes minutes to build)."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingest.simulator",
            "--port",
            str(port),
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--rate-limit",
            "10000000",
            # A 1,000,000-item world needs more than GitHub's 5,000 GraphQL points an hour.
            "--graphql-rate-limit",
            "10000000",
        ]
        + (["--db", world_db] if world_db else []),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 1800
        while True:
            try:
                stats(url)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_simulator/stats", timeout=5) as answer:
        return json.load(answer)


def reset_stats(url: str) -> None:
    request = urllib.request.Request(f"{url}/_simulator/stats/reset", method="POST")
    urllib.request.urlopen(request, timeout=5).close()


def stored_counts(db_url: str) -> dict[str, int]:
    script = (
        "import json; from ingest import models as m; print(json.dumps({"
        "'issues': m.Issue.objects.count(), 'pull_requests': m.PullRequest.objects.count(),"
        "'reviews': m.Review.objects.count(), 'comments': m.Comment.objects.count(),"
        "'commits': m.Commit.objects.count(), 'stars': m.Star.objects.count(),"
        "'profiles': m.Actor.objects.exclude(profile_fetched_at=None).count(),"
        "'repositories': m.Repository.objects.count()}))"
    )
    return json.loads(manage(db_url, "shell", "-c", script).strip().splitlines()[-1])
