"""Invoice lines as rows: a view over each issued invoice's frozen ``lines`` (FHIR ChargeItem)."""

from django.db import migrations, models

# id = invoice id x 1000 + the line's 1-based position (billing.models.LINES_PER_INVOICE).
VIEWS = {
    "postgresql": """
        CREATE VIEW billing_invoice_line AS
        SELECT i.id * 1000 + l.position AS id, i.id AS invoice_id, l.position::integer AS sequence,
               i.site_id, i.patient_id, i.issued_at, i.currency, i.series, l.line
        FROM billing_invoice i
        CROSS JOIN LATERAL jsonb_array_elements(i.lines) WITH ORDINALITY AS l(line, position)
    """,
    "sqlite": """
        CREATE VIEW billing_invoice_line AS
        SELECT i.id * 1000 + j.key + 1 AS id, i.id AS invoice_id, j.key + 1 AS sequence,
               i.site_id, i.patient_id, i.issued_at, i.currency, i.series, j.value AS line
        FROM billing_invoice i, json_each(i.lines) j
    """,
}


def create_view(apps, schema_editor):
    schema_editor.execute(VIEWS[schema_editor.connection.vendor])


def drop_view(apps, schema_editor):
    schema_editor.execute("DROP VIEW IF EXISTS billing_invoice_line")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_sites_and_staff"),
        ("patients", "0001_patients_and_consents"),
        ("billing", "0011_tax_as_data"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceLine",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("sequence", models.IntegerField()),
                ("issued_at", models.DateTimeField()),
                ("currency", models.CharField(max_length=3)),
                ("series", models.CharField(max_length=16)),
                ("line", models.JSONField()),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="billing.invoice",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="patients.patient",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.site",
                    ),
                ),
            ],
            options={"db_table": "billing_invoice_line", "managed": False},
        ),
        migrations.RunPython(create_view, drop_view),
    ]
