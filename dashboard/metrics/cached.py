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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache

from ..models import DerivedState

TIMEOUT = 24 * 60 * 60


# Within a request the version is read once: a page calls tens of cached selectors, and each
# would otherwise read it again. One version per request also keeps a page's figures from
# mixing two rebuilds' cache entries when a rebuild commits half way through it.
_pinned_version: ContextVar[list[int] | None] = ContextVar("pulse_derived_version", default=None)


def derived_version() -> int:
    """The derived data's version (0 before the first rebuild)."""
    pinned = _pinned_version.get()
    if pinned:
        return pinned[0]
    version = DerivedState.objects.values_list("version", flat=True).first() or 0
    if pinned is not None:
        pinned.append(version)
    return version


@contextmanager
def derived_version_pinned() -> Iterator[None]:
    """Inside: `derived_version` is read from the database once, then reused."""
    token = _pinned_version.set([])
    try:
        yield
    finally:
        _pinned_version.reset(token)


class DerivedVersionPerRequest:
    """Middleware: each request reads the derived version once (`derived_version_pinned`).
    A streamed export's rows are produced after the response leaves this middleware, so
    they read it afresh, as before."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with derived_version_pinned():
            return self.get_response(request)


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
