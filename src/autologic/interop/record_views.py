"""The clinic's own pages for a patient's record as FHIR: what a copy holds, and the file."""

from __future__ import annotations

import orjson
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from autologic.audit.actions import record_read
from autologic.common import clock
from autologic.interop import actions, queries
from autologic.interop.presentation import record_part
from autologic.patients.models import Patient


def _copy(request: HttpRequest, patient_id: int) -> tuple[Patient, queries.RecordCopy]:
    site = request.user.site
    patient = Patient.objects.filter(pk=patient_id, site=site).first()
    copy = queries.record_copy(site, patient_id) if patient is not None else None
    if patient is None or copy is None:
        raise Http404
    return patient, copy


def record_copy(request: HttpRequest, patient_id: int) -> HttpResponse:
    """What a copy of the patient's whole record holds, before it is handed over (audited)."""
    patient, copy = _copy(request, patient_id)
    record_read(request.user, "patient", patient.pk, what="record copy")
    parts = [(record_part(name), count) for name, count in copy.counts]
    context = {"patient": patient, "parts": parts, "total": len(copy.resources)}
    return render(request, "interop/record_copy.html", context)


def record_copy_download(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The whole record as one FHIR R4 Bundle file; the hand-over is audited with its counts."""
    patient, copy = _copy(request, patient_id)
    actions.hand_over_record(copy, by=request.user, now=clock.now())
    response = HttpResponse(orjson.dumps(copy.bundle()), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-record.json"'
    response["Cache-Control"] = "no-store, private"
    return response
