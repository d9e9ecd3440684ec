"""The data model: GitHub ids are unique, so re-ingesting never duplicates a row."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from ingest.models import Actor, Comment, Commit, Issue, PullRequest, Repository, Star

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_repo() -> Repository:
    return Repository.objects.create(
        github_id=101, owner_login="sofastack", name="sofa-rpc", full_name="sofastack/sofa-rpc"
    )


def test_upserting_the_same_issue_twice_leaves_one_row_with_the_newer_values():
    repo = make_repo()
    for title in ("first title", "edited title"):
        Issue.objects.bulk_create(
            [
                Issue(
                    github_id=9001,
                    repository=repo,
                    number=1,
                    title=title,
                    state="open",
                    created_at=T0,
                    updated_at=T0,
                )
            ],
            update_conflicts=True,
            unique_fields=["github_id"],
            update_fields=["title", "state", "updated_at"],
        )
    assert Issue.objects.count() == 1
    assert Issue.objects.get().title == "edited title"


def test_actor_github_id_is_unique():
    Actor.objects.create(github_id=1, login="alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.create(github_id=1, login="alice-renamed")


def test_pull_request_upsert_is_idempotent():
    repo = make_repo()
    rows = [
        PullRequest(
            github_id=7,
            repository=repo,
            number=3,
            title="x",
            state="closed",
            created_at=T0,
            updated_at=T0,
            merged_at=T0,
        )
    ]
    for _ in range(3):
        PullRequest.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["github_id"],
            update_fields=["title", "merged_at"],
        )
    assert PullRequest.objects.count() == 1


def test_commit_is_unique_per_repository_and_sha():
    repo = make_repo()
    Commit.objects.create(repository=repo, sha="a" * 40, authored_at=T0, committed_at=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Commit.objects.create(repository=repo, sha="a" * 40, authored_at=T0, committed_at=T0)


def test_star_is_unique_per_repository_and_user():
    repo = make_repo()
    actor = Actor.objects.create(github_id=2, login="bob")
    Star.objects.create(repository=repo, actor=actor, starred_at=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Star.objects.create(repository=repo, actor=actor, starred_at=T0)


def test_issue_comment_and_review_comment_may_share_a_github_id():
    repo = make_repo()
    Comment.objects.create(
        github_id=5, kind="issue", repository=repo, issue_number=1, created_at=T0, updated_at=T0
    )
    Comment.objects.create(
        github_id=5, kind="review", repository=repo, issue_number=1, created_at=T0, updated_at=T0
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(
            github_id=5, kind="issue", repository=repo, issue_number=2, created_at=T0, updated_at=T0
        )
