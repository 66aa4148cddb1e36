"""The database refuses UPDATE and DELETE on the audit tables (SQLite and PostgreSQL)."""

from django.db import migrations


def install(apps, schema_editor):
    from autologic.audit import triggers

    triggers.install(schema_editor.connection)


def drop(apps, schema_editor):
    from autologic.audit import triggers

    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_event_and_signature")]
    operations = [migrations.RunPython(install, drop)]
