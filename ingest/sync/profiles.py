"""Profiles (company, location, e-mail, created_at) of actors met, 100 per GraphQL request."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q

from ..github import queries
from ..identity import affiliation_from, is_bot
from ..models import Actor
from .actors import parse_time
from .context import SyncContext, now

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
# A full run refreshes profiles older than this (people change jobs and companies).
REFRESH_AFTER = timedelta(days=7)


def actors_sync_profiles(*, ctx: SyncContext) -> int:
    """Fetch the profile of every actor that has none yet (with ctx.full, also stale ones)
    and derive its bot flag and affiliation. Returns profiles written."""
    wanted = Q(profile_fetched_at__isnull=True)
    if ctx.full:
        wanted |= Q(profile_fetched_at__lt=now() - REFRESH_AFTER)
    candidates = (
        Actor.objects.filter(wanted)
        .exclude(node_id="")
        .exclude(type=Actor.Type.MANNEQUIN)
        .order_by("pk")
    )
    written = 0
    last_pk = 0
    while True:
        batch = list(candidates.filter(pk__gt=last_pk)[:100])
        if not batch:
            break
        last_pk = batch[-1].pk
        data = ctx.client.graphql(queries.PROFILES, {"ids": [a.node_id for a in batch]})
        by_id = {n["id"]: n for n in data.get("nodes") or [] if isinstance(n, dict) and n.get("id")}
        fetched = now()
        for actor in batch:
            node = by_id.get(actor.node_id)
            if node is not None:
                actor.name = (node.get("name") or "")[:255]
                actor.company = (node.get("company") or "")[:255]
                actor.email = (node.get("email") or node.get("orgEmail") or "")[:255]
                actor.location = (node.get("location") or "")[:255]
                actor.created_at = parse_time(node.get("createdAt"))
            # Deleted accounts answer null: mark them fetched too, or every run would ask again.
            actor.profile_fetched_at = fetched
            actor.is_bot = is_bot(login=actor.login, actor_type=actor.type, extra_bots=ctx.bots)
            actor.affiliation, actor.affiliation_source = affiliation_from(
                company=actor.company, email=actor.email
            )
        # An upsert on rows that exist: one INSERT … ON CONFLICT DO UPDATE instead of
        # bulk_update's slow per-row CASE expressions.
        Actor.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["github_id"], update_fields=PROFILE_FIELDS
        )
        written += len(batch)
    ctx.wrote("profiles", written)
    return written
