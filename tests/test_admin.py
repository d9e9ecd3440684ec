"""The admin shows every model; raw GitHub facts are read-only, settings are editable."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from ingest import models

pytestmark = pytest.mark.django_db

RAW_FACTS = [
    models.Actor,
    models.Repository,
    models.Issue,
    models.PullRequest,
    models.Review,
    models.Comment,
    models.Commit,
    models.Star,
    models.IngestRun,
    models.SyncState,
]
EDITABLE = [
    models.TrackedOrganization,
    models.TrackedRepository,
    models.BotAccount,
    models.AffiliationOverride,
    models.RoleEntry,
]


def test_every_ingest_model_is_registered():
    for model in RAW_FACTS + EDITABLE:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", RAW_FACTS + EDITABLE, ids=lambda m: m.__name__)
def test_changelist_loads(admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("model", RAW_FACTS, ids=lambda m: m.__name__)
def test_raw_facts_cannot_be_added(admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    assert admin_client.get(url).status_code == 403


def test_tracked_organization_can_be_added_in_the_admin(admin_client):
    url = reverse("admin:ingest_trackedorganization_add")
    response = admin_client.post(url, {"login": "mosn", "active": "on"})
    assert response.status_code == 302
    assert models.TrackedOrganization.objects.filter(login="mosn").exists()


def test_the_admin_is_branded_pulse(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "<title>Settings, tracked scope and ingested facts | Pulse administration</title>" in (
        index
    )
    assert ">Pulse administration<" in index
    assert "Django administration" not in index
    login = Client().get(reverse("admin:login")).content.decode()
    assert "Pulse administration" in login and "Django administration" not in login


@pytest.mark.parametrize(
    "model", [models.TrackedOrganization, models.TrackedRepository], ids=lambda m: m.__name__
)
def test_adding_a_tracked_scope_says_when_it_will_be_synced(admin_client, model, settings):
    # The beat schedule the text describes: hourly at minute 7 UTC unless configured otherwise.
    assert settings.PULSE_INCREMENTAL_CRON == "7 * * * *"
    url = reverse(f"admin:ingest_{model._meta.model_name}_add")
    page = admin_client.get(url).content.decode()
    assert "Synced at the next hourly run (minute 7 of every hour, UTC" in page
    assert "Sync now on the Ingest page" in page
