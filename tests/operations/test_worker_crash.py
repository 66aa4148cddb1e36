"""kill -9 of the background worker while it delivers: reminder e-mails keep coming due (queued
as the reminders' sweep queues them) while a real ``autologic worker`` delivers them to a real
SMTP server (aiosmtpd), and the worker is killed with SIGKILL at random moments, 20 times, and
started again.  Afterwards, once the worker's claims have gone stale (10 minutes, injected):

* every queued e-mail reached the SMTP server (none lost), and every message is marked sent;
* an e-mail the server got twice is one whose worker died between the server's "250 OK" and the
  worker's commit: at most one per kill, and it carries the same Message-ID both times, so the
  receiving side can tell (delivery is at least once: no system can make it exactly once
  across a crash between two parties);
* no task is stuck: the dead workers' RUNNING tasks are queued again and run;
* the audit chain verifies.

Runs on the suite's database, on 127.0.0.1 only; bounded to 20 kills and about half a minute."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from autologic.audit.queries import verify
from autologic.outbox import actions, queue
from autologic.outbox.domain import STALE_CLAIM
from autologic.outbox.models import Message
from tests.outbox.conftest import Inbox, MailServer
from tests.portal.test_access_log import _database_url

KILLS = 20


class SlowInbox(Inbox):
    """An SMTP server that takes a moment per message, so kills land mid-delivery."""

    def handle_message(self, message) -> None:  # noqa: ANN001
        time.sleep(0.01)
        super().handle_message(message)


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "autologic.cli", "worker", "--interval", "0.2"],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def _sent(queued: list[int]) -> int:
    return Message.objects.filter(pk__in=list(queued), status="sent").count()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the worker process must see the messages
def test_reminders_reach_the_smtp_server_though_the_worker_is_killed(site, settings, tmp_path):
    mail = MailServer()
    mail.inbox = SlowInbox()
    mail.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail.port
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "AUTOLOGIC_MODE": "test",
            "DATABASE_URL": _database_url(),
            "AUTOLOGIC_DATA_DIR": str(tmp_path),
            "XDG_RUNTIME_DIR": str(tmp_path),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail.port),
            "EMAIL_TIMEOUT": "5",
            "PYTHONUNBUFFERED": "1",  # a killed worker's last lines are in its log
        }
    )
    queued: list[int] = []
    stop = threading.Event()

    def reminders_come_due() -> None:
        """A few reminders come due whenever fewer than 20 wait, so the worker always has
        work and the backlog stays bounded."""
        n = 0
        while not stop.is_set():
            waiting = Message.objects.filter(pk__in=list(queued)).exclude(status="sent").count()
            if waiting < 20:
                with transaction.atomic():
                    for _ in range(10):
                        n += 1
                        message = actions.queue_message(
                            site=site,
                            channel="email",
                            to=f"patient{n}@example.org",
                            subject="Your questionnaire",
                            body=f"Reminder {n}",
                            purpose="questionnaire",
                            now=timezone.now(),
                        )
                        queued.append(message.pk)
            time.sleep(0.1)

    worker = Worker(env, tmp_path / "worker.log")
    worker.start()
    writer = threading.Thread(target=reminders_come_due)
    writer.start()
    rng = random.Random(20)
    try:
        for _ in range(KILLS):
            # Killed while it works: once this worker has delivered something, at a random
            # moment of its next second (a worker killed while starting would prove nothing).
            sent = _sent(queued)
            deadline = time.monotonic() + 30
            while _sent(queued) == sent and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _sent(queued) > sent, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(rng.uniform(0.0, 1.0))
            worker.kill()
            worker.start()
        stop.set()
        writer.join(30)
        deadline = time.monotonic() + 30  # the last worker delivers what is left
        while _sent(queued) < len(queued) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        worker.stop()

    before_recovery = Counter(
        Message.objects.filter(pk__in=queued).values_list("status", flat=True)
    )
    # Ten minutes on (injected): messages a dead worker claimed are taken again, and the tasks
    # it left RUNNING are queued again and run, as the next worker round does.
    later = timezone.now() + STALE_CLAIM + STALE_CLAIM / 10
    recovered = queue.recover_lost_tasks(now=later)
    actions.deliver_due(now=later)
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    mail.stop()

    ids = {pk: actions.message_id(m) for pk, m in Message.objects.in_bulk(queued).items()}
    received = Counter(m["Message-ID"] for m in mail.inbox.received)
    lost = sorted(pk for pk, mid in ids.items() if mid not in received)
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    statuses = Counter(Message.objects.filter(pk__in=queued).values_list("status", flat=True))
    stuck = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.RUNNING, TaskResultStatus.READY]
    ).count()
    log = (tmp_path / "worker.log").read_text(errors="replace")
    recovered += sum(
        int(line.rsplit(":", 1)[1])
        for line in log.splitlines()
        if line.startswith("tasks of a dead worker queued again:")
    )
    print(
        f"worker kill -9: {KILLS} kills; {len(queued)} reminder e-mails queued, "
        f"{len(received)} distinct received, {len(lost)} lost, "
        f"{duplicates} received twice (same Message-ID); {recovered} tasks of dead workers "
        f"queued again; before the stale claims were taken again {dict(before_recovery)}; "
        f"{stuck} tasks left"
    )
    assert len(queued) >= 100, "too few reminders to say anything"
    # The workers delivered (almost) everything themselves; the late sweep only finished what
    # the last kills left claimed.
    assert before_recovery["sent"] >= len(queued) - KILLS
    assert lost == []
    assert set(received) == set(ids.values())  # nothing but what was queued
    assert statuses == {"sent": len(queued)}
    assert duplicates <= KILLS
    assert stuck == 0
    chain = verify()
    assert chain.ok, chain.reason
