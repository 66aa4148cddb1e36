"""One injection per planned site per session (issue 14: a re-plan gave the right knee twice).

On SQLite adding a constraint rebuilds the table, which drops its triggers, so the same-patient
trigger is put back in the same migration.
"""

import importlib

from django.db import migrations, models

same_patient = importlib.import_module("autologic.injections.migrations.0002_same_patient_trigger")


class Migration(migrations.Migration):
    dependencies = [("injections", "0002_same_patient_trigger")]

    operations = [
        migrations.AddConstraint(
            model_name="administration",
            constraint=models.UniqueConstraint(
                fields=("appointment", "planned_region"), name="administration_once_per_site"
            ),
        ),
        migrations.RunPython(same_patient.install, same_patient.noop),
    ]
