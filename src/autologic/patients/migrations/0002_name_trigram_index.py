"""On PostgreSQL, a trigram index lets name fragments anywhere in the name use an index."""

from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS patient_name_key_trgm "
        "ON patients_patient USING gin (name_key gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS patient_name_key_trgm")


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_patients_and_consents")]
    operations = [migrations.RunPython(install, drop)]
