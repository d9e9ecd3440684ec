"""`manage.py ingest` says how it went in its exit status (DESIGN.md): 0 all synced, 1 some
resource failed, 2 bad configuration, 3 stopped by the rate limit; anything but 0 ends with
one line saying why, after the summary. A database that fails mid-sync ends the same way and
leaves the run recorded as failed with the real reason.

Run as real processes against the simulator, on a database of their own (the fixtures of
tests/test_ingest_processes.py).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import dj_database_url
import psycopg2
import pytest
from django.conf import settings

from ingest.simulator import SimulatorServer, World
from tests.conftest import ROOT
from tests.ingest_world import build_community
from tests.test_ingest_processes import TOKEN, env_for, manage, migrated_database, wipe

RUNS = (
    "import json; from ingest.models import IngestRun; "
    "print(json.dumps(list(IngestRun.objects.order_by('id').values('scope', 'status', 'errors'))))"
)


@pytest.fixture(scope="module")
def proc_db(tmp_path_factory):
    """A migrated database of this run's engine, for processes (tests/test_ingest_processes.py)."""
    yield from migrated_database(tmp_path_factory)


@pytest.fixture
def sim():
    world = World()
    build_community(world, issues=40, pulls=30)
    with SimulatorServer(world, tokens=[TOKEN]) as server:
        yield server


def ingest(db_url: str, *args: str, sim_url: str, **extra: str) -> subprocess.CompletedProcess:
    return manage(db_url, "ingest", *args, sim_url=sim_url, check=False, **extra)


def last_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else ""


