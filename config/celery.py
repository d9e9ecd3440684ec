"""The Celery app; configuration comes from Django settings (CELERY_* names)."""

import logging
import os

from celery import Celery
from celery.signals import beat_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_garbage_collector(**_) -> None:
    """Workers decode GitHub's pages all day: see ingest/gc_tuning.py."""
    from ingest.gc_tuning import gc_tune_for_ingest

    gc_tune_for_ingest()


@beat_init.connect
def _say_when_nothing_is_scheduled(**_) -> None:
    """Without GITHUB_TOKEN the schedule is empty (config/settings.py): say so once."""
    from django.conf import settings

    if not settings.CELERY_BEAT_SCHEDULE:
        logging.getLogger("pulse.beat").warning(
            "GITHUB_TOKEN is not set: no sync of GitHub is scheduled. "
            "Set GITHUB_TOKEN (and PULSE_ORGS) to keep a real community up to date."
        )


@app.task(name="pulse.ping", ignore_result=False)
def ping(value: str) -> str:
    """Health check: proves a worker is consuming from the broker (used by tests and ops)."""
    return f"pong:{value}"
