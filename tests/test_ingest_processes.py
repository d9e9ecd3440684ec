"""Ingest in real processes: `manage.py ingest` killed with SIGKILL and restarted, two syncs of
one repository at once, tokens kept out of every log, and the tasks through a real worker.

Subprocesses cannot see pytest's test database (in-memory SQLite, or a transaction on
PostgreSQL), so these tests migrate a database of their own, of the same engine as the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import dj_database_url
import psycopg2
import pytest
from django.conf import settings

from ingest.github.client import GitHubClient
from ingest.simulator import SimulatorServer, World
from ingest.sync.community import community_sync
from tests.conftest import ROOT
from tests.ingest_world import build_community, snapshot

TOKEN = (
    "ghp_" + "processTestToken9876543210zyxwvutsrqpo"
)  # split: a fake token, kept out of secret scanners
SNAPSHOT = (
    "import json; from tests.ingest_world import snapshot; "
    "print(json.dumps(snapshot(), default=str))"
)


@pytest.fixture(scope="module")
def proc_db(tmp_path_factory):
    """A migrated database for subprocesses: a fresh PostgreSQL database in PostgreSQL mode,
    a SQLite file otherwise. Yields its DATABASE_URL."""
    yield from migrated_database(tmp_path_factory)


def migrated_database(tmp_path_factory):
    """The body of `proc_db`, for other modules' fixtures (tests/test_ingest_exit_codes.py)."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        base = dj_database_url.parse(os.environ["DATABASE_URL"])
        name = f"pulse_ingest_proc_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(
            host=base["HOST"],
            port=base["PORT"] or 5432,
            user=base["USER"],
            password=base["PASSWORD"],
            dbname="postgres",
        )
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        url = f"postgres://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/{name}"
    else:
        admin = None
        url = f"sqlite:///{tmp_path_factory.mktemp('proc') / 'pulse.sqlite3'}"
    manage(url, "migrate", "--noinput", sim_url="http://127.0.0.1:9")
    yield url
    if admin is not None:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def env_for(db_url: str, sim_url: str, **extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="tests.settings",
        GITHUB_API_URL=sim_url,
        GITHUB_TOKEN=TOKEN,
        PULSE_ORGS="",
        PULSE_REPOS="",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(
    db_url: str, *args: str, sim_url: str, check: bool = True, **extra: str
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env_for(db_url, sim_url, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def stored(db_url: str) -> dict:
    out = manage(db_url, "shell", "-c", SNAPSHOT, sim_url="http://127.0.0.1:9").stdout
    return json.loads(out.strip().splitlines()[-1])


def wipe(db_url: str) -> None:
    manage(db_url, "flush", "--noinput", sim_url="http://127.0.0.1:9")


@pytest.fixture
def sim():
    world = World()
    build_community(world, issues=120, pulls=110)
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        yield server


@pytest.mark.django_db
def test_sync_killed_mid_way_and_restarted_ends_with_the_same_rows(proc_db, sim):
    community_sync(client=GitHubClient(base_url=sim.url, tokens=[TOKEN]), orgs=["acme"], repos=[])
    clean = json.loads(json.dumps(snapshot(), default=str))
    wipe(proc_db)
    sim.reset_stats()
    sim.faults.slow(seconds=0.12, times=None)  # slow enough to be killed half-way
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "ingest", "--org", "acme"],
        cwd=ROOT,
        env=env_for(proc_db, sim.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while sim.stats()["requests"] < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    half = stored(proc_db)
    assert half != clean, "the kill should have landed mid-sync"
    assert half["issues"], "some pages were committed before the kill"
    sim.faults.clear()
    manage(proc_db, "ingest", "--org", "acme", sim_url=sim.url)
    assert stored(proc_db) == clean


@pytest.mark.django_db
def test_parallel_jobs_store_the_same_rows_then_cost_only_304s(proc_db, sim):
    community_sync(client=GitHubClient(base_url=sim.url, tokens=[TOKEN]), orgs=["acme"], repos=[])
    clean = json.loads(json.dumps(snapshot(), default=str))
    wipe(proc_db)
    sim.reset_stats()
    first = manage(proc_db, "ingest", "--org", "acme", "--jobs", "2", sim_url=sim.url)
    assert stored(proc_db) == clean
    # Every thread's requests are in the summary.
    assert f"API requests: {sim.stats()['requests']}" in first.stdout, first.stdout
    sim.reset_stats()
    manage(proc_db, "ingest", "--org", "acme", "--jobs", "2", sim_url=sim.url)
    stats = sim.stats()
    # Stars come through GraphQL (no conditional requests): one request per repository.
    assert stats["requests"] == stats["not_modified"] + 2 <= 2 * 6 + 1, stats
    assert stats["by_operation"] == {"Stargazers": {"200": 2}}, stats


def test_two_syncs_of_one_repository_never_both_run(proc_db, sim):
    wipe(proc_db)
    sim.reset_stats()
    sim.faults.slow(seconds=0.3, times=None)  # holds the first sync while the second starts
    env = env_for(proc_db, sim.url)
    command = [sys.executable, "manage.py", "ingest", "--repo", "acme/core"]
    first = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 60
    while sim.stats()["requests"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    sim.faults.clear()
    out = first.communicate(timeout=300)[0]
    # The second one synced nothing, and says so in its exit status (1) and last line.
    assert first.returncode == 0 and second.returncode == 1, out + second.stdout + second.stderr
    assert "Another sync of acme/core was already running" in second.stdout
    assert second.stderr.strip().splitlines()[-1] == (
        "CommandError: skipped, another sync of it was running: acme/core."
    )
    script = (
        "from ingest.models import IngestRun; print(sorted(IngestRun.objects"
        ".filter(scope='acme/core').values_list('status', flat=True)))"
    )
    statuses = manage(proc_db, "shell", "-c", script, sim_url=sim.url).stdout.strip()
    assert statuses.splitlines()[-1] == "['skipped', 'success']", (statuses, out)


def test_tokens_never_reach_logs_output_or_run_records(proc_db, sim):
    wipe(proc_db)
    sim.faults.fail(status=502, nth=2, times=1)
    sim.faults.secondary_limit(status=429, retry_after=0.1, nth=3)
    ok = manage(proc_db, "ingest", "--org", "acme", sim_url=sim.url, LOG_LEVEL="DEBUG")
    wrong = (
        "ghp_" + "wrongTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    )  # split: a fake token, kept out of secret scanners
    refused = manage(
        proc_db,
        "ingest",
        "--repo",
        "acme/docs",
        sim_url=sim.url,
        check=False,
        LOG_LEVEL="DEBUG",
        GITHUB_TOKEN=wrong,
    )
    script = (
        "import json; from ingest.models import IngestRun; "
        "print(json.dumps(list(IngestRun.objects.values()), default=str))"
    )
    runs = manage(proc_db, "shell", "-c", script, sim_url=sim.url).stdout
    assert "Items written: " in ok.stdout and "Errors: 0" in ok.stdout
    assert "refused the token" in refused.stdout + runs  # … and a bad token is named as such
    for text in (ok.stdout, ok.stderr, refused.stdout, refused.stderr, runs):
        assert TOKEN not in text and wrong not in text
        assert TOKEN[4:20] not in text and wrong[4:20] not in text


def _runs(db_url: str) -> dict[str, list[str]]:
    script = (
        "import json; from ingest.models import IngestRun; runs = {}\n"
        "for scope, status in IngestRun.objects.order_by('started_at')"
        ".values_list('scope', 'status'): runs.setdefault(scope, []).append(status)\n"
        "print(json.dumps(runs))"
    )
    out = manage(db_url, "shell", "-c", script, sim_url="http://127.0.0.1:9").stdout
    return json.loads(out.strip().splitlines()[-1])


def _rollups(db_url: str) -> dict:
    script = (
        "import json; from dashboard.models import ContributionEvent as E; "
        "from ingest.changes import facts_pending; print(json.dumps({"
        "'pending': len(facts_pending()), 'repositories': sorted(set("
        "E.objects.values_list('repository__full_name', flat=True)))}))"
    )
    out = manage(db_url, "shell", "-c", script, sim_url="http://127.0.0.1:9").stdout
    return json.loads(out.strip().splitlines()[-1])


def test_tasks_run_through_a_real_worker_on_the_configured_broker(proc_db, sim, tmp_path):
    """The beat's task fans out per organisation and repository on the ingest queue, the
    rollups queue rebuilds what they stored; a second request for one repository then costs
    304s only."""
    from config.celery import app
    from ingest.tasks import sync_all, sync_repository

    wipe(proc_db)
    app.control.purge()  # leftovers of an earlier, interrupted run on this broker
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "ingest,rollups",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env_for(proc_db, sim.url, PULSE_ORGS="acme"),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        sync_all.delay(full=True)
        deadline = time.monotonic() + 180
        runs: dict[str, list[str]] = {}
        while time.monotonic() < deadline:
            runs = _runs(proc_db)
            if runs.get("acme/core") == ["success"] and runs.get("acme/docs") == ["success"]:
                break
            time.sleep(2)
        assert runs.get("org:acme") == ["success"], (runs, log.read_text()[-3000:])
        assert runs.get("acme/core") == ["success"] and runs.get("acme/docs") == ["success"], runs
        # Each sync recorded a rollups request; the worker's rebuilds absorb them all.
        rollups = {}
        while time.monotonic() < deadline:
            rollups = _rollups(proc_db)
            if rollups["pending"] == 0 and len(rollups["repositories"]) == 2:
                break
            time.sleep(1)
        assert rollups["pending"] == 0 and len(rollups["repositories"]) == 2, rollups
        sim.reset_stats()
        again = sync_repository.apply_async(args=["acme/core"])
        assert again.get(timeout=120) == "success"
        stats = sim.stats()
        # Five resources answered 304, stars one GraphQL request from the kept cursor; the
        # repository itself is read once (the fan-out had it from the organisation's list, so
        # it has no ETag for it yet).
        assert stats["not_modified"] == 5 and stats["requests"] == 7, stats
        assert stats["by_operation"] == {"Stargazers": {"200": 1}}, stats
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    data = stored(proc_db)
    assert len(data["pull_requests"]) == 110 and len(data["issues"]) == 121
    assert TOKEN not in log.read_text()
