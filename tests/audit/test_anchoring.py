"""Anchoring: the chain's head published outside the database (file, e-mail, HTTP), and
`audit verify --anchors FILE` catching a cut tail or a rewritten chain that verifies on its own."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction

from autologic.audit import triggers
from autologic.audit.anchoring.domain import parse_destination, parse_minutes
from autologic.audit.anchoring.publish import configured_sink
from autologic.audit.domain import ALGORITHM, canonical_time
from autologic.audit.models import AuditEvent
from autologic.common import clock
from autologic.common.domain.clock import FixedClock
from autologic.outbox.management.commands import worker
from autologic.outbox.models import Message
from autologic.patients import actions
from tests.audit.conftest import run_audit
from tests.conftest import patient_data
from tests.outbox.conftest import smtp  # noqa: F401

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def moment() -> Iterator[FixedClock]:
    fixed = FixedClock(START)
    previous = clock.set_clock(fixed)
    yield fixed
    clock.set_clock(previous)


@pytest.fixture
def add_patients(site, physician):
    """Register patients (each writes one audit event); return the new head's seq."""
    counter = iter(range(10_000))

    def add(count: int = 1) -> int:
        for _ in range(count):
            n = next(counter)
            actions.create_patient(
                site=site, data=patient_data(family_name=f"P{n}", mrn=f"A{n}"), by=physician
            )
        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    return add


