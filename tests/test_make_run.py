"""`make run` without GITHUB_TOKEN (scripts/run.sh): the demo in its own database, a "Demo
data" banner, one ready line with a local admin's password, no beat schedule against GitHub,
and Ctrl-C stopping everything within 3 seconds with exit status 0."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.conftest import ROOT

READY = re.compile(r"Pulse is ready: (http://127\.0\.0\.1:\d+) \(admin: admin / (\S+), shown")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_make_run_demo_is_a_demo_and_stops_on_ctrl_c(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "GITHUB_TOKEN",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "CACHE_URL",
            "DJANGO_SETTINGS_MODULE",
            "DEBUG",
            "SECRET_KEY",
            "PULSE_ALLOW_PRIVATE_API",
        }
    }
    env.update(PULSE_PORT=str(_free_port()), PULSE_VAR_DIR=str(tmp_path / "var"))
    # As from a terminal: SIGINT handled by default (a shell that started this suite in the
    # background may have left it ignored, which bash could not then trap), and Ctrl-C sent
    # to the whole foreground process group.
    proc = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240
        ready = None
        while ready is None and time.monotonic() < deadline and proc.poll() is None:
            ready = next(filter(None, map(READY.search, list(lines))), None)
            time.sleep(0.5)
        output = "".join(lines)
        assert ready, output + _logs(tmp_path)
        base, password = ready.group(1), ready.group(2)
        assert len([line for line in lines if line.strip()]) <= 6, output  # not ~120 lines
        page = requests.get(base + "/", timeout=30)
        assert page.status_code == 200 and "Demo data." in page.text
        session = requests.Session()
        login = session.get(base + "/admin/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        admin = session.post(
            base + "/admin/login/?next=/admin/",
            data={"username": "admin", "password": password, "csrfmiddlewaretoken": token},
            timeout=30,
        )
        assert admin.url.endswith("/admin/") and "Log out" in admin.text
        # The demo has its own database; no sync of GitHub is scheduled without a token.
        assert (tmp_path / "var" / "demo.sqlite3").is_file()
        assert "no sync of GitHub is scheduled" in (tmp_path / "var" / "worker.log").read_text()
    finally:
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill_session(proc.pid)
            raise
        left = _session(proc.pid)
        while left and time.monotonic() - started < 10:
            time.sleep(0.05)
            left = _session(proc.pid)
        stopped_in = time.monotonic() - started
    reader.join(timeout=5)
    assert code == 0, "".join(lines)
    assert not left, f"still running after Ctrl-C: {left}"
    assert stopped_in < 3, stopped_in
    print(f"make run: ready line, demo banner; Ctrl-C stopped everything in {stopped_in:.1f} s")


def test_no_beat_schedule_without_a_token(tmp_path):
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(sorted(s.CELERY_BEAT_SCHEDULE)))"
    )
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true", PULSE_VAR_DIR=str(tmp_path))
    schedules = {}
    for token in ("", "ghp_x"):
        env["GITHUB_TOKEN"] = token
        done = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        schedules[token] = json.loads(done.stdout)
    assert schedules == {"": [], "ghp_x": ["ingest-incremental", "ingest-reconcile"]}


@pytest.mark.django_db
def test_every_page_says_demo_data_in_the_demo(client, settings):
    settings.PULSE_DEMO = True
    for path in ("/", "/activity/", "/ingest/", "/docs/metrics/", "/nowhere/"):
        assert "Demo data." in client.get(path).content.decode(), path
    settings.PULSE_DEMO = False
    assert "Demo data." not in client.get("/").content.decode()


def _session(sid: int) -> list[str]:
    """The processes still running in `make run`'s session (the worker's pool and beat
    included; zombies are dead, only not yet reaped by init)."""
    found = subprocess.run(
        ["ps", "-s", str(sid), "-o", "pid=,stat=,args="], capture_output=True, text=True
    )
    return [line for line in found.stdout.splitlines() if line.split()[1:2] != ["Z"]]


def _kill_session(sid: int) -> None:
    """Every process group of the session (run.sh gives each process one of its own)."""
    found = subprocess.run(["ps", "-s", str(sid), "-o", "pgid="], capture_output=True, text=True)
    for group in {int(pgid) for pgid in found.stdout.split()}:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _logs(tmp_path) -> str:
    texts = []
    for log in sorted((tmp_path / "var").glob("*.log")):
        texts.append(f"--- {log.name}\n{log.read_text()[-2000:]}")
    return "\n".join(texts)
