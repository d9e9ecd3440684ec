"""The tracked scope: organisations and repositories from the admin, seeded from settings."""

from django.conf import settings

from .models import TrackedOrganization, TrackedRepository


def scope_seed_from_settings() -> None:
    """Create the organisations in PULSE_ORGS and repositories in PULSE_REPOS if missing."""
    for login in settings.PULSE_ORGS:
        TrackedOrganization.objects.get_or_create(login=login)
    for full_name in settings.PULSE_REPOS:
        TrackedRepository.objects.get_or_create(full_name=full_name)
