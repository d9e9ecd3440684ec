"""What a serving process does once its application is loaded (config/wsgi.py)."""

import gc

from django.urls import get_resolver


def loaded_objects_freeze() -> int:
    """Imports every view (through the URLconf), then moves every object alive into the
    garbage collector's permanent generation; returns how many were moved.

    A full collection walks every object the collector tracks. A served process keeps the
    objects of its start-up (Django, the apps, their modules) until it exits, so without
    this each full collection, falling in whichever request happens to allocate enough
    (a risks page summing tens of thousands of rows), walks them all again for nothing and
    makes that request the slow one. The ingest processes freeze theirs likewise
    (ingest/gc_tuning.py), with thresholds of their own for decoding pages."""
    get_resolver().url_patterns  # noqa: B018 (loading the URLconf imports the views)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
