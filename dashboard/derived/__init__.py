"""Derived data: tables computed from ingest's facts so that pages answer quickly.

Each module below is one family of tables and declares, in its `FAMILY`, the tables it owns,
the facts it reads and the selectors that read it. `dashboard.derived.rebuild` rebuilds every
family (or some) for some repositories in one transaction and bumps the version that the
selectors' cache keys on. Derived rows are never edited by hand and never a source of truth:
the same facts give the same rows, whatever the order in which repositories were synced.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """A family of derived tables: what it owns, reads and who reads it."""

    name: str
    tables: tuple[str, ...]  # dashboard models
    sources: tuple[str, ...]  # ingest models, and derived tables of families before it
    readers: tuple[str, ...]  # selector modules (dashboard.metrics.*)
