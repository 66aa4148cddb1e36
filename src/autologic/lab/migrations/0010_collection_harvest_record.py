"""The harvest record (seed 003): last food or drink, anaesthesia and sedation, recovery-room
discharge, on the collection.

On SQLite adding the text columns rebuilds ``lab_collection``; the append-only and custody
triggers are taken off for the rebuild and put back in the same transaction (as 0009 does).
"""

from django.db import migrations, models


def off_on_sqlite(apps, schema_editor):
    from autologic.audit import triggers

    if schema_editor.connection.vendor == "sqlite":
        triggers.drop(schema_editor.connection)


def back_in_force(apps, schema_editor):
    from autologic.audit import triggers

    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('lab', '0009_unit_identifier_with_division_code'),
    ]

    operations = [
        migrations.RunPython(off_on_sqlite, back_in_force),
        migrations.AddField(
            model_name='collection',
            name='anaesthesia',
            field=models.CharField(blank=True, choices=[('none', 'None'), ('local', 'Local anaesthesia'), ('local_sedation', 'Local anaesthesia with sedation')], max_length=16, verbose_name='anaesthesia'),
        ),
        migrations.AddField(
            model_name='collection',
            name='discharged_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='discharged from the recovery room at'),
        ),
        migrations.AddField(
            model_name='collection',
            name='last_intake_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last food or drink at'),
        ),
        migrations.AddField(
            model_name='collection',
            name='sedation_agent',
            field=models.CharField(blank=True, max_length=120, verbose_name='sedation (agent and dose)'),
        ),
        migrations.RunPython(back_in_force, off_on_sqlite),
    ]
