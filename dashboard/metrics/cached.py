"""Selector results kept until the rollups are next rebuilt.

Every number on a page is derived from ingest's facts through the rollups, which change only
when `rollups_rebuild` runs (after each ingest). So a selector's result for the same arguments
stays right until then: `@cached_until_rebuild` keys it by the selector, its arguments and the
rollups' rebuild time, in Django's cache (per process by default; a shared cache such as
Redis can be configured with CACHES). Only selectors returning plain, finished values (series
and short lists) are cached, never streamed rows.
"""

import functools
import hashlib

from django.core.cache import cache

from ..models import RollupState

TIMEOUT = 24 * 60 * 60


def rollup_version() -> str:
    rebuilt = (
        RollupState.objects.filter(name="contributions")
        .values_list("rebuilt_at", flat=True)
        .first()
    )
    return rebuilt.isoformat() if rebuilt else "never"


def cached_until_rebuild(function):
    @functools.wraps(function)
    def wrapper(**kwargs):
        identity = repr(
            (function.__module__, function.__qualname__, sorted(kwargs.items()), rollup_version())
        )
        key = "pulse:selector:" + hashlib.sha256(identity.encode()).hexdigest()
        value = cache.get(key)
        if value is None:
            value = function(**kwargs)
            cache.set(key, value, TIMEOUT)
        return value

    wrapper.uncached = function
    return wrapper
