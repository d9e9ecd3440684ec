"""Repositories: an organisation's list, or one repository's metadata (REST)."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from ..models import Repository
from .actors import parse_time
from .context import SyncContext, now
from .state import state_get, state_save
from .upsert import upsert

REPO_FIELDS = [
    "node_id",
    "owner_login",
    "name",
    "full_name",
    "description",
    "html_url",
    "default_branch",
    "archived",
    "fork",
    "private",
    "stargazers_count",
    "forks_count",
    "open_issues_count",
    "created_at",
    "updated_at",
    "pushed_at",
    "tracked",
]


def repository_row(item: dict[str, Any]) -> Repository:
    owner = (item.get("owner") or {}).get("login") or item["full_name"].split("/")[0]
    return Repository(
        github_id=int(item["id"]),
        node_id=item.get("node_id") or "",
        owner_login=owner,
        name=item["name"],
        full_name=item["full_name"],
        description=item.get("description") or "",
        html_url=item.get("html_url") or "",
        default_branch=item.get("default_branch") or "",
        archived=bool(item.get("archived")),
        fork=bool(item.get("fork")),
        private=bool(item.get("private")),
        stargazers_count=int(item.get("stargazers_count") or 0),
        forks_count=int(item.get("forks_count") or 0),
        open_issues_count=int(item.get("open_issues_count") or 0),
        created_at=parse_time(item.get("created_at")),
        updated_at=parse_time(item.get("updated_at")),
        pushed_at=parse_time(item.get("pushed_at")),
        tracked=True,
    )


def organization_sync_repositories(*, ctx: SyncContext, login: str) -> list[str]:
    """Upsert the organisation's repositories (ETag per page: unchanged pages cost a 304) and
    return their full names. A full run marks repositories no longer listed under the
    organisation as not tracked (kept with their history, never deleted)."""
    state = state_get(scope=f"org:{login}", resource="repositories")
    # {page url: [etag, next url]} from the last run; a 304 page is followed via its saved next.
    known: dict[str, list] = json.loads(state.cursor) if state.cursor else {}
    fresh: dict[str, list] = {}
    path: str | None = f"/orgs/{login}/repos"
    params: dict[str, Any] | None = {"per_page": 100, "type": "all"}
    listed: list[int] = []
    while path:
        key = path if params is None else f"{path}?first"
        etag = None if ctx.full else (known.get(key) or [None])[0]
        response = ctx.client.get_json(path, params, etag=etag)
        if response.not_modified:
            fresh[key] = known[key]
            path, params = known[key][1], None
            continue
        items = [i for i in response.data or [] if isinstance(i, dict)]
        listed.extend(int(i["id"]) for i in items)
        with transaction.atomic():
            ctx.wrote(
                "repositories",
                upsert(
                    Repository,
                    [repository_row(i) for i in items],
                    unique_fields=["github_id"],
                    update_fields=REPO_FIELDS,
                ),
            )
        # A full last page stays identical (304) when a new repository opens the next page:
        # don't keep its ETag, read it again next time.
        full_last = not response.next_url and len(items) >= 100
        fresh[key] = ["" if full_last else response.etag, response.next_url]
        path, params = response.next_url, None
    names = list(
        Repository.objects.filter(owner_login__iexact=login, tracked=True).values_list(
            "full_name", flat=True
        )
    )
    if ctx.full:  # every page was read (no ETags), so `listed` is complete
        Repository.objects.filter(owner_login__iexact=login).exclude(github_id__in=listed).update(
            tracked=False
        )
        names = list(
            Repository.objects.filter(github_id__in=listed, tracked=True).values_list(
                "full_name", flat=True
            )
        )
    state_save(state, cursor=json.dumps(fresh), last_success_at=now())
    return sorted(names)


def repository_sync_metadata(*, ctx: SyncContext, full_name: str) -> int:
    """Fetch one repository (a rename or transfer redirects to its new name). Returns its pk."""
    state = state_get(scope=full_name, resource="repository")
    existing = Repository.objects.filter(full_name__iexact=full_name).first()
    etag = None if (ctx.full or existing is None) else (state.etag or None)
    response = ctx.client.get_json(f"/repos/{full_name}", etag=etag)
    if response.not_modified and existing is not None:
        return existing.pk
    with transaction.atomic():
        upsert(
            Repository,
            [repository_row(response.data)],
            unique_fields=["github_id"],
            update_fields=REPO_FIELDS,
        )
        state_save(state, etag=response.etag, last_success_at=now())
    return Repository.objects.get(github_id=int(response.data["id"])).pk


def largest_first(names: list[str]) -> list[str]:
    """The repositories in order of the work a sync of them is expected to take, largest first:
    issues and pull requests already stored, else (never synced) GitHub's count of open ones,
    then stars. Repositories run side by side (threads or workers), so starting the largest
    first keeps one big repository from running alone at the end."""
    from django.db.models import Count

    from ..models import Issue, PullRequest

    stored: dict[str, int] = {}
    for model in (Issue, PullRequest):
        counts = (
            model.objects.filter(repository__full_name__in=names)
            .values_list("repository__full_name")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for name, n in counts:
            stored[name] = stored.get(name, 0) + n
    listed = dict(
        (name, (opened, stars))
        for name, opened, stars in Repository.objects.filter(full_name__in=names).values_list(
            "full_name", "open_issues_count", "stargazers_count"
        )
    )
    return sorted(
        names, key=lambda name: (stored.get(name, 0), *listed.get(name, (0, 0))), reverse=True
    )
