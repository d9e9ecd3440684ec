"""Celery workers that fail the ways production ones do, on a real Redis broker: a worker killed
mid-sync (its task goes to another worker within the visibility timeout, not an hour later), a
database connection dropped under a task (recorded, retried), a sync longer than the task's
time limit (continued in a new task). Each worker is a real process on the suite's broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
from django.conf import settings

from ingest.simulator import SimulatorServer, World
from tests.conftest import ROOT
from tests.ingest_world import build_community
from tests.test_ingest_exit_codes import terminate_backends
from tests.test_ingest_processes import TOKEN, env_for, manage, migrated_database, wipe

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="redelivery after a worker dies is Redis's visibility timeout "
    "(CELERY_BROKER_URL=redis://…); the embedded filesystem broker has none",
)
POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
RUNS = (
    "import json; from ingest.models import IngestRun; print(json.dumps(list(IngestRun.objects"
    ".filter(scope='acme/core').order_by('id').values('status', 'errors', 'trigger'))))"
)


@pytest.fixture(scope="module")
def proc_db(tmp_path_factory):
    yield from migrated_database(tmp_path_factory)


@pytest.fixture
def sim():
    world = World()
    build_community(world, issues=60, pulls=50)
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        yield server


def runs(db_url: str) -> list[dict]:
    out = manage(db_url, "shell", "-c", RUNS, sim_url="http://127.0.0.1:9").stdout
    return json.loads(out.strip().splitlines()[-1])


@contextmanager
def worker(db_url: str, sim_url: str, queue: str, log, *, pool: str = "solo", **env: str):
    """A worker process (in its own process group, so that it can be killed whole)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--pool",
            pool,
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env_for(db_url, sim_url, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def wait_for(condition, *, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def test_a_killed_workers_sync_is_finished_by_another_within_the_visibility_timeout(
    proc_db, sim, tmp_path
):
    from ingest.tasks import sync_repository

    wipe(proc_db)
    queue = f"ingest-kill-{uuid.uuid4().hex[:8]}"
    # What production sizes from the time limit (10 min + 2 min), scaled down to seconds.
    limits = {
        "CELERY_TASK_TIME_LIMIT": "20",
        "CELERY_TASK_SOFT_TIME_LIMIT": "15",
        "CELERY_VISIBILITY_TIMEOUT": "30",
    }
    sim.faults.slow(seconds=0.3, times=None)  # a sync long enough to be killed half-way
    with open(tmp_path / "first.log", "w") as first_log:
        with worker(proc_db, sim.url, queue, first_log, **limits) as first:
            sync_repository.apply_async(args=["acme/core"], queue=queue)
            assert wait_for(lambda: sim.stats()["requests"] >= 4, timeout=60, every=0.1)
            os.killpg(first.pid, signal.SIGKILL)  # the whole worker, as the OOM killer would
            first.wait(timeout=10)
            killed_at = time.monotonic()
    sim.faults.clear()
    with open(tmp_path / "second.log", "w") as second_log:
        with worker(proc_db, sim.url, queue, second_log, **limits):
            done = wait_for(
                lambda: [r["status"] for r in runs(proc_db)][-1:] == ["success"], timeout=120
            )
            redelivered_after = time.monotonic() - killed_at
    recorded = runs(proc_db)
    assert done, (recorded, (tmp_path / "second.log").read_text()[-3000:])
    assert [run["status"] for run in recorded] == ["failed", "success"], recorded
    assert "worker was stopped or killed" in recorded[0]["errors"][0]
    # The visibility timeout (30 s) plus at most one sweep (10 s) and the sync itself.
    assert redelivered_after < 75, redelivered_after
    print(f"killed worker's sync finished by another {redelivered_after:.0f} s after the kill")


@pytest.mark.skipif(not POSTGRESQL, reason="terminates PostgreSQL backends (DATABASE_URL=…)")
def test_a_database_connection_dropped_under_a_task_is_recorded_and_retried(proc_db, sim, tmp_path):
    from ingest.tasks import sync_repository

    wipe(proc_db)
    queue = f"ingest-db-{uuid.uuid4().hex[:8]}"
    sim.faults.slow(seconds=0.2, times=None)
    with open(tmp_path / "worker.log", "w") as log:
        with worker(proc_db, sim.url, queue, log):
            result = sync_repository.apply_async(args=["acme/core"], queue=queue)
            assert wait_for(lambda: sim.stats()["requests"] >= 6, timeout=60, every=0.1)
            assert terminate_backends(proc_db), "the worker's session should have been found"
            sim.faults.clear()
            status = result.get(timeout=180)  # the retry's answer
    recorded = runs(proc_db)
    assert status == "success", recorded
    assert [run["status"] for run in recorded] == ["failed", "success"], recorded
    assert recorded[0]["errors"][-1].startswith("The database failed during "), recorded
    assert "Retry in" in (tmp_path / "worker.log").read_text()


def test_a_sync_longer_than_the_time_limit_continues_in_a_new_task(proc_db, sim, tmp_path):
    from ingest.tasks import sync_repository

    wipe(proc_db)
    queue = f"ingest-limit-{uuid.uuid4().hex[:8]}"
    limits = {
        "CELERY_TASK_TIME_LIMIT": "12",
        "CELERY_TASK_SOFT_TIME_LIMIT": "4",
        "CELERY_VISIBILITY_TIMEOUT": "40",
    }
    sim.faults.slow(seconds=0.3, times=None)  # a sync of ~25 requests: well over 4 s
    with open(tmp_path / "worker.log", "w") as log:
        # Time limits need the prefork pool; the continuation stays on the task's queue.
        with worker(proc_db, sim.url, queue, log, pool="prefork", **limits):
            # A message carries its sender's time limits (the continuations: the worker's).
            sync_repository.apply_async(
                args=["acme/core"], queue=queue, time_limit=12, soft_time_limit=4
            )
            done = wait_for(
                lambda: [r["status"] for r in runs(proc_db)][-1:] == ["success"], timeout=180
            )
    recorded = runs(proc_db)
    assert done, (recorded, (tmp_path / "worker.log").read_text()[-3000:])
    statuses = [run["status"] for run in recorded]
    assert statuses[0] == "partial" and statuses[-1] == "success", recorded
    assert set(statuses[1:-1]) <= {"partial"}, recorded
    assert "time limit was reached" in recorded[0]["errors"][-1]
