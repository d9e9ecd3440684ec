"""The production path from the README: collectstatic, migrate, gunicorn serving pages and
static files (Chart.js) with DEBUG off."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_pages_and_hashed_static_files_with_debug_off(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PULSE_VAR_DIR": str(tmp_path),
            "DEBUG": "false",
            "SECRET_KEY": "production-test-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
        }
    )
    bin_dir = Path(sys.executable).parent
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
    port = _free_port()
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                page = requests.get(base + "/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert page.status_code == 200
        assert "Pulse" in page.text
        scripts = [part.split('"')[0] for part in page.text.split('src="')[1:]]
        chart = next(src for src in scripts if "chart" in src and "vendor" in src)
        assert chart != "/static/vendor/chart.js/chart.umd.min.js", "name is not hashed"
        asset = requests.get(base + chart, timeout=5)
        assert asset.status_code == 200
        assert "Chart" in asset.text[:5000]
        assert "max-age" in asset.headers.get("Cache-Control", "")
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_served_process_freezes_its_start_up_objects_and_still_collects_new_garbage():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x" * 50})
    probe = (
        "import gc, sys\n"
        "import config.wsgi\n"
        # the views are imported before the freeze, so their objects are frozen too
        "assert 'dashboard.views' in sys.modules\n"
        "frozen = gc.get_freeze_count()\n"
        "cycle = []\n"
        "cycle.append(cycle)\n"
        "del cycle\n"
        "print(frozen, gc.collect())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    frozen, collected = (int(n) for n in done.stdout.split())
    # Django, the apps and their modules: tens of thousands of objects a full collection
    # no longer walks; garbage made afterwards (a request's) is still collected.
    assert frozen > 20_000
    assert collected >= 1
