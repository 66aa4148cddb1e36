"""Printing unit labels (audited print jobs, ZPL file drop) and accounting for every label."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import transaction

from autologic.accounts.models import User
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update
from autologic.lab.domain.labels import TEMPLATE, TEMPLATE_VERSION
from autologic.lab.models import Label, Unit
from autologic.lab.printing import content_for, drop_zpl

# Which label states may follow which: a printed label is applied, voided or destroyed;
# an applied label can only be voided (relabelling, done before it leaves the container).
LABEL_MOVES = {
    "printed": ("applied", "voided", "destroyed"),
    "applied": ("voided",),
    "voided": ("destroyed",),
}
PRINTABLE = ("quarantined", "released", "reserved", "collected", "processing")


def print_labels(units: list[Unit], *, by: User, now: datetime, reprint: bool = False) -> str:
    """Print one label per unit as one job; returns the job id (also the ZPL file name).

    The file is written only after the transaction commits, so a rolled-back job never prints.
    """
    if not units:
        raise ValidationFailed("units", "Choose at least one unit.", "units")
    job = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    with audited_transaction():
        rows = list(
            for_update(Unit.objects)
            .select_related("chain__patient", "collection__protocol", "site")
            .filter(pk__in=[unit.pk for unit in units])
            .order_by("index", "pk")
        )
        for unit in rows:
            if unit.status not in PRINTABLE:
                raise ValidationFailed(
                    "not_printable", f"{unit.identifier} is {unit.status}; no label.", "units"
                )
            earlier = Label.objects.filter(unit=unit).exists()
            if earlier and not reprint:
                raise ConflictError(
                    "already_printed",
                    f"{unit.identifier} already has a label; a reprint must be asked for.",
                )
        contents = [content_for(unit) for unit in rows]
        Label.objects.bulk_create(
            Label(
                unit=unit,
                job=job,
                template=TEMPLATE,
                template_version=TEMPLATE_VERSION,
                reprint=reprint,
                printed_at=now,
                printed_by=by,
            )
            for unit in rows
        )
        record_event(
            actor=by,
            site=rows[0].site,
            action="labels.print",
            object_type="print_job",
            object_id=job,
            changes={
                "units": [unit.identifier for unit in rows],
                "template": f"{TEMPLATE} v{TEMPLATE_VERSION}",
                "reprint": reprint,
            },
            now=now,
        )
        transaction.on_commit(lambda: drop_zpl(job, contents))
    return job


def set_label_state(label: Label, *, state: str, by: User, now: datetime) -> Label:
    """Record that a label was applied to its unit, voided or destroyed."""
    with audited_transaction():
        row = for_update(Label.objects).select_related("unit__site").get(pk=label.pk)
        allowed = LABEL_MOVES.get(row.state, ())
        if state not in allowed:
            raise ValidationFailed(
                "label_state",
                f"A {row.state} label cannot become {state}"
                + (f" (allowed: {', '.join(allowed)})." if allowed else "."),
                "state",
            )
        if state == "applied" and Label.objects.filter(unit=row.unit, state="applied").exists():
            raise ConflictError(
                "label_applied", f"{row.unit.identifier} already carries an applied label."
            )
        before = row.state
        row.state, row.changed_at, row.changed_by = state, now, by
        row.save(update_fields=["state", "changed_at", "changed_by"])
        record_event(
            actor=by,
            site=row.unit.site,
            action="labels.state",
            object_type="unit",
            object_id=row.unit.identifier,
            changes={"label": row.pk, "state": [before, state]},
            now=now,
        )
    return row
