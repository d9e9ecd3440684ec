"""App config for ingest."""

from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = "GitHub data (ingest)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import changes  # noqa: F401  (registers the bot-list receivers)
