"""App config for dashboard."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the dashboard's receivers)
        from .definitions.sql import sqlite_functions_register

        connection_created.connect(sqlite_functions_register, dispatch_uid="pulse_sqlite_median")
