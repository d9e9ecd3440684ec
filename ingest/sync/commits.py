"""Default-branch commits of one repository (GraphQL history, 100 per page, with sizes and
co-authors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from ..changes import facts_changed
from ..github import queries
from ..github.client import GitHubError
from ..identity import author_key
from ..models import Commit, CommitCoAuthor, Repository
from .actors import actors_upsert, parse_time
from .context import SyncContext, now
from .graphql import connection_pages, connection_total
from .issues import OVERLAP, probe
from .prefetch import prefetched
from .state import state_get, state_save
from .upsert import upsert_rows

COMMIT_COLUMNS = [
    "repository",
    "sha",
    "author",
    "author_name",
    "author_email",
    "author_key",
    "committer",
    "committer_name",
    "committer_email",
    "authored_at",
    "committed_at",
    "message_headline",
    "additions",
    "deletions",
    "changed_files",
    "is_merge",
    "pull_request_number",
]


def _git_actor(person: dict[str, Any] | None) -> dict[str, Any] | None:
    user = (person or {}).get("user")
    if not user or user.get("databaseId") is None or not user.get("login"):
        return None
    return {
        "github_id": int(user["databaseId"]),
        "node_id": user.get("id") or "",
        "login": user["login"],
        "type": "User",
    }


def _authors(node: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(author, co-authors) of a commit node: GitHub's `authors` list the git author first,
    then the `Co-authored-by:` people (the query asks `authors` only, not `author` too)."""
    authors = [a for a in (node.get("authors") or {}).get("nodes") or [] if isinstance(a, dict)]
    return (authors[0] if authors else node.get("author") or {}), authors[1:]


def _co_authors_replace(*, repository_id: int, rows: dict[str, list[tuple]], stored: bool) -> None:
    """Replace the co-author rows of a page's commits (sha -> (position, actor pk, name,
    e-mail, author key) rows): one DELETE for the page, one bulk INSERT for its co-authors.
    `stored`: the repository had co-author rows when the run began (without any, a page
    without co-authors has nothing to replace: most pages of most repositories)."""
    wanted = [sha for sha, people in rows.items() if people]
    if not stored and not wanted:
        return
    CommitCoAuthor.objects.filter(
        repository_id=repository_id, commit__repository_id=repository_id, commit__sha__in=list(rows)
    ).delete()
    if not wanted:
        return
    pks = dict(
        Commit.objects.filter(repository_id=repository_id, sha__in=wanted).values_list("sha", "pk")
    )
    CommitCoAuthor.objects.bulk_create(
        [
            CommitCoAuthor(
                commit_id=pks[sha],
                repository_id=repository_id,
                position=position,
                author_id=actor,
                name=name,
                email=email,
                author_key=key,
            )
            for sha in wanted
            for position, actor, name, email, key in rows[sha]
        ],
        batch_size=500,
    )


def _history(data: dict[str, Any]) -> dict[str, Any] | None:
    ref = (data.get("repository") or {}).get("defaultBranchRef") or {}
    return (ref.get("target") or {}).get("history")


