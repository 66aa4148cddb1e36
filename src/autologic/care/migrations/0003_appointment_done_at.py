"""When an appointment was marked done, kept on the appointment (it was only in the
``appointment.done`` audit event, which the FHIR API then had to look up row by row)."""

from datetime import datetime

from django.db import migrations, models


def from_the_audit_trail(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Appointment = apps.get_model("care", "Appointment")
    done = AuditEvent.objects.filter(action="appointment.done").order_by("seq")
    for changes in done.values_list("changes", flat=True).iterator():
        stamp, course, key = (changes or {}).get("done_at"), changes.get("course_id"), changes.get("appointment")
        if isinstance(stamp, str) and course and key:
            Appointment.objects.filter(course_id=course, key=key).update(
                done_at=datetime.fromisoformat(stamp)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0002_course_variant"),
        ("audit", "0001_audit_event_and_signature"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="done_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(from_the_audit_trail, migrations.RunPython.noop),
    ]
