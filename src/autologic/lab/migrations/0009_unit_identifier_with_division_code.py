"""A unit's identifier is its collection's DIN and its division code (docs/adr/0006).

The column widens from 13 to 15 characters; identifiers already given stay as they are. On SQLite
the widening rebuilds ``lab_unit``, and a trigger of another table that reads ``lab_unit`` (the
bedside's same-patient guard) refuses the rename: the triggers are taken off for the rebuild and
put back in the same transaction. PostgreSQL widens a varchar in place and keeps them.
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
    dependencies = [("lab", "0008_reagent_lots")]

    operations = [
        migrations.RunPython(off_on_sqlite, back_in_force),
        migrations.AlterField(
            model_name="unit",
            name="identifier",
            field=models.CharField(max_length=15, unique=True),
        ),
        migrations.RunPython(back_in_force, off_on_sqlite),
    ]
