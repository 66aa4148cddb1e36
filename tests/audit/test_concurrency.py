"""Many writers at once: the audit chain stays gapless and valid, and stale edits lose cleanly."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from autologic.audit.queries import verify
from autologic.common.domain.errors import ConflictError
from autologic.patients import actions
from tests.conftest import patient_data

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(count: int, work) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(index)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted by the test
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_writers_keep_one_valid_chain(site, physician):
    def work(index: int) -> None:
        for n in range(5):
            actions.create_patient(site=site, data=patient_data(mrn=f"T{index}N{n}"), by=physician)

    errors = run_in_threads(4, work)
    assert errors == []
    report = verify()
    assert report.ok, report
    # site and staff creation, then 20 patients, each registered and given a wristband
    assert report.count == 2 + 4 * 5 * 2


def test_two_editors_of_one_patient_cannot_both_win(site, physician, patient):
    def work(index: int) -> None:
        actions.update_patient(
            patient_id=patient.pk,
            site=site,
            data={"phone": f"+49 {index}"},
            expected_version=1,
            by=physician,
        )

    errors = run_in_threads(2, work)
    assert len(errors) == 1 and isinstance(errors[0], ConflictError)
    patient.refresh_from_db()
    assert patient.version == 2
    assert verify().ok
