"""Derived-data rebuilds consume what ingest recorded: a fan-out of repository syncs leads to one
rebuild absorbing every pending change, not one per sync; a change that arrives during a
rebuild gets exactly one more rebuild afterwards; a failed rebuild loses nothing; and every
family is rebuilt in one transaction with one version bump."""

import pytest
from django.apps import apps
from django.db import connection

from dashboard.derived.rebuild import derived_rebuild, derived_rebuild_pending
from dashboard.models import ContributionEvent, DerivedState, PromotionWork, RoleSignal
from dashboard.tasks import rebuild_derived
from ingest.changes import facts_changed, facts_changed_everywhere, facts_pending
from tests.factories import WORLD_CONTRIBUTIONS, commit, small_world

pytestmark = pytest.mark.django_db


def test_a_fan_out_of_recorded_changes_is_absorbed_by_one_rebuild():
    world = small_world()
    ids = [repo.id for repo in world["repos"].values()]
    for repository_id in ids:  # as each repository's sync records its changes page by page
        facts_changed(repository_ids=[repository_id])
        facts_changed(repository_ids=[repository_id])
    # The worker then runs the queued tasks one after the other: the first rebuilds everything
    # pending, the others find nothing left to do.
    results = [rebuild_derived.apply().get() for _ in ids]
    assert results[0] == DerivedState.objects.get().version == 1
    assert results[1:] == [0] * (len(ids) - 1)
    assert facts_pending() == {}
    assert ContributionEvent.objects.count() == len(WORLD_CONTRIBUTIONS)
    assert set(ContributionEvent.objects.values_list("repository_id", flat=True)) == set(ids)


def test_a_change_during_a_rebuild_leads_to_exactly_one_more():
    world = small_world()
    alpha, beta = world["repos"]["acme/alpha"], world["repos"]["acme/beta"]
    facts_changed(repository_ids=[alpha.id])
    arrived = []

    def sync_commits_meanwhile(execute, sql, params, many, context):
        # Another sync commits new data and its change while the first rebuild is writing.
        if not arrived and "INSERT INTO" in sql and ContributionEvent._meta.db_table in sql:
            arrived.append(commit(beta, "2024-10-01 10:00", email="late@example.org"))
            facts_changed(repository_ids=[beta.id])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(sync_commits_meanwhile):
        rebuilds = derived_rebuild_pending()
    assert arrived and len(rebuilds) == 2
    assert facts_pending() == {}
    assert ContributionEvent.objects.filter(
        repository=beta, occurred_at=arrived[0].authored_at
    ).exists()
    assert derived_rebuild_pending() == []  # nothing pending: no third rebuild


def test_a_rebuild_that_fails_keeps_its_changes_and_the_old_tables():
    world = small_world()
    derived_rebuild()
    before = {
        model.__name__: model.objects.count()
        for model in (ContributionEvent, RoleSignal, PromotionWork)
    }
    commit(world["repos"]["acme/beta"], "2024-10-02 10:00", email="late@example.org")
    facts_changed_everywhere()

    def fail_late_in_the_rebuild(execute, sql, params, many, context):
        # The role tables are rebuilt last: a failure there must undo the events too.
        if "INSERT INTO" in sql and PromotionWork._meta.db_table in sql:
            raise RuntimeError("connection lost mid-rebuild")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_late_in_the_rebuild), pytest.raises(RuntimeError):
        derived_rebuild_pending()
    assert set(facts_pending()) == {repo.id for repo in world["repos"].values()}
    after = {
        model.__name__: model.objects.count()
        for model in (ContributionEvent, RoleSignal, PromotionWork)
    }
    assert after == before and DerivedState.objects.get().version == 1
    assert len(derived_rebuild_pending()) == 1  # the retry
    assert ContributionEvent.objects.count() == len(WORLD_CONTRIBUTIONS) + 1
    assert DerivedState.objects.get().version == 2


def test_deleting_a_repository_deletes_its_rollup_rows():
    # The derived tables' repository keys have no database constraint (rebuild speed): Django's
    # cascade is what removes a deleted repository's rows, and must still do so.
    world = small_world()
    alpha = world["repos"]["acme/alpha"]
    derived_rebuild()
    rollups = [
        m
        for m in apps.get_app_config("dashboard").get_models()
        if any(f.name == "repository" for f in m._meta.fields)
    ]
    assert ContributionEvent.objects.filter(repository=alpha).exists()
    alpha.delete()
    assert [m.__name__ for m in rollups if m.objects.filter(repository_id=alpha.id).exists()] == []
    assert ContributionEvent.objects.exists()  # the other repositories' rows stay
