"""`manage.py demo` ingests the synthetic world through the simulator over HTTP."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from ingest.models import Commit, IngestRun, PullRequest, Repository


@pytest.mark.django_db
def test_demo_ingests_the_synthetic_world_and_prints_a_summary():
    out = StringIO()
    call_command("demo", seed=3, scale="small", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "Errors: 0" in text and "API requests: " in text
    owners = set(Repository.objects.values_list("owner_login", flat=True))
    assert {"sofastack", "mosn"} <= owners
    assert PullRequest.objects.filter(merged_by__isnull=False).exists()
    # Commits GitHub could not link to an account exist, and no person key shows an e-mail.
    assert Commit.objects.filter(author__isnull=True).exists()
    assert not Commit.objects.filter(author_key__contains="@").exists()
    assert not IngestRun.objects.exclude(status="success").exists()
    repo_runs = IngestRun.objects.filter(trigger="demo").exclude(scope__startswith="org:")
    assert repo_runs.count() == Repository.objects.filter(archived=False).count()


@pytest.mark.django_db
def test_the_demo_worlds_candidates_review_and_answer_as_real_contributors_do(client):
    call_command("demo", seed=3, scale="small", stdout=StringIO(), stderr=StringIO())
    rows = json.loads(
        b"".join(
            client.get(
                "/committers/?since=2015-01-01&format=json&table=candidates"
            ).streaming_content
        )
    )["rows"]
    assert rows, "no promotion candidate on the demo world"
    assert any(row["reviews_given"] for row in rows)
    assert any(row["issues_answered"] for row in rows)
