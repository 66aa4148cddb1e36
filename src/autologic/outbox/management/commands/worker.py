"""`autologic worker`: the embedded background worker.

Every ``--interval`` seconds it moves units past their expiry to expired (the bedside then
reserves others), sends the questionnaire and payment reminders that have come due at every
clinic, runs the
tasks waiting on the database queue (deliveries, retries), and sweeps the outbox for anything a
lost task left behind. With ``AUTOLOGIC_REDIS_URL`` set, tasks run on RQ workers instead
(``autologic rqworker --job-class django_tasks_rq.Job --with-scheduler``) and this loop only
sends reminders and sweeps. ``--once`` does a single round (for cron or tests).

With ``AUTOLOGIC_AUDIT_ANCHOR`` set, each round also publishes the audit chain's head when
``AUTOLOGIC_AUDIT_ANCHOR_MINUTES`` have passed since the last anchor and the head has moved.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from autologic.accounts.actions import close_quiet_bursts
from autologic.accounts.models import Site
from autologic.analytics.actions import run_waiting_claims_checks, run_waiting_exports
from autologic.audit.anchoring.publish import AnchorSchedule
from autologic.billing.actions import send_payment_reminders
from autologic.common import clock
from autologic.interop.auth import sweep_tokens
from autologic.interop.exports import sweep_exports
from autologic.lab.actions.expiry import expire_due_units
from autologic.outbox.actions import deliver_due
from autologic.outbox.queue import recover_lost_tasks, worker_id
from autologic.portal.actions import send_due_reminders

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send due reminders, deliver queued messages and anchor the audit chain, in a loop "
        "(or once)."
    )
    anchoring: AnchorSchedule | None = None
    worker_id = ""  # host:pid:nonce, set at start; a dead worker's tasks are queued again

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            self.round()
            if options["once"]:
                return
            time.sleep(options["interval"])

    def round(self) -> None:
        """One pass: units past expiry, reminders, queued tasks, outbox sweep, quiet sign-in
        bursts, audit anchor."""
        expired = expire_due_units(now=clock.now())
        if expired:
            self.stdout.write(f"units expired: {expired}")
        for site in Site.objects.all():
            counts = send_due_reminders(site, now=clock.now())
            if counts:
                self.stdout.write(f"{site.code}: reminders {counts}")
            payments = send_payment_reminders(site, now=clock.now())
            if payments:
                self.stdout.write(f"{site.code}: payment reminders {payments}")
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            self.worker_id = self.worker_id or worker_id()
            recovered = recover_lost_tasks(now=clock.now())
            if recovered:
                self.stdout.write(f"tasks of a dead worker queued again: {recovered}")
            call_command(
                "db_worker",
                batch=True,
                no_startup_delay=True,
                verbosity=0,
                worker_id=self.worker_id,
            )
        exported = run_waiting_exports(now=clock.now())
        if exported:
            self.stdout.write(f"research exports made: {exported}")
        checked = run_waiting_claims_checks(now=clock.now())
        if checked:
            self.stdout.write(f"claims checks measured: {checked}")
        sweep_tokens(now=clock.now())
        fhir_exports = sweep_exports(now=clock.now())
        if fhir_exports:
            self.stdout.write(f"FHIR exports made: {fhir_exports}")
        swept = deliver_due(now=clock.now())
        if swept:
            self.stdout.write(f"outbox: {swept}")
        closed = close_quiet_bursts(now=clock.now())
        if closed:
            self.stdout.write(f"sign-in bursts audited: {closed}")
        self.anchor()

    def anchor(self) -> None:
        """Publish the audit chain's head when due; a sink that is down is tried next round
        and never stops reminders and deliveries."""
        if self.anchoring is None:
            self.anchoring = AnchorSchedule.configured()
            if self.anchoring is None:
                return
        try:
            anchor = self.anchoring.run(now=clock.now())
        except OSError as error:
            log.error("audit anchor to %s failed: %s", self.anchoring.sink.describe(), error)
            return
        if anchor is not None:
            self.stdout.write(f"audit anchor: seq {anchor.seq} to {self.anchoring.sink.describe()}")
