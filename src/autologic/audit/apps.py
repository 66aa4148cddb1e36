from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "autologic.audit"
    label = "audit"
    verbose_name = "Audit trail and signatures"

    def ready(self) -> None:
        """Reinstall the append-only triggers after every migrate: on SQLite, altering a table
        rebuilds it and silently drops its triggers."""
        post_migrate.connect(_reinstall_triggers, sender=self)


def _reinstall_triggers(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from autologic.audit import triggers

    connection = connections[using]
    if "audit_event" in connection.introspection.table_names():
        triggers.install(connection)
