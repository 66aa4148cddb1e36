"""Read side for patients: search and the chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Upper

from autologic.accounts.models import Site
from autologic.audit.models import AuditEvent, Signature
from autologic.common.domain.calendars import Calendar
from autologic.patients.domain import DuplicateCandidate, SearchQuery, parse_search, same_name
from autologic.patients.models import SEX_CHOICES, Consent, Patient, Wristband

LIST_FIELDS = ("id", "mrn", "family_name", "given_name", "date_of_birth", "sex")


def search(
    site: Site, text: str, limit: int | None = None
) -> tuple[SearchQuery, list[dict[str, Any]]]:
    """Find a site's patients by name fragments, MRN or birth date; newest-first when empty."""
    limit = limit or settings.PATIENT_SEARCH_LIMIT
    query = parse_search(text, Calendar(site.calendar))
    qs: QuerySet[Patient] = Patient.objects.filter(site=site)
    if query.kind == "empty":
        qs = qs.order_by("-created_at", "-id")
    elif query.kind == "date":
        qs = qs.filter(date_of_birth=query.birth_date)
    elif query.kind == "mrn":
        # Sorting by Upper(mrn) (MRNs are stored upper-case, so the order is the same) keeps
        # PostgreSQL from walking the whole mrn b-tree to satisfy ORDER BY ... LIMIT; it uses
        # the prefix index and sorts the few matches instead (bench/patient_search.py).
        qs = qs.filter(mrn__startswith=query.mrn).order_by(Upper("mrn"), "id")
    else:
        # Family/given name, not name_key: no index serves that order, so the planner takes the
        # trigram or prefix index and sorts the matches instead of walking the name_key b-tree.
        qs = _name_filter(qs, query.tokens).order_by("family_name", "given_name", "id")
    rows = list(qs.values(*LIST_FIELDS)[:limit])
    labels = dict(SEX_CHOICES)
    for row in rows:
        row["sex_label"] = labels.get(row["sex"], row["sex"])
    return query, rows


def _name_filter(qs: QuerySet[Patient], tokens: tuple[str, ...]) -> QuerySet[Patient]:
    """Every token must occur in the folded name; a lone short token anchors at the start.

    On PostgreSQL the ``contains`` lookups use the pg_trgm GIN index (migration 0002) and the
    prefix uses the pattern-ops index Django creates for ``name_key``.
    """
    if len(tokens) == 1 and len(tokens[0]) < 3:
        return qs.filter(name_key__startswith=tokens[0])
    for token in tokens:
        qs = qs.filter(name_key__contains=token)
    return qs


def likely_duplicates(
    site: Site, family_name: str, given_name: str, date_of_birth: date
) -> list[DuplicateCandidate]:
    """The site's patients born that day whose name folds like this one (accents, umlaut
    spellings, Arabic and Persian letter variants, swapped names): probably the same person."""
    born = Patient.objects.filter(site=site, date_of_birth=date_of_birth).order_by("mrn", "id")
    return [
        DuplicateCandidate(p.pk, p.mrn, p.family_name, p.given_name, p.date_of_birth)
        for p in born.only("id", "mrn", "family_name", "given_name", "date_of_birth")
        if same_name((family_name, given_name), (p.family_name, p.given_name))
    ]


@dataclass(frozen=True)
class Chart:
    """Everything the patient page shows, loaded in a fixed number of queries."""

    patient: Patient
    consents: list[Consent]
    signatures: dict[str, list[Signature]]
    history: list[AuditEvent]
    wristband: Wristband | None = None


def chart(site: Site, patient_id: int) -> Chart:
    """Load a patient's chart at a site (raises Patient.DoesNotExist for other sites)."""
    patient = Patient.objects.select_related("site").get(pk=patient_id, site=site)
    consents = list(patient.consents.select_related("recorded_by", "withdrawal"))
    by_record: dict[str, list[Signature]] = {}
    for sig in Signature.objects.filter(
        object_type="consent", object_id__in=[str(c.pk) for c in consents]
    ):
        by_record.setdefault(sig.object_id, []).append(sig)
    history = list(
        AuditEvent.objects.filter(object_type="patient", object_id=str(patient.pk))
        .exclude(action="patient.read")
        .order_by("-seq")[:50]
    )
    wristband = current_wristband(patient)
    return Chart(patient, consents, by_record, history, wristband)


def current_wristband(patient: Patient) -> Wristband | None:
    """The patient's wristband in force (None only for a patient being registered)."""
    return Wristband.objects.filter(patient=patient, voided_at__isnull=True).first()


def registry_consented(site_id: int, on: date) -> set[int]:
    """Patients of the clinic whose registry consent, signed by ``on``, stands: not withdrawn
    (a withdrawal counts from its recording, so it applies to every later export)."""
    return set(
        Consent.objects.filter(site_id=site_id, kind="registry", given_on__lte=on)
        .exclude(withdrawal__isnull=False)
        .values_list("patient_id", flat=True)
    )
