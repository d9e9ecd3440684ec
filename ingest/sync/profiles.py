"""Profiles (company, location, e-mail, created_at) of actors met, 100 per GraphQL request."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db.models import Q

from ..github import queries
from ..identity import affiliation_from, is_bot
from ..models import Actor
from .context import SyncContext, now
from .upsert import upsert_rows

PROFILE_FIELDS = [
    "name",
    "company",
    "email",
    "location",
    "created_at",
    "profile_fetched_at",
    "is_bot",
    "affiliation",
    "affiliation_source",
]
STORED = ["name", "company", "email", "location", "created_at"]
# A full run refreshes profiles older than this (people change jobs and companies).
REFRESH_AFTER = timedelta(days=7)
# One profile pass at a time in a process: repositories synced side by side (--jobs) finish
# close together and met mostly the same new people, whom each pass would fetch again.
_one_pass = threading.Lock()


def actors_sync_profiles(*, ctx: SyncContext) -> int:
    """Fetch the profile of every actor that has none yet (with ctx.full, also stale ones)
    and derive its bot flag and affiliation. Returns profiles written."""
    with _one_pass:
        return _sync_profiles(ctx)


def _sync_profiles(ctx: SyncContext) -> int:
    # Who needs one, found through an index each (missing: a partial index; stale: the fetch
    # time), not by walking every actor in key order, which grew with the community.
    people = Actor.objects.exclude(node_id="").exclude(type=Actor.Type.MANNEQUIN).order_by("pk")
    wanted = Q(profile_fetched_at__isnull=True)
    pks = list(people.filter(wanted).values_list("pk", flat=True))
    if ctx.full:
        stale = Q(profile_fetched_at__lt=now() - REFRESH_AFTER)
        pks += people.filter(stale).values_list("pk", flat=True)
        wanted |= stale
    written = 0
    for start in range(0, len(pks), 100):
        # Still wanted: another repository's sync may have fetched some meanwhile.
        batch = list(
            people.filter(wanted, pk__in=pks[start : start + 100]).values_list(
                "pk", "github_id", "node_id", "login", "type", *STORED
            )
        )
        if not batch:
            continue
        data = ctx.client.graphql(queries.PROFILES, {"ids": [a[2] for a in batch]})
        by_id = {n["id"]: n for n in data.get("nodes") or [] if isinstance(n, dict) and n.get("id")}
        fetched = now()
        rows = []
        for _pk, github_id, node_id, login, kind, *stored in batch:
            node = by_id.get(node_id)
            if node is not None:
                name, company, email, location, created_at = (
                    (node.get("name") or "")[:255],
                    (node.get("company") or "")[:255],
                    (node.get("email") or node.get("orgEmail") or "")[:255],
                    (node.get("location") or "")[:255],
                    node.get("createdAt") or None,
                )
            else:
                # Deleted accounts answer null: keep what was known and mark them fetched too,
                # or every run would ask again.
                name, company, email, location, created_at = stored
            rows.append(
                (
                    github_id,
                    node_id,
                    login,
                    kind,
                    name,
                    company,
                    email,
                    location,
                    created_at,
                    fetched,
                    is_bot(login=login, actor_type=kind, extra_bots=ctx.bots),
                    *affiliation_from(company=company, email=email),
                )
            )
        # Rows that exist: one INSERT … ON CONFLICT DO UPDATE per batch (the insert half still
        # needs the NOT NULL identity columns, which it leaves as they are).
        written += upsert_rows(
            Actor,
            columns=["github_id", "node_id", "login", "type", *PROFILE_FIELDS],
            rows=rows,
            key=["github_id"],
            update=PROFILE_FIELDS,
        )
    ctx.wrote("profiles", written)
    return written
