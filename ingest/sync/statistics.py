"""Fresh planner statistics while a big sync fills the tables (PostgreSQL).

A first sync takes the raw tables from empty to millions of rows in minutes. Until they are
analysed, PostgreSQL plans each repository's queries for the empty tables it last saw (e.g.
reading a whole index of comment kinds for one repository's comments), and those plans get
slower as the tables grow. Autovacuum would analyse them, but it may be off or behind, so a
sync analyses, after each repository, the tables that have grown by half since their last
analysis (and by at least MIN_CHANGED rows): a handful of ANALYZEs over a whole run."""

from __future__ import annotations

from django.db import connection

from ..models import Actor, Comment, Commit, Issue, PullRequest, Review, Star

MIN_CHANGED = 10_000
GROWTH = 0.5
TABLES = [m._meta.db_table for m in (Actor, Issue, PullRequest, Review, Comment, Commit, Star)]


def tables_analyze_if_grown() -> list[str]:
    """ANALYZE the raw tables that changed enough since their last analysis; returns them."""
    if connection.vendor != "postgresql":
        return []  # SQLite's planner needs no statistics for these queries
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND n_mod_since_analyze > GREATEST(%s, %s * n_live_tup)",
            [TABLES, MIN_CHANGED, GROWTH],
        )
        grown = [name for (name,) in cursor.fetchall()]
        for name in grown:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    return grown
