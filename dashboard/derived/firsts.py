"""First contributions: each person's first contribution of each kind group per project,
and community-wide (the earliest over every repository, so it is rebuilt from all of them)."""

from django.db import connection

from ..definitions.contributions import STORED_KIND_GROUPS
from ..models import FirstContribution
from . import Family
from .events import EVENTS, repo_clause

FAMILY = Family(
    name="firsts",
    tables=("FirstContribution",),
    sources=("ContributionEvent",),
    readers=("metrics.overview", "metrics.newcomers", "metrics.people"),
)

FIRSTS = FirstContribution._meta.db_table
LASTS = "pulse_rollup_lasts"  # temporary, during a rebuild


def firsts_rebuild(cursor, *, repository_ids: list[int]) -> None:
    """Per-project first contributions of these repositories, from the events, each with the
    person's latest contribution of any kind there (`last_at`, for retention). The latest ones
    are aggregated once into a temporary table for every kind group's insert to join, so the
    rows are written once, never updated (an update would leave the table twice its size)."""
    where, params = repo_clause("repository_id", repository_ids)
    cursor.execute(f"DROP TABLE IF EXISTS {LASTS}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {LASTS} AS
            SELECT person_key, repository_id, MAX(occurred_at) AS last FROM {EVENTS}
            WHERE 1 = 1{where} GROUP BY person_key, repository_id""",
        params,
    )
    cursor.execute(f"DELETE FROM {FIRSTS} WHERE community = FALSE{where}", params)
    event_where = where.replace("repository_id", "e.repository_id")
    for group, kinds in STORED_KIND_GROUPS.items():
        kind_marks = ", ".join(["%s"] * len(kinds))
        if connection.vendor == "postgresql":
            # DISTINCT ON is PostgreSQL's cheapest "first row per group" (one sort, no window).
            select = f"""SELECT DISTINCT ON (e.person_key, e.repository_id) FALSE, %s,
                           e.person_key, e.login, e.name, e.repository_id, e.occurred_at, e.kind, e.ref,
                           e.waiting
                    FROM {EVENTS} e
                    WHERE e.is_bot = FALSE AND e.kind IN ({kind_marks}){event_where}
                    ORDER BY e.person_key, e.repository_id, e.occurred_at, e.kind, e.ref"""
        else:
            select = f"""SELECT FALSE, %s, person_key, login, name, repository_id, occurred_at,
                       kind, ref, waiting
                FROM (
                    SELECT e.person_key, e.login, e.name, e.repository_id, e.occurred_at, e.kind, e.ref,
                           e.waiting, ROW_NUMBER() OVER (
                               PARTITION BY e.person_key, e.repository_id
                               ORDER BY e.occurred_at, e.kind, e.ref) AS rn
                    FROM {EVENTS} e
                    WHERE e.is_bot = FALSE AND e.kind IN ({kind_marks}){event_where}
                ) ranked
                WHERE rn = 1"""
        cursor.execute(
            f"""INSERT INTO {FIRSTS}
                    (community, kind_group, person_key, login, name, repository_id, first_at,
                     first_kind, first_ref, first_waiting, last_at)
                SELECT f.*, l.last FROM ({select}) f
                LEFT JOIN {LASTS} l ON l.person_key = f.person_key
                                   AND l.repository_id = f.repository_id""",
            [group, *kinds, *params],
        )
    cursor.execute(f"DROP TABLE {LASTS}")


def community_firsts_rebuild(cursor) -> None:
    """Community-wide first contributions: each person's earliest per-project first. Read from
    the per-project rows, far fewer than the events, so an ingest of one repository does not
    re-sort every contribution of the community."""
    cursor.execute(f"DELETE FROM {FIRSTS} WHERE community = TRUE")
    names = (
        "kind_group, person_key, login, name, repository_id, first_at, first_kind, first_ref, "
        "first_waiting"
    )
    columns = ", ".join(f"f.{name.strip()}" for name in names.split(","))
    # Ties (the same instant in two repositories) go to the repository's name, never to a
    # row id: ids depend on the order things were stored in.
    order = "f.first_at, r.full_name, f.first_kind, f.first_ref"
    source = f"{FIRSTS} f JOIN ingest_repository r ON r.id = f.repository_id"
    if connection.vendor == "postgresql":
        select = f"""SELECT DISTINCT ON (f.kind_group, f.person_key) TRUE, {columns}
            FROM {source} WHERE f.community = FALSE
            ORDER BY f.kind_group, f.person_key, {order}"""
    else:
        select = f"""SELECT TRUE, {names} FROM (
                SELECT {columns}, ROW_NUMBER() OVER (
                    PARTITION BY f.kind_group, f.person_key ORDER BY {order}) AS rn
                FROM {source} WHERE f.community = FALSE
            ) ranked WHERE rn = 1"""
    # A newcomer's latest contribution to the community is anywhere in it (bots' flags aside,
    # as retention counts them).
    cursor.execute(
        f"""INSERT INTO {FIRSTS} (community, {names}, last_at)
            SELECT c.*, l.last FROM ({select}) c
            LEFT JOIN (SELECT person_key, MAX(occurred_at) AS last FROM {EVENTS}
                       GROUP BY person_key) l ON l.person_key = c.person_key"""
    )
