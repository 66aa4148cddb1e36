"""Patient, Practitioner (staff) and Organization (the clinic)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from autologic.accounts.models import Site, User
from autologic.interop.domain.search import Kind, Token
from autologic.interop.resources.base import (
    NOTHING,
    Context,
    Include,
    Parameter,
    Part,
    Resource,
    Row,
    ids,
    instant,
    one,
    reference_id,
    updated,
)
from autologic.patients.models import Consent, Patient

MRN_TYPE = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}],
    "text": "Medical record number",
}


def mrn_systems(site: Site, namespace: str) -> tuple[str, ...]:
    """The clinic's MRN systems, the one it writes first: the URI its own record system
    assigned, if it set one, then the platform's per-clinic system (an MRN is unique only within
    its site), which stays valid for what was sent before."""
    platform = f"{namespace}/sid/mrn/{site.code}"
    return (site.mrn_system, platform) if site.mrn_system else (platform,)


def mrn_system(context: Context) -> str:
    """The system the clinic's MRNs are written with."""
    return mrn_systems(context.site, context.namespace)[0]


def patients(context: Context) -> QuerySet[Any]:
    """The clinic's patients; a registry client sees only those whose registry consent stands."""
    query = Patient.objects.filter(site=context.site)
    if context.purpose == "registry":
        consented = Consent.objects.filter(
            patient=OuterRef("pk"), kind="registry", withdrawal__isnull=True
        )
        query = query.filter(Exists(consented))
    return query


def _by_mrn(values: list[Any], context: Context) -> Q:
    mine = mrn_systems(context.site, context.namespace)
    codes = [
        v.code for v in values if isinstance(v, Token) and (v.system is None or v.system in mine)
    ]
    return Q(mrn__in=codes) if codes else NOTHING


def patient_to_fhir(row: Row, context: Context) -> Resource:
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(row["id"]),
        "meta": {"versionId": str(row["version"]), "lastUpdated": instant(row["updated_at"])},
        "identifier": [
            {"use": "usual", "type": MRN_TYPE, "system": mrn_system(context), "value": row["mrn"]}
        ],
        "active": True,
        "name": [{"use": "official", "family": row["family_name"], "given": [row["given_name"]]}],
        "gender": row["sex"],
        "birthDate": row["date_of_birth"].isoformat(),
        "communication": [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": row["preferred_language"]}]
                },
                "preferred": True,
            }
        ],
        "managingOrganization": {"reference": f"Organization/{row['site_id']}"},
    }
    telecom = [
        {"system": system, "value": row[column], "use": "home" if system == "email" else "mobile"}
        for system, column in (("phone", "phone"), ("email", "email"))
        if row[column]
    ]
    if telecom:
        resource["telecom"] = telecom
    if row["address"]:
        resource["address"] = [{"text": row["address"]}]
    return resource


def of_patients(
    query: QuerySet[Any], context: Context, column: str = "patient", site: str = "site"
) -> QuerySet[Any]:
    """Rows of the clinic that belong to a patient the client may see (for every type in the
    patient compartment, so a registry client never sees a non-consenting patient's data)."""
    query = query.filter(**{site: context.site})
    if context.purpose == "registry":
        query = query.filter(**{f"{column}__in": patients(context).values("pk")})
    return query


PATIENT = one(
    "Patient",
    Part(
        model=Patient,
        fields=(
            "id",
            "site_id",
            "mrn",
            "family_name",
            "given_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "address",
            "preferred_language",
            "version",
            "updated_at",
        ),
        to_fhir=patient_to_fhir,
        visible=patients,
        filters={"_id": ids, "identifier": _by_mrn, "_lastUpdated": updated("updated_at")},
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The patient's id."),
        "identifier": Parameter(Kind.TOKEN, "The MRN, with or without its system."),
        "_lastUpdated": Parameter(Kind.DATE, "When the record last changed."),
    },
    {
        "Patient:organization": Include(
            "Organization", lambda r: reference_id(r.get("managingOrganization"), "Organization")
        )
    },
)


def staff(context: Context) -> QuerySet[Any]:
    return User.objects.filter(site=context.site).exclude(role="")


def practitioner_to_fhir(row: Row, context: Context) -> Resource:
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": str(row["id"]),
        "active": row["is_active"],
    }
    if row["first_name"] or row["last_name"]:
        name: dict[str, Any] = {"use": "official"}
        if row["last_name"]:
            name["family"] = row["last_name"]
        if row["first_name"]:
            name["given"] = [row["first_name"]]
        resource["name"] = [name]
    return resource


PRACTITIONER = one(
    "Practitioner",
    Part(
        model=User,
        fields=("id", "first_name", "last_name", "is_active"),
        to_fhir=practitioner_to_fhir,
        visible=staff,
        filters={"_id": ids},
    ),
    {"_id": Parameter(Kind.TOKEN, "The staff member's id.")},
)


def clinics(context: Context) -> QuerySet[Any]:
    return Site.objects.filter(pk=context.site.pk)


def organization_to_fhir(row: Row, context: Context) -> Resource:
    resource: Resource = {
        "resourceType": "Organization",
        "id": str(row["id"]),
        "identifier": [{"system": context.system("sid/site"), "value": row["code"]}],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ]
            }
        ],
        "name": row["name"],
    }
    if row["iccbba_fin"]:
        resource["identifier"].append(
            {"system": context.system("sid/iccbba-fin"), "value": row["iccbba_fin"]}
        )
    return resource


def _by_site_code(values: list[Any], context: Context) -> Q:
    codes = [
        v.code
        for v in values
        if isinstance(v, Token) and v.system in (None, context.system("sid/site"))
    ]
    return Q(code__in=codes) if codes else NOTHING


ORGANIZATION = one(
    "Organization",
    Part(
        model=Site,
        fields=("id", "code", "name", "iccbba_fin"),
        to_fhir=organization_to_fhir,
        visible=clinics,
        filters={"_id": ids, "identifier": _by_site_code},
    ),
    {
        "_id": Parameter(Kind.TOKEN, "The clinic's id."),
        "identifier": Parameter(Kind.TOKEN, "The clinic's code."),
    },
)


TYPES = (PATIENT, PRACTITIONER, ORGANIZATION)
