"""The database itself refuses an administration record whose patient is not the unit's source.

The action already checks this under a row lock; the trigger is the last line of defence against
any other code path, on SQLite and PostgreSQL alike.
"""

from django.db import migrations

MESSAGE = "autologous product: administration patient differs from the unit source patient"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS injections_administration_same_patient "
    "BEFORE INSERT ON injections_administration "
    "WHEN NEW.patient_id IS NOT (SELECT patient_id FROM lab_unit WHERE id = NEW.unit_id) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER IF NOT EXISTS injections_administration_same_patient_update "
    "BEFORE UPDATE ON injections_administration "
    "WHEN NEW.patient_id IS NOT (SELECT patient_id FROM lab_unit WHERE id = NEW.unit_id) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
POSTGRES = [
    "CREATE OR REPLACE FUNCTION autologic_same_patient() RETURNS trigger AS $$ "
    "BEGIN IF NEW.patient_id IS DISTINCT FROM "
    "(SELECT patient_id FROM lab_unit WHERE id = NEW.unit_id) "
    f"THEN RAISE EXCEPTION '{MESSAGE}'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE TRIGGER injections_administration_same_patient "
    "BEFORE INSERT OR UPDATE ON injections_administration "
    "FOR EACH ROW EXECUTE FUNCTION autologic_same_patient()",
]


def install(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def noop(apps, schema_editor):
    """Dropping the table on reversal drops its trigger."""


class Migration(migrations.Migration):
    dependencies = [("injections", "0001_reservations_administrations")]
    operations = [migrations.RunPython(install, noop)]
