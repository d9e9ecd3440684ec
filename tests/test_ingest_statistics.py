"""Planner statistics kept fresh while a sync fills the tables (ingest/sync/statistics.py)."""

import pytest
from django.db import connection

from ingest.models import Actor
from ingest.sync.statistics import MIN_CHANGED, tables_analyze_if_grown
from ingest.sync.upsert import upsert_rows

pytestmark = pytest.mark.django_db(transaction=True)


def _last_analyzed() -> object:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s",
            [Actor._meta.db_table],
        )
        return cursor.fetchone()[0]


def _flush_statistics() -> None:
    # This backend's row counts reach pg_stat_user_tables when it next goes idle.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statistics for PostgreSQL's planner only"
)
def test_a_table_that_grew_is_analysed_once_and_then_left_alone():
    rows = [(n, f"N{n}", f"person{n}", "User", False) for n in range(1, MIN_CHANGED + 2)]
    upsert_rows(
        Actor,
        columns=["github_id", "node_id", "login", "type", "is_bot"],
        rows=rows,
        key=["github_id"],
    )
    _flush_statistics()
    assert _last_analyzed() is None
    assert Actor._meta.db_table in tables_analyze_if_grown()
    assert _last_analyzed() is not None
    _flush_statistics()
    assert tables_analyze_if_grown() == [], "nothing changed since"
