"""A task sent through the configured broker is executed by a real worker process."""

import os
import subprocess
import sys
import uuid

import pytest

from config.celery import app, ping
from tests.conftest import ROOT


@pytest.fixture
def worker():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings")
    queue = f"ping-{uuid.uuid4().hex[:8]}"
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
            "solo",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_round_trip_through_the_broker(worker):
    token = uuid.uuid4().hex
    result = ping.apply_async(args=[token], queue=worker)
    assert result.get(timeout=60) == f"pong:{token}"
    print("broker:", app.conf.broker_url.split("://")[0])
