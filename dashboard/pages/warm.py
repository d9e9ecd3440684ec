"""Fill the shared cache with the default views' figures right after a rollup rebuild.

A rebuild changes the rollup version, so every cached selector result is stale at once and
the next visitor of each page would pay the cold cost. With a shared cache (`CACHE_URL`) the
process that rebuilt computes the pages everyone opens first (overview, activity, newcomers
with no filter) once, for every web process. A per-process cache would only warm the worker's
own memory, so nothing is done then.
"""

import logging

from django.conf import settings
from django.db.models import QuerySet

from ..forms import FilterForm
from . import PAGES

log = logging.getLogger(__name__)

DEFAULT_VIEWS = ("overview", "activity", "newcomers")


def default_views_warm() -> list[str]:
    """Compute the cached parts of the default views; returns the pages warmed."""
    if not settings.CACHE_URL:
        return []
    warmed = []
    for name in DEFAULT_VIEWS:
        form = FilterForm({})
        if not form.is_valid():  # defaults are always valid; a broken form is a bug elsewhere
            log.warning("cache warm-up skipped %s: %s", name, form.problems())
            continue
        try:
            page = PAGES[name](filters=form.filters())
            page.chart_items()
            for table in page.tables:
                source = table.rows() if callable(table.rows) else table.rows
                if not isinstance(source, QuerySet):  # querysets are read per request
                    list(source)
        except Exception:
            # The rebuild itself succeeded; a page that fails here fails for its visitor too
            # and is reported there. The warm-up must not turn a good rebuild into a retry.
            log.exception("cache warm-up of the %s page failed", name)
            continue
        warmed.append(name)
    return warmed
