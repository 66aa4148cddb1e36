"""Tell the responsible physician(s) and the managers of a serious event: in-app and by e-mail.

Runs inside the recording (or follow-up) action's transaction: the in-app alerts, the outbox
e-mails and their audit entry exist exactly when the event does.  The outbox delivers after
commit, with retries.
"""

from __future__ import annotations

from datetime import datetime

from autologic.accounts.models import User
from autologic.adverse_events import mail, queries
from autologic.adverse_events.domain import notify
from autologic.adverse_events.models import AdverseEvent, Notification
from autologic.audit.actions import record_event
from autologic.injections.models import Administration
from autologic.outbox.actions import queue_message


def notify_serious(
    event: AdverseEvent, administration: Administration | None, *, by: User, now: datetime
) -> list[Notification]:
    """Alert the responsible physician(s) and the managers of a serious event, in-app and by
    e-mail (queued in the outbox in this transaction, delivered after commit)."""
    if not event.serious:
        return []
    course = queries.current_course(event)
    already = frozenset(Notification.objects.filter(event=event).values_list("user_id", flat=True))
    chosen = notify.recipients(
        serious=True,
        operator=queries.staff(administration.operator) if administration is not None else None,
        course_physicians=queries.course_physicians(course),
        site_physicians=queries.site_staff(event.site_id, notify.PHYSICIAN),
        managers=queries.site_staff(event.site_id, notify.MANAGER),
        already=already,
    )
    users = {u.pk: u for u in User.objects.filter(pk__in=[r.staff.id for r in chosen])}
    made = []
    for recipient in chosen:
        user = users[recipient.staff.id]
        message_id = None
        if recipient.by_email:
            subject, body = mail.serious_event_mail(event, user)
            message = queue_message(
                site=event.site,
                channel="email",
                to=user.email,
                subject=subject,
                body=body,
                purpose=mail.PURPOSE,
                ref=f"adverse-event:{event.pk}",
                now=now,
            )
            message_id = message.pk
        made.append(
            Notification.objects.create(
                event=event,
                site=event.site,
                user=user,
                reason=recipient.reason.value,
                email=user.email if recipient.by_email else "",
                message_id=message_id,
                created_at=now,
            )
        )
    if made:
        record_event(
            actor=by,
            site=event.site,
            action="adverse_event.notify",
            object_type="patient",
            object_id=event.patient_id,
            changes={
                "adverse_event": event.pk,
                "notified": [
                    {
                        "user": n.user.printed_name,
                        "reason": n.reason,
                        "by": ["in_app", "email"] if n.email else ["in_app"],
                    }
                    for n in made
                ],
            },
            now=now,
        )
    return made
