"""The database refuses UPDATE and DELETE on an adverse event's follow-up history."""

from django.db import migrations


def install(apps, schema_editor):
    from autologic.audit import triggers

    triggers.install(schema_editor.connection)


def noop(apps, schema_editor):
    """Dropping the table on reversal drops its triggers."""


class Migration(migrations.Migration):
    dependencies = [
        ("adverse_events", "0001_adverse_events"),
        ("audit", "0002_append_only_triggers"),
    ]
    operations = [migrations.RunPython(install, noop)]