def repository_sync_commits(*, ctx: SyncContext, repository_id: int) -> int:
    """Commits since the watermark (committed date, all with ctx.full). Returns commits written.

    History comes newest first, so the watermark moves when the run completes; a killed run
    re-reads from the old watermark (already written commits are upserted again, unchanged)."""
    repo = Repository.objects.get(pk=repository_id)
    state = state_get(scope=repo.full_name, resource="commits")
    try:
        unchanged, etag = probe(
            ctx,
            path=f"/repos/{repo.full_name}/commits",
            etag="" if ctx.full else state.etag,
            params={},
        )
    except GitHubError as exc:  # an empty repository answers 409 here; GraphQL says so cleanly
        if "(409)" not in str(exc):
            raise
        unchanged, etag = False, ""
    if unchanged:
        return 0
    since = None
    if state.watermark and not ctx.full:
        since = (state.watermark - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    # E-mails this run saw on commits GitHub linked to an account: an unlinked commit with the
    # same e-mail is keyed to that login straight away. Provisional: the re-key pass that ends
    # every sync (identity.commits_recompute_author_keys) decides keys community-wide. (Asking
    # the whole community's commits here, once per repository, grew with the community.)
    linked: dict[str, str] = {}
    co_authors_stored = CommitCoAuthor.objects.filter(repository_id=repo.pk).exists()
    newest: datetime | None = state.watermark
    written = 0
    pages = connection_pages(
        ctx,
        queries.COMMIT_HISTORY,
        {"owner": repo.owner_login, "name": repo.name, "since": since},
        _history,
    )
    for history in prefetched(pages):
        nodes = [n for n in history.get("nodes") or [] if isinstance(n, dict) and n.get("oid")]
        authors = {n["oid"]: _authors(n) for n in nodes}
        with transaction.atomic():
            pks = actors_upsert(
                [_git_actor(author) for author, _ in authors.values()]
                + [_git_actor(n.get("committer")) for n in nodes]
                + [_git_actor(a) for _, people in authors.values() for a in people],
                bots=ctx.bots,
                cache=ctx.actors,
            )
            rows = []
            co_author_rows: dict[str, list[tuple]] = {}
            for node in nodes:
                author, co_authors = authors[node["oid"]]
                committer = node.get("committer") or {}
                linked_author = _git_actor(author)
                linked_committer = _git_actor(committer)
                prs = [
                    p
                    for p in ((node.get("associatedPullRequests") or {}).get("nodes") or [])
                    if isinstance(p, dict)
                ]
                email = author.get("email") or ""
                rows.append(
                    (
                        repo.pk,
                        node["oid"],
                        pks.get(linked_author["github_id"]) if linked_author else None,
                        (author.get("name") or "")[:255],
                        email[:255],
                        author_key(
                            login=linked_author["login"] if linked_author else None,
                            email=email,
                            linked_emails=linked,
                        )[:300],
                        pks.get(linked_committer["github_id"]) if linked_committer else None,
                        (committer.get("name") or "")[:255],
                        (committer.get("email") or "")[:255],
                        node.get("authoredDate") or node["committedDate"],
                        node["committedDate"],
                        node.get("messageHeadline") or "",
                        int(node.get("additions") or 0),
                        int(node.get("deletions") or 0),
                        int(node.get("changedFilesIfAvailable") or 0),
                        int((node.get("parents") or {}).get("totalCount") or 0) > 1,
                        prs[0].get("number") if prs else None,
                    )
                )
                if linked_author and email:
                    linked[email.strip().lower()] = linked_author["login"]
                people = co_author_rows[node["oid"]] = []
                for position, person in enumerate(co_authors, start=1):
                    linked_person = _git_actor(person)
                    person_email = person.get("email") or ""
                    people.append(
                        (
                            position,
                            pks.get(linked_person["github_id"]) if linked_person else None,
                            (person.get("name") or "")[:255],
                            person_email[:255],
                            author_key(
                                login=linked_person["login"] if linked_person else None,
                                email=person_email,
                                linked_emails=linked,
                            )[:300],
                        )
                    )
                    if linked_person and person_email:
                        linked[person_email.strip().lower()] = linked_person["login"]
            n = upsert_rows(Commit, columns=COMMIT_COLUMNS, rows=rows, key=["repository", "sha"])
            written += n
            _co_authors_replace(
                repository_id=repo.pk, rows=co_author_rows, stored=co_authors_stored
            )
            facts_changed(repository_ids=[repo.pk])
            # History since the watermark: its totalCount is what this run reads.
            ctx.page_written("commits", n, total=connection_total(history))
        for node in nodes:
            committed = parse_time(node["committedDate"])
            if newest is None or committed > newest:
                newest = committed
    state_save(state, watermark=newest, etag=etag, last_success_at=now())
    return written
