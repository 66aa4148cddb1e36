"""Research exports: consented patients only, under a random per-study pseudonym, no names,
record numbers or dates; SPSS and Stata with value labels; withdrawal applies to later exports."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyreadstat
import pytest
from django.core.management import call_command
from django.urls import reverse

from autologic.analytics import actions
from autologic.analytics.models import ExportJob, Pseudonym
from autologic.audit.actions import SignerProof
from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.patients import actions as patients
from tests.analytics.test_queries import answer
from tests.conftest import signed_in


def consent(patient, physician, on) -> object:
    return patients.add_consent(
        patient=patient,
        data={
            "kind": "registry",
            "form_version": "2026-1",
            "given_on": on,
            "signed_by": patient.full_name,
            "signer_relation": "self",
            "procedure": "",
        },
        proof=SignerProof(user=physician, second_factor=True),
    )


@pytest.fixture
def treated(administration, nurse):
    given = administration.given_at.date()
    answer(administration, "baseline", 7, given, nurse)
    answer(administration, "w6", 3, given + timedelta(days=42), nurse)
    return administration


def files(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def test_only_consenting_patients_leave_and_never_by_name(treated, physician, make_staff) -> None:
    researcher = make_staff("researcher")
    now = treated.given_at + timedelta(days=60)
    study = actions.create_research_study(
        site=treated.site, code="hip-1", title="Hips", by=researcher, now=now
    )
    empty = actions.export_registry(study=study, fmt="csv", by=researcher, now=now)
    assert (empty.patients, empty.rows) == (0, 0)
    consent(treated.patient, physician, treated.given_at.date())
    made = actions.export_registry(study=study, fmt="csv", by=researcher, now=now)
    assert (made.patients, made.rows) == (1, 2)  # baseline and 6 weeks
    bundle = files(made.content)
    assert set(bundle) == {"registry.csv", "dictionary.csv", "aggregate.csv", "README.txt"}
    everything = b"".join(bundle.values()).decode()
    patient = treated.patient
    for secret in (
        patient.family_name,
        patient.given_name,
        patient.mrn,
        patient.date_of_birth.isoformat(),
        treated.given_at.date().isoformat(),
    ):
        assert secret not in everything, secret
    rows = list(csv.DictReader(io.StringIO(bundle["registry.csv"].decode())))
    code = Pseudonym.objects.get(study=study, patient=patient).code
    assert {r["pseudonym"] for r in rows} == {code}
    assert [(r["timepoint"], r["day"], r["NRS_pain"]) for r in rows] == [
        ("baseline", "0", "7.0"),
        ("w6", "42", "3.0"),
    ]
    assert code.startswith("R-") and patient.mrn not in code
    event = AuditEvent.objects.filter(action="registry.export").last()
    assert event.changes == {"study": "hip-1", "format": "csv", "patients": 1, "rows": 2}


def test_pseudonyms_are_stable_per_study_and_differ_between_studies(
    treated, physician, make_staff
) -> None:
    researcher = make_staff("researcher")
    now = treated.given_at + timedelta(days=60)
    consent(treated.patient, physician, treated.given_at.date())
    one = actions.create_research_study(
        site=treated.site, code="a", title="A", by=researcher, now=now
    )
    two = actions.create_research_study(
        site=treated.site, code="b", title="B", by=researcher, now=now
    )
    for study in (one, one, two):
        actions.export_registry(study=study, fmt="csv", by=researcher, now=now)
    assert Pseudonym.objects.filter(study=one).count() == 1
    assert Pseudonym.objects.get(study=one).code != Pseudonym.objects.get(study=two).code


def test_a_withdrawal_applies_to_every_later_export(treated, physician, make_staff) -> None:
    researcher = make_staff("researcher")
    now = treated.given_at + timedelta(days=60)
    given = consent(treated.patient, physician, treated.given_at.date())
    study = actions.create_research_study(
        site=treated.site, code="s", title="S", by=researcher, now=now
    )
    assert actions.export_registry(study=study, fmt="csv", by=researcher, now=now).patients == 1
    patients.withdraw_consent(
        consent=given,
        withdrawn_on=now.date(),
        note="Letter of 3 March",
        proof=SignerProof(user=physician, second_factor=True),
        now=now,
    )
    assert actions.export_registry(study=study, fmt="csv", by=researcher, now=now).patients == 0
    with pytest.raises(ConflictError):
        patients.withdraw_consent(
            consent=given,
            withdrawn_on=now.date(),
            note="",
            proof=SignerProof(user=physician, second_factor=True),
            now=now,
        )


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_carry_labels(treated, physician, make_staff, tmp_path, fmt) -> None:
    researcher = make_staff("researcher")
    now = treated.given_at + timedelta(days=60)
    consent(treated.patient, physician, treated.given_at.date())
    study = actions.create_research_study(
        site=treated.site, code="s", title="S", by=researcher, now=now
    )
    made = actions.export_registry(study=study, fmt=fmt, by=researcher, now=now)
    path = tmp_path / f"registry.{fmt}"
    path.write_bytes(files(made.content)[f"registry.{fmt}"])
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = reader(str(path))
    assert len(frame) == 2
    assert meta.column_names_to_labels["age"] == "Age in years at the first injection"
    sex_labels = meta.variable_value_labels["sex"]
    assert set(sex_labels.values()) == {treated.patient.sex}
    assert frame["sex"].map(sex_labels).tolist() == [treated.patient.sex] * 2


def test_parquet_reads_back(treated, physician, make_staff, tmp_path) -> None:
    researcher = make_staff("researcher")
    now = treated.given_at + timedelta(days=60)
    consent(treated.patient, physician, treated.given_at.date())
    study = actions.create_research_study(
        site=treated.site, code="s", title="S", by=researcher, now=now
    )
    made = actions.export_registry(study=study, fmt="parquet", by=researcher, now=now)
    frame = pd.read_parquet(io.BytesIO(files(made.content)["registry.parquet"]))
    assert frame["NRS_pain"].tolist() == [7.0, 3.0]


def test_aggregate_counts_under_five_are_suppressed(treated, physician, make_staff) -> None:
    researcher = make_staff("researcher")
    now = treated.given_at + timedelta(days=60)
    consent(treated.patient, physician, treated.given_at.date())
    study = actions.create_research_study(
        site=treated.site, code="s", title="S", by=researcher, now=now
    )
    made = actions.export_registry(study=study, fmt="csv", by=researcher, now=now)
    rows = list(csv.DictReader(io.StringIO(files(made.content)["aggregate.csv"].decode())))
    assert rows and all(r["known"] == "<5" and r["share"] == "" for r in rows)


def test_bad_requests_are_refused_by_field(treated, make_staff) -> None:
    researcher = make_staff("researcher")
    now = treated.given_at + timedelta(days=60)
    study = actions.create_research_study(
        site=treated.site, code="s", title="S", by=researcher, now=now
    )
    with pytest.raises(ValidationFailed) as caught:
        actions.export_registry(study=study, fmt="xlsx", by=researcher, now=now)
    assert caught.value.field == "format"
    client = signed_in(researcher)
    same = client.post(
        reverse("analytics:export"), {"step": "study", "code": "s", "title": "Again"}
    )
    assert same.status_code == 400 and "code" in same.context["study_form"].errors
    odd = client.post(
        reverse("analytics:export"), {"step": "export", "study": "999", "format": "csv"}
    )
    assert odd.status_code == 400


def test_the_researcher_downloads_from_the_page_and_sees_only_the_consented(
    treated, physician, make_staff
) -> None:
    researcher = make_staff("researcher")
    client = signed_in(researcher)
    page = client.get(reverse("analytics:registry"))
    assert b'data-testid="registry-empty"' in page.content  # nobody consented yet
    consent(treated.patient, physician, treated.given_at.date())
    page = client.get(reverse("analytics:registry"))
    assert b'data-testid="research-basis"' in page.content
    assert page.context["report"].patients == 1
    opened = client.post(
        reverse("analytics:export"), {"step": "study", "code": "hip", "title": "Hips"}
    )
    assert opened.status_code == 302
    study = client.get(reverse("analytics:export")).context["studies"][0]
    asked = client.post(
        reverse("analytics:export"), {"step": "export", "study": study.pk, "format": "csv"}
    )
    assert asked.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == "queued"
    polled = client.get(reverse("analytics:export_jobs"))
    assert b'hx-trigger="every 2s"' in polled.content and b"<progress" in polled.content
    # What the task runs (the queue itself: test_the_task_queue_makes_an_export).
    actions.run_export_job(job.pk, now=treated.given_at + timedelta(days=60))
    job.refresh_from_db()
    assert (job.status, job.progress, job.patients) == ("done", 100, 1)
    assert b"hx-trigger" not in client.get(reverse("analytics:export_jobs")).content
    download = client.get(reverse("analytics:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert treated.patient.family_name.encode() not in download.content
    assert AuditEvent.objects.filter(action="registry.export_download").count() == 1
    for path in (reverse("patients:list"), reverse("analytics:claims")):
        assert client.get(path).status_code == 403


def test_a_failed_export_says_so_and_a_lost_task_is_swept(
    treated, physician, make_staff, monkeypatch
) -> None:
    researcher = make_staff("researcher")
    now = treated.given_at + timedelta(days=60)
    study = actions.create_research_study(
        site=treated.site, code="s", title="S", by=researcher, now=now
    )
    lost = actions.request_export(study=study, fmt="csv", by=researcher, now=now)
    # The enqueue never ran (no commit in this test): the worker's sweep makes it later.
    assert actions.run_waiting_exports(now=now) == 0  # not waiting long enough yet
    assert actions.run_waiting_exports(now=now + timedelta(minutes=5)) == 1
    lost.refresh_from_db()
    assert lost.status == "done"
    broken = actions.request_export(study=study, fmt="sav", by=researcher, now=now)

    def fail(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("autologic.analytics.exports.archive", fail)
    assert actions.run_export_job(broken.pk, now=now).status == "failed"
    broken.refresh_from_db()
    assert broken.error == "MemoryError" and broken.content is None
    # A job already taken is not made twice.
    assert actions.run_export_job(broken.pk, now=now).status == "failed"


@pytest.mark.django_db(transaction=True)
def test_the_task_queue_makes_an_export(site, make_staff) -> None:
    """Requested in a transaction -> a task on the database queue -> the worker makes it."""
    researcher = make_staff("researcher")
    now = datetime(2027, 1, 1, tzinfo=UTC)
    study = actions.create_research_study(site=site, code="q", title="Q", by=researcher, now=now)
    job = actions.request_export(study=study, fmt="csv", by=researcher, now=now)
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.progress, job.patients, job.rows) == ("done", 100, 0, 0)
    assert set(files(bytes(job.content))) >= {"registry.csv", "dictionary.csv"}
