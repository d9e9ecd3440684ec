"""Selector results kept until the derived data is next rebuilt.

Every number on a page is derived from ingest's facts through the derived tables, which change
only when `dashboard.derived.rebuild` runs (after each ingest, or a promotion rule change) and
bumps their version. So a selector's result for the same arguments stays right until then:
`@cached_until_rebuild` keys it by the selector, its arguments and that version, in Django's
cache (per process by default; a shared cache such as
Redis can be configured with CACHES). Only selectors returning plain, finished values (series
and short lists) are cached, never streamed rows.
"""

import functools
import hashlib

from django.core.cache import cache

from ..models import DerivedState

TIMEOUT = 24 * 60 * 60


def derived_version() -> int:
    """The derived data's version (0 before the first rebuild)."""
    return DerivedState.objects.values_list("version", flat=True).first() or 0


def cached_until_rebuild(function):
    @functools.wraps(function)
    def wrapper(**kwargs):
        identity = repr(
            (function.__module__, function.__qualname__, sorted(kwargs.items()), derived_version())
        )
        key = "pulse:selector:" + hashlib.sha256(identity.encode()).hexdigest()
        value = cache.get(key)
        if value is None:
            value = function(**kwargs)
            cache.set(key, value, TIMEOUT)
        return value

    wrapper.uncached = function
    return wrapper
