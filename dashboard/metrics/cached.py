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


# A request (or a warm-up) is one scope: it reads the version once, since a page calls tens
# of cached selectors and each would otherwise read it again, and one version per scope keeps
# a page's figures from mixing two rebuilds' cache entries when a rebuild commits half way
# through it. The scope also keeps each result it has computed or read: a page's tables read
# the same summaries many times, and the cache would unpickle a fresh copy each time.
_scope: ContextVar[dict | None] = ContextVar("pulse_selector_scope", default=None)


def derived_version() -> int:
    """The derived data's version (0 before the first rebuild)."""
    scope = _scope.get()
    if scope is not None and "version" in scope:
        return scope["version"]
    version = DerivedState.objects.values_list("version", flat=True).first() or 0
    if scope is not None:
        scope["version"] = version
    return version


@contextmanager
def selector_scope() -> Iterator[None]:
    """Inside: `derived_version` is read from the database once, and each selector result
    is kept in memory once computed or read (so callers must never change one in place)."""
    token = _scope.set({"results": {}})
    try:
        yield
    finally:
        _scope.reset(token)


class SelectorScopePerRequest:
    """Middleware: each request is one `selector_scope`. A streamed export's rows are
    produced after the response leaves this middleware, so they read afresh, as before."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with selector_scope():
            return self.get_response(request)


def _key(function, kwargs: dict, *, versioned: bool = True) -> str:
    version = derived_version() if versioned else None
    identity = repr((function.__module__, function.__qualname__, sorted(kwargs.items()), version))
    return "pulse:selector:" + hashlib.sha256(identity.encode()).hexdigest()


def _kept() -> dict:
    scope = _scope.get()
    return scope["results"] if scope is not None else {}


def cached_until_rebuild(function):
    """Keeps the result in Django's cache until the next rebuild (and in the scope)."""

    @functools.wraps(function)
    def wrapper(**kwargs):
        key = _key(function, kwargs)
        kept = _kept()
        if key in kept:
            return kept[key]
        value = cache.get(key)
        if value is None:
            value = function(**kwargs)
            cache.set(key, value, TIMEOUT)
        kept[key] = value
        return value

    wrapper.uncached = function
    return wrapper


def cached_in_scope(function):
    """Keeps the result for the rest of the scope only (one request, which sees one version of
    the derived data): for a large intermediate result that several cached selectors of one
    page share, which the cache would pickle for nothing (each of those selectors keeps its
    own, smaller result until the next rebuild), or a read several parts of a request need."""

    @functools.wraps(function)
    def wrapper(**kwargs):
        key = _key(function, kwargs, versioned=False)
        kept = _kept()
        if key not in kept:
            kept[key] = function(**kwargs)
        return kept[key]

    wrapper.uncached = function
    return wrapper
