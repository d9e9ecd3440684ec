"""The Celery app; configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="pulse.ping", ignore_result=False)
def ping(value: str) -> str:
    """Health check: proves a worker is consuming from the broker (used by tests and ops)."""
    return f"pong:{value}"
