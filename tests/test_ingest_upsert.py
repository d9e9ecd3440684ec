"""Raw bulk upserts (ingest/sync/upsert.py): what sync services rely on, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from ingest.models import Actor, Issue, Repository
from ingest.sync.upsert import upsert_rows, upsert_rows_returning_pks

pytestmark = pytest.mark.django_db

COLUMNS = [
    "github_id",
    "repository",
    "number",
    "title",
    "state",
    "labels",
    "created_at",
    "updated_at",
    "closed_at",
]


def make_repo() -> Repository:
    return Repository.objects.create(
        github_id=101, owner_login="sofastack", name="sofa-rpc", full_name="sofastack/sofa-rpc"
    )


def issue(repo: Repository, github_id: int, title: str, *, updated: str = "2024-01-02T03:04:05Z"):
    return (
        github_id,
        repo.pk,
        github_id % 1000,
        title,
        "open",
        ["bug", "easy"],
        "2024-01-01T00:00:00Z",
        updated,
        None,
    )


def test_rows_from_github_text_read_back_as_django_would_have_written_them():
    repo = make_repo()
    written = upsert_rows(
        Issue, columns=COLUMNS, rows=[issue(repo, 9001, "first")], key=["github_id"]
    )
    assert written == 1
    stored = Issue.objects.get(github_id=9001)
    assert stored.labels == ["bug", "easy"]
    assert stored.updated_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert stored.closed_at is None
    # Columns not given get the model's defaults on insert.
    assert stored.node_id == "" and stored.comments_count == 0 and stored.locked is False
    # Time comparisons in SQL agree with the value (SQLite compares text).
    assert Issue.objects.filter(updated_at__gt=datetime(2024, 1, 2, 3, 4, 4, tzinfo=UTC)).exists()
    assert not Issue.objects.filter(
        updated_at__gt=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    ).exists()


def test_a_key_repeated_in_one_batch_keeps_its_last_row_and_counts_once():
    repo = make_repo()
    rows = [issue(repo, 9001, "old"), issue(repo, 9002, "other"), issue(repo, 9001, "new")]
    assert upsert_rows(Issue, columns=COLUMNS, rows=rows, key=["github_id"]) == 2
    assert Issue.objects.get(github_id=9001).title == "new"
    assert Issue.objects.count() == 2


def test_an_update_changes_only_the_given_columns_and_keeps_the_others():
    repo = make_repo()
    upsert_rows(Issue, columns=COLUMNS, rows=[issue(repo, 9001, "first")], key=["github_id"])
    Issue.objects.filter(github_id=9001).update(
        first_response_at=datetime(2024, 1, 3, tzinfo=UTC), comments_count=4
    )
    upsert_rows(Issue, columns=COLUMNS, rows=[issue(repo, 9001, "edited")], key=["github_id"])
    stored = Issue.objects.get(github_id=9001)
    assert stored.title == "edited"
    assert stored.first_response_at == datetime(2024, 1, 3, tzinfo=UTC)
    assert stored.comments_count == 4


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="ctid is where PostgreSQL keeps a row version"
)
def test_an_unchanged_row_is_not_rewritten_on_postgresql():
    repo = make_repo()
    rows = [issue(repo, 9001, "same")]
    upsert_rows(Issue, columns=COLUMNS, rows=rows, key=["github_id"])

    def version() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT ctid::text FROM ingest_issue WHERE github_id = 9001")
            return cursor.fetchone()[0]

    before = version()
    assert upsert_rows(Issue, columns=COLUMNS, rows=rows, key=["github_id"]) == 1  # still counted
    assert version() == before
    upsert_rows(Issue, columns=COLUMNS, rows=[issue(repo, 9001, "changed")], key=["github_id"])
    assert version() != before


def test_returning_pks_covers_new_changed_and_unchanged_rows():
    columns = ["github_id", "node_id", "login", "type", "is_bot"]
    first = upsert_rows_returning_pks(
        Actor, columns=columns, rows=[(1, "U_1", "alice", "User", False)], key="github_id"
    )
    again = upsert_rows_returning_pks(
        Actor,
        columns=columns,
        rows=[
            (1, "U_1", "alice", "User", False),
            (2, "U_2", "bob", "User", False),
            (3, "U_3", "carol", "User", False),
        ],
        key="github_id",
    )
    assert again == dict(Actor.objects.values_list("github_id", "pk"))
    assert again[1] == first[1]
    assert Actor.objects.get(github_id=2).affiliation == "unknown"  # the model's default
