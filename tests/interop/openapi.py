"""An OpenAPI 3 document for /fhir, generated from the served resource types (``registry.TYPES``)
and the result parameters every search takes (``domain.search``), so it cannot claim a type or a
parameter that is not served, nor miss one that is.  Bodies are loose objects (a FHIR resource
is checked by the outside validators, not here); every refusal is an OperationOutcome."""

from __future__ import annotations

from typing import Any

from autologic.interop.domain.search import JSON_FORMATS, MAX_COUNT, RESULT_PARAMETERS, Kind
from autologic.interop.resources.base import Parameter, ResourceType
from autologic.interop.resources.registry import TYPES

FHIR_JSON = "application/fhir+json"
# Every FHIR endpoint may answer these refusals, each as an OperationOutcome.
REFUSALS = {
    "400": "The request is malformed, or names a parameter this server does not support.",
    "401": "No bearer token, or one that is unknown or expired.",
    "403": "The token's scopes do not allow it.",
    "404": "No such resource (another clinic's is as absent as a missing one).",
    "405": "The method is not supported here.",
    "412": "A conditional create matched several records.",
    "422": "A resource in the body is not valid.",
}
ID = r"^[A-Za-z0-9\-.]{1,64}$"
DATE = r"^(eq|ge|gt|le|lt)?[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z)?)?)?$"


def _loose(resource_type: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": True}
    if resource_type:
        schema["required"] = ["resourceType"]
        schema["properties"] = {"resourceType": {"type": "string", "enum": [resource_type]}}
    return schema


def _answer(description: str, schema: dict[str, Any], media: str = FHIR_JSON) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def _responses(ok: dict[str, Any] | None, *extra: str) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if ok is not None:
        responses["200"] = ok
    for status, description in REFUSALS.items():
        responses[status] = _answer(description, {"$ref": "#/components/schemas/OperationOutcome"})
    for status in extra:
        responses[status] = {"description": "Accepted: the export runs in the background."}
    return responses


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _search_value(parameter: Parameter) -> dict[str, Any]:
    """A value of one search parameter, as the parser takes it."""
    if parameter.kind == Kind.DATE:
        return {"type": "string", "pattern": DATE}
    if parameter.kind == Kind.REFERENCE:
        if parameter.target == "*":
            return {"type": "string", "pattern": r"^[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,64}$"}
        return {"type": "string", "pattern": rf"^({parameter.target}/)?[A-Za-z0-9\-.]{{1,64}}$"}
    return {"type": "string", "minLength": 1}


def _search(rtype: ResourceType) -> dict[str, Any]:
    parameters = [
        _query(name, _search_value(p), p.documentation) for name, p in rtype.parameters.items()
    ]
    results = {
        "_count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
        "_format": {"type": "string", "enum": sorted(JSON_FORMATS)},
        "_cursor": {"type": "string", "pattern": r"^[A-Za-z0-9_\-]+$"},
    }
    if rtype.includes:
        results["_include"] = {"type": "string", "enum": list(rtype.includes)}
    unknown = set(results) - RESULT_PARAMETERS
    assert not unknown, f"not result parameters of the server: {unknown}"
    parameters += [_query(name, schema) for name, schema in results.items()]
    return {
        "operationId": f"search{rtype.name}",
        "summary": f"Search {rtype.name}: one page of a searchset Bundle, in id order",
        "parameters": parameters,
        "responses": _responses(_answer("A searchset Bundle.", _loose("Bundle"))),
    }


def _search_post(rtype: ResourceType) -> dict[str, Any]:
    """The same search with its parameters as a form body (``<Type>/_search``)."""
    properties = {name: _search_value(p) for name, p in rtype.parameters.items()}
    properties["_count"] = {"type": "integer", "minimum": 1, "maximum": MAX_COUNT}
    if rtype.includes:
        properties["_include"] = {"type": "string", "enum": list(rtype.includes)}
    return {
        "operationId": f"searchPost{rtype.name}",
        "summary": f"Search {rtype.name} by POST: the parameters stay out of every URL",
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": properties,
                        "additionalProperties": False,
                    }
                }
            },
        },
        "responses": _responses(_answer("A searchset Bundle.", _loose("Bundle"))),
    }


def _id_parameter() -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _read(rtype: ResourceType) -> dict[str, Any]:
    return {
        "operationId": f"read{rtype.name}",
        "summary": f"Read one {rtype.name}",
        "parameters": [
            _id_parameter(),
            _query("_format", {"type": "string", "enum": sorted(JSON_FORMATS)}),
        ],
        "responses": _responses(_answer(f"The {rtype.name}.", _loose(rtype.name))),
    }


def fhir_openapi() -> dict[str, Any]:
    """The document: every served type's search and read, the CapabilityStatement, a patient's
    ``$everything``, the system ``$export`` kick-off and the import transaction."""
    paths: dict[str, Any] = {
        "/fhir/metadata": {
            "get": {
                "operationId": "metadata",
                "summary": "The CapabilityStatement",
                "responses": _responses(
                    _answer("The CapabilityStatement.", _loose("CapabilityStatement"))
                ),
            }
        },
        "/fhir/Patient/{id}/$everything": {
            "get": {
                "operationId": "patientEverything",
                "summary": "One patient's whole record",
                "parameters": [_id_parameter()],
                "responses": _responses(_answer("A searchset Bundle.", _loose("Bundle"))),
            }
        },
        "/fhir/$export": {
            "get": {
                "operationId": "systemExport",
                "summary": "Kick off a Bulk Data export of the clinic",
                "parameters": [
                    {
                        "name": "Prefer",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "enum": ["respond-async"]},
                    },
                    _query("_type", {"type": "string", "enum": list(TYPES)}),
                    _query("_since", {"type": "string", "pattern": DATE}),
                    _query(
                        "_outputFormat",
                        {"type": "string", "enum": ["application/fhir+ndjson", "ndjson"]},
                    ),
                ],
                "responses": _responses(None, "202"),
            }
        },
        "/fhir/": {
            "post": {
                "operationId": "transaction",
                "summary": "Import a transaction Bundle of conditional creates",
                "requestBody": {
                    "required": True,
                    "content": {FHIR_JSON: {"schema": _loose()}},
                },
                "responses": _responses(
                    _answer("A transaction-response Bundle.", _loose("Bundle"))
                ),
            }
        },
    }
    for rtype in TYPES.values():
        paths[f"/fhir/{rtype.name}"] = {"get": _search(rtype)}
        paths[f"/fhir/{rtype.name}/_search"] = {"post": _search_post(rtype)}
        paths[f"/fhir/{rtype.name}/{{id}}"] = {"get": _read(rtype)}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Autologic FHIR R4 API", "version": "4.0.1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "OperationOutcome": {
                    "type": "object",
                    "required": ["resourceType", "issue"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                        "issue": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["severity", "code"],
                                "properties": {
                                    "severity": {"type": "string"},
                                    "code": {"type": "string"},
                                },
                            },
                        },
                    },
                }
            },
        },
        "security": [{"bearer": []}],
    }
