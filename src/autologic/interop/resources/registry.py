"""The resource types /fhir serves.  The CapabilityStatement is generated from this list, so it
cannot claim a type or a search parameter that is not served.

Each family module lists its ``TYPES``; a type served by two families (Observation: grades from
``clinical``, PROM scores from ``outcomes``) is one type whose parts are concatenated in the
order below.  Its search parameters must agree in kind."""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType

from autologic.interop.resources import (
    billing,
    care,
    clinical,
    cohorts,
    lab,
    outcomes,
    people,
    places,
    provenance,
    safety,
)
from autologic.interop.resources.base import ResourceType

FAMILIES = (people, places, clinical, care, lab, provenance, outcomes, safety, billing, cohorts)


def merged(families: tuple[ModuleType, ...]) -> dict[str, ResourceType]:
    types: dict[str, ResourceType] = {}
    for family in families:
        for rtype in family.TYPES:
            known = types.get(rtype.name)
            if known is None:
                types[rtype.name] = rtype
                continue
            for name, parameter in rtype.parameters.items():
                other = known.parameters.get(name)
                if other is not None and other.kind != parameter.kind:
                    raise ValueError(f"{rtype.name}.{name}: two kinds of search parameter")
            types[rtype.name] = replace(
                known,
                parts=known.parts + rtype.parts,
                parameters={**rtype.parameters, **known.parameters},
                includes={**rtype.includes, **known.includes},
            )
    return types


TYPES: dict[str, ResourceType] = merged(FAMILIES)
