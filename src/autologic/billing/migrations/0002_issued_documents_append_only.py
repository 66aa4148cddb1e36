"""The database refuses UPDATE and DELETE on issued invoices, payments and VERI*FACTU records."""

from django.db import migrations


def install(apps, schema_editor):
    from autologic.audit import triggers

    triggers.install(schema_editor.connection)


def noop(apps, schema_editor):
    """Dropping the tables on reversal drops their triggers."""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_billing"),
        ("audit", "0002_append_only_triggers"),
    ]
    operations = [migrations.RunPython(install, noop)]
