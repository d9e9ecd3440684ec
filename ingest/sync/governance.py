"""Governance files of one repository (OWNERS, MAINTAINERS, COMMITTERS…) through their git history.

1. One GraphQL query asks the default branch for the history of every path in
   `ingest.governance.GOVERNANCE_PATHS` at once (`history(path: …)` under an alias per path):
   the commits that touched each file, newest first. The REST commits API's `?path=` answers
   the same question but costs a request per path (eight per repository, every run); one query
   keeps the governance read at one request per repository.
2. For each commit not stored yet, the REST contents API gives the file as it was then
   (`GET /repos/{owner}/{repo}/contents/{path}?ref={sha}`; a 404 there means the commit deleted
   it, stored as a version that lists nobody).
3. `ingest.governance.governance_people` parses it; one `GovernanceFileVersion` per commit.

Governance files change rarely, so an incremental run reads them at most once per
`REFRESH_AFTER`; a full run always does. The dashboard dates role changes from the versions.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from urllib.parse import quote

from django.db import transaction

from ..changes import facts_changed
from ..github.client import NotFound
from ..governance import GOVERNANCE_PATHS, governance_people
from ..models import GovernanceFileVersion, Repository
from .actors import parse_time
from .context import SyncContext, now
from .state import state_get, state_save
from .upsert import upsert

REFRESH_AFTER = timedelta(hours=23)

_HISTORY = "history(path: $path{i}, first: 100, after: $after{i}) {{ nodes {{ oid committedDate }} pageInfo {{ hasNextPage endCursor }} }}"


def governance_history_query(count: int) -> str:
    """A query for the history of `count` paths (`$path0…`, cursors `$after0…`), one alias each."""
    variables = ", ".join(f"$path{i}: String!, $after{i}: String" for i in range(count))
    fields = "\n          ".join(f"p{i}: " + _HISTORY.format(i=i) for i in range(count))
    return f"""
query GovernanceHistory($owner: String!, $name: String!, {variables}) {{
  repository(owner: $owner, name: $name) {{
    defaultBranchRef {{
      target {{
        ... on Commit {{
          {fields}
        }}
      }}
    }}
  }}
}}
"""


def repository_sync_governance(*, ctx: SyncContext, repository_id: int) -> int:
    """New versions of the repository's governance files; returns versions written."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="governance")
    if (
        not ctx.full
        and state.last_success_at is not None
        and now() - state.last_success_at < REFRESH_AFTER
    ):
        return 0
    history = _history(ctx=ctx, repo=repo)
    written = 0
    for path, commits in history.items():
        written += _store_new_versions(ctx=ctx, repo=repo, path=path, commits=commits)
    state_save(state, last_success_at=now())
    ctx.wrote("governance_files", written)
    return written


def _history(*, ctx: SyncContext, repo: Repository) -> dict[str, list[tuple[str, str]]]:
    """path → [(sha, committed date)] newest first, for every governance path with history."""
    owner, name = repo.full_name.split("/", 1)
    pending = {path: None for path in GOVERNANCE_PATHS}  # path → cursor of the next page
    history: dict[str, list[tuple[str, str]]] = {}
    while pending:
        paths = list(pending)
        variables = {"owner": owner, "name": name}
        for i, path in enumerate(paths):
            variables[f"path{i}"], variables[f"after{i}"] = path, pending[path]
        data = ctx.client.graphql(governance_history_query(len(paths)), variables)
        ref = ((data.get("repository") or {}).get("defaultBranchRef") or {}).get("target")
        if not ref:
            return history  # an empty repository (or an unknown one) has no history yet
        pending = {}
        for i, path in enumerate(paths):
            connection = ref.get(f"p{i}") or {}
            for node in connection.get("nodes") or []:
                if node and node.get("oid") and node.get("committedDate"):
                    history.setdefault(path, []).append((node["oid"], node["committedDate"]))
            page = connection.get("pageInfo") or {}
            if page.get("hasNextPage") and page.get("endCursor"):
                pending[path] = page["endCursor"]
    return history


def _store_new_versions(
    *, ctx: SyncContext, repo: Repository, path: str, commits: list[tuple[str, str]]
) -> int:
    known = set(
        GovernanceFileVersion.objects.filter(repository=repo, path=path).values_list(
            "commit_sha", flat=True
        )
    )
    written = 0
    # Oldest first, each version committed on its own: a run cut short keeps what it read.
    for sha, when in reversed(commits):
        if sha in known:
            continue
        people = _people_at(ctx=ctx, repo=repo, path=path, sha=sha)
        if people is None:
            return written  # a directory or an unreadable file: nothing to follow here
        with transaction.atomic():
            written += upsert(
                GovernanceFileVersion,
                [
                    GovernanceFileVersion(
                        repository=repo,
                        path=path,
                        commit_sha=sha,
                        committed_at=parse_time(when),
                        people=people,
                    )
                ],
                unique_fields=["repository", "path", "commit_sha"],
                update_fields=["committed_at", "people"],
            )
            facts_changed(repository_ids=[repo.pk])
    return written


def _people_at(*, ctx: SyncContext, repo: Repository, path: str, sha: str) -> dict | None:
    """Who the file lists at commit `sha` ({} when that commit deleted it); None if it is not a
    readable text file (a directory, or over the contents API's 1 MB limit)."""
    try:
        response = ctx.client.get_json(
            f"/repos/{repo.full_name}/contents/{quote(path)}", {"ref": sha}
        )
    except NotFound:
        return {}
    data = response.data
    if not isinstance(data, dict) or data.get("type") != "file":
        return None
    if data.get("encoding") != "base64":
        ctx.error(f"{path} of {repo.full_name} at {sha[:7]} is too large to read; skipped.")
        return None
    try:
        text = base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        ctx.error(f"{path} of {repo.full_name} at {sha[:7]} came back garbled; skipped.")
        return None
    return governance_people(path=path, text=text)
