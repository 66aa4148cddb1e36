"""Where and with what the work is done: Location (procedure rooms; freezers, their racks and
boxes, each ``partOf`` the one that holds it) and Device (incubators, centrifuges, freezers,
culture banks)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from autologic.care.models import Resource as CareResource
from autologic.interop.domain.search import Kind
from autologic.interop.resources.base import (
    Context,
    Parameter,
    Part,
    Resource,
    ResourceType,
    Row,
    ids_with,
)
from autologic.interop.resources.coding import code
from autologic.lab.models import Box, Freezer, Rack

PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
DEVICE_KINDS = ("incubator", "centrifuge", "freezer", "culture")


def _physical(kind: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": PHYSICAL_TYPE, "code": kind, "display": display}]}


def location(
    context: Context,
    ident: str,
    name: str,
    physical: dict[str, Any],
    *,
    active: bool = True,
    part_of: str = "",
) -> Resource:
    resource: Resource = {
        "resourceType": "Location",
        "id": ident,
        "status": "active" if active else "inactive",
        "name": name,
        "mode": "instance",
        "physicalType": physical,
        "managingOrganization": {"reference": f"Organization/{context.site.pk}"},
    }
    if part_of:
        resource["partOf"] = {"reference": f"Location/{part_of}"}
    return resource


def rooms(context: Context) -> QuerySet[Any]:
    return CareResource.objects.filter(site=context.site, kind="room")


def room_to_fhir(row: Row, context: Context) -> Resource:
    return location(
        context,
        f"room-{row['id']}",
        row["name"],
        _physical("ro", "Room"),
        active=row["active"],
    )


def freezers(context: Context) -> QuerySet[Any]:
    return Freezer.objects.filter(site=context.site)


def freezer_to_fhir(row: Row, context: Context) -> Resource:
    resource = location(context, f"fz-{row['id']}", row["name"], _physical("ca", "Cabinet"))
    resource["description"] = f"Freezer, alarm below {row['low_c']} °C or above {row['high_c']} °C"
    return resource


def racks(context: Context) -> QuerySet[Any]:
    return Rack.objects.filter(freezer__site=context.site)


def rack_to_fhir(row: Row, context: Context) -> Resource:
    name = f"{row['freezer__name']} / rack {row['code']}"
    return location(
        context,
        f"rack-{row['id']}",
        name,
        _physical("ca", "Cabinet"),
        part_of=f"fz-{row['freezer_id']}",
    )


def boxes(context: Context) -> QuerySet[Any]:
    return Box.objects.filter(rack__freezer__site=context.site)


def box_to_fhir(row: Row, context: Context) -> Resource:
    name = f"{row['rack__freezer__name']} / rack {row['rack__code']} / box {row['code']}"
    resource = location(
        context,
        f"box-{row['id']}",
        name,
        _physical("ca", "Cabinet"),
        part_of=f"rack-{row['rack_id']}",
    )
    resource["description"] = f"{row['rows']} × {row['cols']} positions"
    return resource


LOCATION = ResourceType(
    "Location",
    (
        Part(
            model=CareResource,
            fields=("id", "name", "active"),
            to_fhir=room_to_fhir,
            visible=rooms,
            filters={"_id": ids_with("room-")},
            prefix="room-",
        ),
        Part(
            model=Freezer,
            fields=("id", "name", "low_c", "high_c"),
            to_fhir=freezer_to_fhir,
            visible=freezers,
            filters={"_id": ids_with("fz-")},
            prefix="fz-",
        ),
        Part(
            model=Rack,
            fields=("id", "code", "freezer_id", "freezer__name"),
            to_fhir=rack_to_fhir,
            visible=racks,
            filters={"_id": ids_with("rack-")},
            prefix="rack-",
        ),
        Part(
            model=Box,
            fields=("id", "code", "rows", "cols", "rack_id", "rack__code", "rack__freezer__name"),
            to_fhir=box_to_fhir,
            visible=boxes,
            filters={"_id": ids_with("box-")},
            prefix="box-",
        ),
    ),
    {"_id": Parameter(Kind.TOKEN, "room-, fz-, rack- or box- and the record's id.")},
)


def equipment(context: Context) -> QuerySet[Any]:
    return CareResource.objects.filter(site=context.site, kind__in=DEVICE_KINDS)


def device_to_fhir(row: Row, context: Context) -> Resource:
    return {
        "resourceType": "Device",
        "id": str(row["id"]),
        "identifier": [
            {"system": context.system(f"sid/resource/{context.site.code}"), "value": row["code"]}
        ],
        "status": "active" if row["active"] else "inactive",
        "deviceName": [{"name": row["name"], "type": "user-friendly-name"}],
        "type": code(context, "device-kind", row["kind"]),
        "owner": {"reference": f"Organization/{context.site.pk}"},
    }


DEVICE = ResourceType(
    "Device",
    (
        Part(
            model=CareResource,
            fields=("id", "code", "name", "kind", "active"),
            to_fhir=device_to_fhir,
            visible=equipment,
            filters={"_id": ids_with("")},
        ),
    ),
    {"_id": Parameter(Kind.TOKEN, "The equipment's id.")},
)

TYPES = (LOCATION, DEVICE)