@pytest.fixture
def anchor_file(settings, tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere" / "anchors.jsonl"
    path.parent.mkdir()
    settings.AUTOLOGIC_AUDIT_ANCHOR = f"file://{path}"
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def head() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()


def test_anchor_file_sink(add_patients, anchor_file, moment, capsys):
    add_patients(2)
    code, text = run_audit(capsys, "anchor")
    assert code == 0, text
    first = head()
    assert f"anchored seq {first.seq}" in text
    add_patients(1)
    moment.advance(minutes=5)
    assert run_audit(capsys, "anchor")[0] == 0
    assert lines(anchor_file) == [
        {"seq": first.seq, "hash": first.hash, "at": canonical_time(START), "algorithm": ALGORITHM},
        {
            "seq": head().seq,
            "hash": head().hash,
            "at": canonical_time(START + timedelta(minutes=5)),
            "algorithm": ALGORITHM,
        },
    ]


def test_anchor_without_a_sink_names_the_setting(add_patients, settings, capsys):
    add_patients(1)
    settings.AUTOLOGIC_AUDIT_ANCHOR = ""
    code, text = run_audit(capsys, "anchor")
    assert code == 1
    assert "AUTOLOGIC_AUDIT_ANCHOR is not set" in text


def test_anchor_of_an_empty_chain_publishes_nothing(db, anchor_file, capsys):
    code, text = run_audit(capsys, "anchor")
    assert code == 0
    assert "nothing to anchor" in text
    assert not anchor_file.exists()


class Endpoint(BaseHTTPRequestHandler):
    """An anchor endpoint: keeps each request; /down answers 503, /moved redirects."""

    received: list[tuple[str, str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, self.headers.get("Authorization", ""), body))
        if self.path == "/down":
            self.send_response(503)
        elif self.path == "/moved":
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
        else:
            self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Endpoint.received = []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_anchor_http_sink(add_patients, endpoint, settings, moment, capsys):
    add_patients(2)
    settings.AUTOLOGIC_AUDIT_ANCHOR = f"{endpoint}/anchors"
    settings.AUTOLOGIC_AUDIT_ANCHOR_TOKEN = "anchor-token-7f3a"
    code, text = run_audit(capsys, "anchor")
    assert code == 0, text
    assert Endpoint.received == [
        (
            "/anchors",
            "Bearer anchor-token-7f3a",
            {
                "seq": head().seq,
                "hash": head().hash,
                "at": canonical_time(START),
                "algorithm": ALGORITHM,
            },
        )
    ]


@pytest.mark.parametrize("path", ["/down", "/moved"])
def test_anchor_http_sink_failure_is_an_error_without_the_token(
    add_patients, endpoint, settings, capsys, path
):
    add_patients(1)
    settings.AUTOLOGIC_AUDIT_ANCHOR = f"{endpoint}{path}"
    settings.AUTOLOGIC_AUDIT_ANCHOR_TOKEN = "anchor-token-7f3a"
    code, text = run_audit(capsys, "anchor")
    assert code == 1
    assert "FAILED" in text and "anchor-token-7f3a" not in text
    # A redirect is not followed: the token never reaches another address.
    assert [request[0] for request in Endpoint.received] == [path]


def test_anchor_mail_sink(add_patients, smtp, settings, capsys):  # noqa: F811
    smtp.start()
    add_patients(2)
    settings.AUTOLOGIC_AUDIT_ANCHOR = "mailto:audit-office@example.org"
    code, text = run_audit(capsys, "anchor")
    assert code == 0, text
    [mail] = smtp.inbox.received
    assert mail["To"] == "audit-office@example.org"
    assert f"seq {head().seq}" in mail["Subject"]
    anchored = json.loads(mail.get_payload().strip().splitlines()[-1])
    assert (anchored["seq"], anchored["hash"]) == (head().seq, head().hash)
    # Not through the outbox: that table lives in the very database being anchored.
    assert not Message.objects.exists()


def _cut_tail_after(seq: int) -> None:
    """An attacker with the triggers out of the way deletes the newest events."""
    triggers.drop(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq > %s", [seq])
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign-key check of this test's transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    triggers.install(connection)


def test_verify_with_anchors_reports_how_many_were_checked(
    add_patients, anchor_file, moment, capsys
):
    add_patients(2)
    run_audit(capsys, "anchor")
    add_patients(2)
    run_audit(capsys, "anchor")
    code, text = run_audit(capsys, "verify", "--anchors", str(anchor_file))
    assert code == 0, text
    assert "anchors: 2 checked, all in the chain" in text


def test_verify_with_anchors_detects_tail_truncation_when_the_triggers_were_dropped(
    add_patients, anchor_file, moment, capsys
):
    kept = add_patients(2)
    run_audit(capsys, "anchor")
    lost = add_patients(3)
    run_audit(capsys, "anchor")
    _cut_tail_after(kept)

    code, text = run_audit(capsys, "verify")
    assert code == 0, text  # the shortened chain verifies on its own
    code, text = run_audit(capsys, "verify", "--anchors", str(anchor_file))
    assert code == 1
    assert f"anchor on line 2: seq {lost} is missing from the chain (truncated)" in text
    assert "2 checked" in text


@pytest.mark.postgres_only
def test_verify_with_anchors_detects_tail_truncation(add_patients, anchor_file, moment, capsys):
    kept = add_patients(2)
    run_audit(capsys, "anchor")
    lost = add_patients(3)
    run_audit(capsys, "anchor")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # The append-only trigger is ENABLE ALWAYS: a replica session alone no longer cuts.
        cursor.execute("SET session_replication_role = replica")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("DELETE FROM audit_event WHERE seq > %s", [kept])
        cursor.execute("SET session_replication_role = DEFAULT")
        # The superuser first makes it a plain (origin-only) trigger, cuts the tail as a
        # replica, and puts ENABLE ALWAYS back, so every trigger check passes afterwards.
        cursor.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM audit_event WHERE seq > %s", [kept])
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_append_only")
    assert AuditEvent.objects.count() == kept

    code, text = run_audit(capsys, "verify")
    assert code == 0, text  # proves the gap: chain and triggers look fine
    assert f"audit chain intact: {kept} events" in text
    code, text = run_audit(capsys, "verify", "--anchors", str(anchor_file))
    assert code == 1
    assert f"anchor on line 2: seq {lost} is missing from the chain (truncated)" in text


def test_verify_with_anchors_detects_a_rewritten_chain(add_patients, anchor_file, moment, capsys):
    kept = add_patients(2)
    anchored = add_patients(2)
    run_audit(capsys, "anchor")
    _cut_tail_after(kept)
    add_patients(4)  # a new, self-consistent history past the anchored seq

    assert run_audit(capsys, "verify")[0] == 0
    code, text = run_audit(capsys, "verify", "--anchors", str(anchor_file))
    assert code == 1
    assert f"anchor on line 1: seq {anchored} has hash" in text and "(rewritten)" in text


def _anchor_line(**changes: object) -> str:
    good = {"seq": 7, "hash": "a" * 64, "at": canonical_time(START), "algorithm": ALGORITHM}
    return json.dumps({**good, **changes})


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("not json", "line 2: line: not JSON"),
        ('["a list"]', "line 2: line: not a JSON object"),
        (_anchor_line(seq="7"), "line 2: seq: must be a positive integer"),
        (_anchor_line(seq=0), "line 2: seq: must be a positive integer"),
        (_anchor_line(hash="A" * 64), "line 2: hash: must be 64 lower-case hexadecimal"),
        (_anchor_line(at="yesterday"), "line 2: at: must be an ISO 8601 time"),
        (_anchor_line(at="2026-11-23T08:00:00"), "line 2: at: must be an ISO 8601 time"),
        (_anchor_line(algorithm="md5"), "line 2: algorithm: 'md5' is not this chain's"),
    ],
)
def test_verify_with_a_malformed_anchor_file_names_the_line_and_field(
    add_patients, anchor_file, moment, capsys, line, names
):
    add_patients(1)
    run_audit(capsys, "anchor")
    with anchor_file.open("a") as file:
        file.write(line + "\n")
    code, text = run_audit(capsys, "verify", "--anchors", str(anchor_file))
    assert code == 1
    assert names in text


