"""The database refuses a change of a unit's source patient or chain, and of a chain's patient.

Without it, ``UPDATE lab_unit SET patient_id = ...`` made another patient's administration pass
the bedside's same-patient trigger. The triggers are defined in ``autologic.audit.triggers``,
ENABLE ALWAYS on PostgreSQL, and put back after every migrate.
"""

from django.db import migrations


def install(apps, schema_editor):
    from autologic.audit import triggers

    triggers.install(schema_editor.connection)


def keep(apps, schema_editor):
    """The guards stay on reversal: after every migrate the audit app puts each trigger of an
    existing table back in force, so dropping them here would not last."""


class Migration(migrations.Migration):
    dependencies = [("lab", "0002_custody_triggers")]
    operations = [migrations.RunPython(install, keep)]
