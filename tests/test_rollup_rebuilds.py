"""Rollup rebuilds coalesce: a fan-out of repository syncs leads to one rebuild absorbing every
pending request, not one per sync, and a request that arrives during a rebuild gets exactly one
more rebuild afterwards (so its data is not left out)."""

import pytest
from django.apps import apps
from django.db import connection

from dashboard.models import ContributionEvent, RollupState
from dashboard.rebuilds import rollups_pending, rollups_rebuild_pending, rollups_request
from dashboard.rollups import rollups_rebuild
from dashboard.tasks import rebuild_rollups
from tests.factories import WORLD_CONTRIBUTIONS, commit, small_world

pytestmark = pytest.mark.django_db


def test_a_fan_out_of_sync_requests_is_absorbed_by_one_rebuild():
    world = small_world()
    ids = [repo.id for repo in world["repos"].values()]
    for repository_id in ids:  # as each repository's sync records its request on commit
        rollups_request(repository_ids=[repository_id])
    # The worker then runs the queued tasks one after the other: the first rebuilds everything
    # pending, the others find nothing left to do.
    results = [rebuild_rollups.apply(kwargs={"recorded": True}).get() for _ in ids]
    assert results[0] == ContributionEvent.objects.count() == len(WORLD_CONTRIBUTIONS)
    assert results[1:] == [0] * (len(ids) - 1)
    assert rollups_pending() == ([], [])
    assert set(ContributionEvent.objects.values_list("repository_id", flat=True)) == set(ids)


def test_a_request_during_a_rebuild_leads_to_exactly_one_more():
    world = small_world()
    alpha, beta = world["repos"]["acme/alpha"], world["repos"]["acme/beta"]
    rollups_request(repository_ids=[alpha.id])
    arrived = []

    def sync_commits_meanwhile(execute, sql, params, many, context):
        # Another sync commits new data and its request while the first rebuild is writing.
        if not arrived and "INSERT INTO" in sql and ContributionEvent._meta.db_table in sql:
            arrived.append(commit(beta, "2024-10-01 10:00", email="late@example.org"))
            rollups_request(repository_ids=[beta.id])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(sync_commits_meanwhile):
        rebuilds = rollups_rebuild_pending()
    assert arrived and len(rebuilds) == 2
    assert rollups_pending() == ([], [])
    assert ContributionEvent.objects.filter(
        repository=beta, occurred_at=arrived[0].authored_at
    ).exists()
    assert rollups_rebuild_pending() == []  # nothing pending: no third rebuild


def test_a_rebuild_that_fails_keeps_its_requests_for_the_retry():
    small_world()
    rollups_request(repository_ids=None)

    def fail_the_rebuild(execute, sql, params, many, context):
        if "INSERT INTO" in sql and ContributionEvent._meta.db_table in sql:
            raise RuntimeError("connection lost mid-rebuild")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_the_rebuild), pytest.raises(RuntimeError):
        rollups_rebuild_pending()
    assert rollups_pending()[1] is None  # still pending: the retry rebuilds everything
    assert len(rollups_rebuild_pending()) == 1
    assert RollupState.objects.get(name="contributions").rows == len(WORLD_CONTRIBUTIONS)


def test_deleting_a_repository_deletes_its_rollup_rows():
    # The rollups' repository keys have no database constraint (rebuild speed): Django's
    # cascade is what removes a deleted repository's rows, and must still do so.
    world = small_world()
    alpha = world["repos"]["acme/alpha"]
    rollups_rebuild()
    rollups = [
        m
        for m in apps.get_app_config("dashboard").get_models()
        if any(f.name == "repository" for f in m._meta.fields)
    ]
    assert ContributionEvent.objects.filter(repository=alpha).exists()
    alpha.delete()
    assert [m.__name__ for m in rollups if m.objects.filter(repository_id=alpha.id).exists()] == []
    assert ContributionEvent.objects.exists()  # the other repositories' rows stay
