"""Fill the shared cache with the default views' figures right after a rollup rebuild.

A rebuild changes the rollup version, so every cached selector result is stale at once and
the next visitor of each page would pay the cold cost. With a shared cache (`CACHE_URL`) the
process that rebuilt computes the pages everyone opens first (overview, activity, newcomers
and risks with no filter) once, for every web process. The risks page's health table measures
every tracked project over the default period, which is what every badge reads
(`pages.health.badge_filters`), so the badges are warm too. A per-process cache would only warm
the worker's own memory, so nothing is done then.
"""

import logging

from django.conf import settings

from ..forms import FilterForm
from ..metrics.cached import selector_scope
from . import PAGES

log = logging.getLogger(__name__)

DEFAULT_VIEWS = ("overview", "activity", "newcomers", "risks")


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
            with selector_scope():  # as a request: intermediate results shared by the page
                page = PAGES[name](filters=form.filters())
                str(page.intro)  # a page's summary line may read figures of its own
                page.chart_items()
                for table in page.tables:
                    # What the page shows (a preview, or the first rows): the cached
                    # selectors behind it are computed whole either way, and a table whose
                    # every row is streamed (the CSV's) is not read to its end.
                    table.html_rows()
        except Exception:
            # The rebuild itself succeeded; a page that fails here fails for its visitor too
            # and is reported there. The warm-up must not turn a good rebuild into a retry.
            log.exception("cache warm-up of the %s page failed", name)
            continue
        warmed.append(name)
    return warmed