def test_verify_with_a_missing_anchor_file_says_so(db, tmp_path, capsys):
    code, text = run_audit(capsys, "verify", "--anchors", str(tmp_path / "absent.jsonl"))
    assert code == 1
    assert "absent.jsonl: No such file or directory" in text


@pytest.mark.parametrize(
    ("setting", "kind", "target"),
    [
        ("file:///mnt/audit/anchors.jsonl", "file", "/mnt/audit/anchors.jsonl"),
        ("mailto:audit@example.org,dpo@example.org", "mail", "audit@example.org,dpo@example.org"),
        ("https://anchors.example.org/v1/heads", "http", "https://anchors.example.org/v1/heads"),
        ("http://127.0.0.1:8081/heads", "http", "http://127.0.0.1:8081/heads"),
    ],
)
def test_the_anchor_sink_setting_is_parsed(setting, kind, target):
    destination = parse_destination(setting)
    assert (destination.kind, destination.target) == (kind, target)


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("ftp://example.org/anchors", "must be file:///absolute/path"),
        ("file://relative/anchors.jsonl", "a file sink is file:///absolute/path"),
        ("file:///mnt/audit/", "needs an absolute file path"),
        ("mailto:not-an-address", "a mail sink is mailto:"),
        ("http://anchors.example.org/heads", "must use https://"),
        ("https://user:pw@anchors.example.org/", "AUTOLOGIC_AUDIT_ANCHOR_TOKEN"),
        ("/mnt/audit/anchors.jsonl", "must be file:///absolute/path"),
    ],
)
def test_a_bad_anchor_sink_setting_says_why(setting, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_destination(setting)


@pytest.mark.parametrize("minutes", ["0", "-5", "ten", "1.5", ""])
def test_a_bad_anchor_interval_says_why(minutes):
    with pytest.raises(ValueError, match="whole number of minutes"):
        parse_minutes(minutes)


def test_an_http_sink_needs_its_token(settings):
    settings.AUTOLOGIC_AUDIT_ANCHOR = "https://anchors.example.org/heads"
    settings.AUTOLOGIC_AUDIT_ANCHOR_TOKEN = ""
    with pytest.raises(ImproperlyConfigured, match="AUTOLOGIC_AUDIT_ANCHOR_TOKEN"):
        configured_sink()


@pytest.mark.django_db(transaction=True)  # the worker's queue run closes connections
def test_worker_anchors_on_schedule(add_patients, anchor_file, settings, moment):
    settings.AUTOLOGIC_AUDIT_ANCHOR_MINUTES = 15
    command = worker.Command()
    first = add_patients(1)
    command.round()
    assert [line["seq"] for line in lines(anchor_file)] == [first]

    moment.advance(minutes=5)
    add_patients(1)
    command.round()  # within the interval: nothing
    assert len(lines(anchor_file)) == 1

    moment.advance(minutes=11)
    second = add_patients(1)
    command.round()  # 16 minutes on, the head moved
    assert [line["seq"] for line in lines(anchor_file)] == [first, second]

    moment.advance(minutes=24)
    command.round()  # due, but the head did not move
    assert len(lines(anchor_file)) == 2

    moment.advance(minutes=1)
    third = add_patients(1)
    command.round()
    assert [line["seq"] for line in lines(anchor_file)] == [first, second, third]
    assert lines(anchor_file)[-1]["at"] == canonical_time(START + timedelta(minutes=41))


@pytest.mark.django_db(transaction=True)  # the worker's queue run closes connections
def test_worker_keeps_running_when_the_anchor_sink_fails(
    add_patients, settings, tmp_path, moment, caplog
):
    target = tmp_path / "not-yet-mounted" / "anchors.jsonl"
    settings.AUTOLOGIC_AUDIT_ANCHOR = f"file://{target}"
    command = worker.Command()
    seq = add_patients(1)
    command.round()  # the volume is missing: logged, and the round finishes
    assert "audit anchor to file" in caplog.text and "failed" in caplog.text
    target.parent.mkdir()
    moment.advance(minutes=1)
    command.round()  # tried again at the next round, interval or not
    assert [line["seq"] for line in lines(target)] == [seq]


@pytest.mark.django_db(transaction=True)  # the worker's queue run closes connections
def test_worker_does_not_anchor_without_a_sink(add_patients, settings, tmp_path):
    settings.AUTOLOGIC_AUDIT_ANCHOR = ""
    command = worker.Command()
    add_patients(1)
    command.round()
    assert command.anchoring is None
