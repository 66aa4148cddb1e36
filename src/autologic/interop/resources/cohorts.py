"""Group: a saved cohort of the outcome registry (one version of its filters).  Its members are
worked out when it is read, from the clinic's registry on that day, as the registry page does;
a search lists the cohorts without their members (that would mean one registry per cohort).
A Group is also what ``Group/<id>/$export`` exports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from autologic.analytics.models import SavedCohort
from autologic.analytics.queries import cohort_members
from autologic.common.clock import local_today
from autologic.interop.domain.search import Kind
from autologic.interop.resources.base import (
    Context,
    Parameter,
    Part,
    Resource,
    ResourceType,
    Row,
    ids,
)
from autologic.interop.resources.people import patients


def cohorts(context: Context) -> QuerySet[Any]:
    return SavedCohort.objects.filter(site=context.site)


def group_to_fhir(row: Row, context: Context) -> Resource:
    return {
        "resourceType": "Group",
        "id": str(row["id"]),
        "identifier": [
            {
                "system": context.system(f"sid/cohort/{context.site.code}"),
                "value": f"{row['name']} v{row['version']}",
            }
        ],
        "type": "person",
        "actual": True,
        "name": f"{row['name']} (v{row['version']})",
        "managingEntity": {"reference": f"Organization/{context.site.pk}"},
    }


def members(context: Context, cohort_id: int) -> list[int] | None:
    """The patients of a saved cohort today that this client may see; None when there is no
    such cohort for the client or its filters no longer validate."""
    row = SavedCohort.objects.select_related("site").filter(pk=cohort_id, site=context.site).first()
    if row is None:
        return None
    found = cohort_members(row, local_today(context.site.time_zone))
    if found is None:
        return None
    visible = set(patients(context).filter(pk__in=found).values_list("pk", flat=True))
    return [pk for pk in found if pk in visible]


class Cohorts(ResourceType):
    """Groups read one at a time carry their members and their count."""

    def read_many(self, context: Context, idents: set[str]) -> list[Resource]:
        out = []
        for resource in super().read_many(context, idents):
            found = members(context, int(resource["id"]))
            resource["quantity"] = len(found or [])
            if found:
                resource["member"] = [{"entity": {"reference": f"Patient/{pk}"}} for pk in found]
            out.append(resource)
        return out


GROUP = Cohorts(
    "Group",
    (
        Part(
            model=SavedCohort,
            fields=("id", "name", "version"),
            to_fhir=group_to_fhir,
            visible=cohorts,
            filters={"_id": ids},
        ),
    ),
    {"_id": Parameter(Kind.TOKEN, "The saved cohort's id (one version of its filters).")},
)

TYPES = (GROUP,)