def runs(db_url: str) -> list[dict]:
    out = manage(db_url, "shell", "-c", RUNS, sim_url="http://127.0.0.1:9").stdout
    return json.loads(out.strip().splitlines()[-1])


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_exit_0_when_everything_was_synced(proc_db, sim):
    wipe(proc_db)
    result = ingest(proc_db, "--org", "acme", sim_url=sim.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Errors: 0" in result.stdout


def test_exit_1_when_a_resource_failed_with_the_summary_first(proc_db, sim):
    wipe(proc_db)
    sim.faults.fail(status=404, endpoint="POST /graphql#Stargazers", times=None)
    result = ingest(proc_db, "--org", "acme", sim_url=sim.url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "Errors: 2" in result.stdout and "Stars of acme/core" in result.stdout
    assert last_line(result) == "CommandError: 2 of 3 syncs did not complete (2 errors above)."


def test_exit_1_when_the_api_cannot_be_reached(proc_db):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    wipe(proc_db)
    result = ingest(proc_db, "--repo", "acme/core", sim_url=url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "connection failed" in result.stdout
    assert last_line(result).startswith("CommandError: 1 of 1 syncs did not complete")


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--repo", "acme"], {}, "--repo 'acme' is not of the form OWNER/NAME."),
        (["--jobs", "0"], {}, "--jobs must be at least 1."),
        ([], {"GITHUB_API_URL": "ftp://example.org"}, "GITHUB_API_URL must be an http(s) URL"),
        # A cloud metadata address is never an API, whatever PULSE_ALLOW_PRIVATE_API says.
        (
            [],
            {"GITHUB_API_URL": "http://169.254.169.254", "PULSE_ALLOW_PRIVATE_API": "true"},
            "is a link-local address (169.254.169.254)",
        ),
        (
            [],
            {"GITHUB_API_URL": "http://[::ffff:169.254.169.254]/latest"},
            "is a link-local address (169.254.169.254)",
        ),
        ([], {"GITHUB_API_URL": "http://10.1.2.3"}, "is a private address (10.1.2.3)"),
    ],
)
def test_exit_2_on_bad_configuration_in_one_line(proc_db, args, env, message):
    env = {"PULSE_ALLOW_PRIVATE_API": "false", **env}
    result = ingest(proc_db, *args, "--org", "acme", sim_url="http://127.0.0.1:9", **env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    assert message in last_line(result)


def test_exit_2_and_no_request_when_the_api_is_on_loopback_without_permission(proc_db, sim):
    wipe(proc_db)
    sim.reset_stats()
    refused = ingest(proc_db, "--org", "acme", sim_url=sim.url, PULSE_ALLOW_PRIVATE_API="false")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "is a loopback address (127.0.0.1)" in last_line(refused)
    assert "PULSE_ALLOW_PRIVATE_API=true" in last_line(refused)
    assert sim.stats()["requests"] == 0  # the token was never sent
    allowed = ingest(proc_db, "--org", "acme", sim_url=sim.url, PULSE_ALLOW_PRIVATE_API="true")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_exit_3_when_the_rate_limit_stops_it_with_the_reset_time(proc_db, sim):
    wipe(proc_db)
    sim.faults.exhaust_rate_limit(reset_in=3600, nth=4)
    result = ingest(proc_db, "--org", "acme", sim_url=sim.url)
    assert result.returncode == 3, result.stdout + result.stderr
    assert_no_traceback(result)
    line = last_line(result)
    assert line.startswith("CommandError: Stopped by GitHub's rate limit; it resets at ")
    assert line.endswith(" UTC. Run the command again then.")
    # Nothing continues by itself after a command: the summary says to run it again.
    assert "continues at" not in result.stdout
    assert "run it again after" in result.stdout or "run again after" in result.stdout


def test_exit_1_when_another_sync_of_the_repository_is_running(proc_db, sim):
    """A second command that finds a repository being synced by the first skips it and says
    so (tests/test_ingest_processes.py checks the runs recorded)."""
    wipe(proc_db)
    sim.faults.slow(seconds=0.3, times=None)
    env = env_for(proc_db, sim.url)
    command = [sys.executable, "manage.py", "ingest", "--repo", "acme/docs"]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while sim.stats()["requests"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    sim.faults.clear()
    first.communicate(timeout=300)
    assert (first.returncode, second.returncode) == (0, 1), second.stdout + second.stderr
    assert "skipped, another sync of it was running: acme/docs" in last_line(second)


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="terminates the sync's PostgreSQL backend (DATABASE_URL=postgres://…)",
)
def test_database_connection_dropped_mid_sync_ends_with_a_summary_and_a_failed_run(proc_db, sim):
    wipe(proc_db)
    sim.faults.slow(seconds=0.1, times=None)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "ingest", "--repo", "acme/core", "--jobs", "1"],
        cwd=ROOT,
        env=env_for(proc_db, sim.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while sim.stats()["requests"] < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = terminate_backends(proc_db)
    assert killed, "the sync's database session should have been found"
    out, err = proc.communicate(timeout=300)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert result.returncode == 1, out + err
    assert_no_traceback(result)
    assert "Items written: " in out and "API requests: " in out  # the summary is there
    line = last_line(result)
    assert line.startswith("CommandError: The database failed during "), err
    assert "of acme/core (" in line
    recorded = [run for run in runs(proc_db) if run["scope"] == "acme/core"]
    assert [run["status"] for run in recorded] == ["failed"], recorded
    assert recorded[0]["errors"][-1].startswith("The database failed during ")
    assert "worker was stopped or killed" not in json.dumps(recorded)


def terminate_backends(db_url: str) -> int:
    """Terminate every other session on `db_url`'s database (what a PostgreSQL restart or a
    network cut does to a client); returns how many."""
    parts = dj_database_url.parse(db_url)
    conn = psycopg2.connect(
        host=parts["HOST"],
        port=parts["PORT"] or 5432,
        user=parts["USER"],
        password=parts["PASSWORD"],
        dbname="postgres",
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [parts["NAME"]],
            )
            return cursor.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "", "DEBUG": "false"},
            "Configuration error: SECRET_KEY is not set.",
        ),
        (
            {"DATABASE_URL": "foo://pulse:hunter22secret@db.example/pulse"},
            "Configuration error: DATABASE_URL has an unknown scheme 'foo'",
        ),
        ({"PULSE_ORGS": "not_an_org"}, "Configuration error: PULSE_ORGS entry 'not_an_org'"),
    ],
)
def test_any_command_exits_2_with_one_line_on_a_configuration_error(env, message):
    result = manage("sqlite:///unused", "ingest", sim_url="http://127.0.0.1:9", check=False, **env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    assert last_line(result).startswith(message)
    assert "hunter22secret" not in result.stdout + result.stderr


def test_demo_exits_1_when_the_database_cannot_be_reached():
    # Nothing listens on port 9: every query fails as a dropped database would.
    result = manage(
        "postgres://postgres@127.0.0.1:9/pulse",
        "demo",
        sim_url="http://127.0.0.1:9",
        check=False,
        DATABASE_CONN_MAX_AGE="0",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert "The database failed during the sync (OperationalError" in last_line(result)
