"""The FHIR R4 REST endpoints.  Only a bearer token authenticates here (never a session), every
answer is ``application/fhir+json``, every refusal is an OperationOutcome built from the shared
``Refusal`` (``common.refusals``), and every read of patient data is audited."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from importlib.metadata import version
from typing import Any
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from autologic.audit.actions import audited_transaction, record_event
from autologic.common import clock
from autologic.common.domain.errors import (
    BadQuery,
    DomainError,
    NotFound,
    PermissionRefused,
    Unauthenticated,
)
from autologic.common.refusals import refusal_for
from autologic.interop import auth, exports, importing, paging, queries
from autologic.interop.domain.bundles import operation_outcome, searchset
from autologic.interop.domain.scopes import allows
from autologic.interop.domain.search import JSON_FORMATS, encode_cursor, parse
from autologic.interop.resources.base import Context, Resource, instant
from autologic.interop.resources.registry import TYPES

logger = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json; charset=utf-8"
View = Callable[..., HttpResponse]


def fhir_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    response = HttpResponse(orjson.dumps(body), status=status, content_type=FHIR_JSON)
    response["Cache-Control"] = "no-store, private"
    return response


def refused(exc: DomainError) -> HttpResponse:
    """A DomainError as an OperationOutcome, with the status every API gives it."""
    refusal = refusal_for(exc)
    body = operation_outcome(
        issue=refusal.issue,
        code=refusal.code,
        message=refusal.message,
        namespace=settings.AUTOLOGIC_FHIR_NAMESPACE,
        parameter=refusal.field,
    )
    response = fhir_response(body, refusal.status)
    if isinstance(exc, Unauthenticated):
        error = "" if exc.code == "token_missing" else ', error="invalid_token"'
        response["WWW-Authenticate"] = f'Bearer realm="autologic-fhir"{error}'
    return response


def fhir_endpoint(*methods: str) -> Callable[[View], View]:
    """Authenticate the bearer token, allow only ``methods`` and answer every failure as an
    OperationOutcome (a crash as a bare ``exception`` with no detail; the log has it)."""

    def wrap(view: View) -> View:
        @csrf_exempt  # cookies never authenticate /fhir, so there is no session to forge
        @wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                grant = auth.authenticate(request.headers.get("Authorization", ""), clock.now())
                if request.method not in methods:
                    response = refused(
                        BadQuery(
                            "not_supported",
                            f"{request.method} is not supported here; use {', '.join(methods)}.",
                        )
                    )
                    response.status_code = 405
                    response["Allow"] = ", ".join(methods)
                    return response
                return view(request, grant, *args, **kwargs)
            except DomainError as exc:
                return refused(exc)
            except Exception:
                logger.exception("FHIR request failed")
                return fhir_response(
                    operation_outcome(
                        issue="exception",
                        code="server_error",
                        message="The server failed to answer; the failure is logged.",
                        namespace=settings.AUTOLOGIC_FHIR_NAMESPACE,
                    ),
                    500,
                )

        return run

    return wrap


def base_url() -> str:
    return f"{settings.AUTOLOGIC_PUBLIC_URL}/fhir"


def context_for(grant: auth.Grant) -> Context:
    return Context(
        site=grant.site,
        client=grant.client,
        namespace=settings.AUTOLOGIC_FHIR_NAMESPACE,
        base=base_url(),
    )


def _resource_type(name: str) -> Any:
    rtype = TYPES.get(name)
    if rtype is None:
        raise NotFound(
            "unknown_type", f"{name} is not a resource type this server serves.", field="type"
        )
    return rtype


def _audit(
    grant: auth.Grant, action: str, object_type: str, object_id: object, **changes: Any
) -> None:
    with audited_transaction():
        record_event(
            actor=None,
            actor_name=auth.client_actor(grant.client),
            site=grant.site,
            action=action,
            object_type=object_type,
            object_id=object_id,
            changes={"client": grant.client.name, **changes},
        )


@fhir_endpoint("GET")
def metadata(request: HttpRequest, grant: auth.Grant) -> HttpResponse:
    """The CapabilityStatement, generated from the types served."""
    return fhir_response(capability_statement())


def capability_statement() -> Resource:
    resources = []
    for rtype in TYPES.values():
        entry: Resource = {
            "type": rtype.name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": name, "type": p.kind.value, "documentation": p.documentation}
                for name, p in rtype.parameters.items()
            ],
        }
        if rtype.includes:
            entry["searchInclude"] = list(rtype.includes)
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": clock.now().date().isoformat(),
        "publisher": "Autologic",
        "kind": "instance",
        "software": {"name": "Autologic", "version": version("autologic")},
        "implementation": {"description": "Autologic FHIR R4 API", "url": base_url()},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Machine clients only, with a bearer token of SMART system scopes "
                    "(`autologic fhir-clients`). Search pages follow `link[next]` (keyset "
                    "paging with `_cursor`); an unknown search parameter is refused with 400, "
                    "never ignored. A search sent by POST to `<Type>/_search` keeps its "
                    "parameters out of every URL: its `next` link carries them sealed in "
                    "`_page` (for the same client, for an hour)."
                ),
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/"
                            "oauth-uris",
                            "extension": [{"url": "token", "valueUri": token_url()}],
                        }
                    ],
                    "description": (
                        "SMART Backend Services: client credentials with a JWT assertion "
                        "(RS384 or ES384) at the token endpoint; bearer tokens with SMART "
                        "system scopes."
                    ),
                },
                "resource": resources,
            }
        ],
    }


@fhir_endpoint("GET")
def search(request: HttpRequest, grant: auth.Grant, resource_type: str) -> HttpResponse:
    """``GET /fhir/<Type>?…``: one page of matches, in id order, with a ``next`` link; or
    ``GET /fhir/<Type>?_page=…``: the next page of a search sent by POST."""
    params = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    if any(k == "_page" for k, _v in params):
        if len(params) > 1:
            raise BadQuery(
                "not_supported",
                "_page holds the whole search: send it alone.",
                field=next(k for k, _v in params if k != "_page"),
            )
        params = paging.unseal(params[0][1], grant.client.pk, clock.now())
        return _search(grant, resource_type, params, sealed=True)
    return _search(grant, resource_type, params, sealed=False)


@fhir_endpoint("POST")
def search_post(request: HttpRequest, grant: auth.Grant, resource_type: str) -> HttpResponse:
    """``POST /fhir/<Type>/_search`` with the parameters as a form body, so that none of them
    is written in a URL; the ``next`` link carries them sealed (``interop.paging``)."""
    _resource_type(resource_type)
    if request.content_type != "application/x-www-form-urlencoded":
        raise BadQuery(
            "not_supported",
            "Send the search parameters as application/x-www-form-urlencoded.",
            field="Content-Type",
        )
    params = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    params += [(k, v) for k in request.POST for v in request.POST.getlist(k)]
    if any(k == "_page" for k, _v in params):
        raise BadQuery("not_supported", "Follow a _page link with GET.", field="_page")
    return _search(grant, resource_type, params, sealed=True)


def _search(
    grant: auth.Grant, resource_type: str, params: list[tuple[str, str]], *, sealed: bool
) -> HttpResponse:
    rtype = _resource_type(resource_type)
    grant.require(rtype.name, "read")
    wanted = parse(params, rtype.kinds(), tuple(rtype.includes))
    context = context_for(grant)
    matches, cursor = rtype.search(context, wanted)
    included: list[Resource] = []
    for name in wanted.includes:
        include = rtype.includes[name]
        if include.target != "*":  # asked for one type: the token must allow it
            grant.require(include.target, "read")
        refs = {i for resource in matches for i in include.ref(resource)}
        by_type: dict[str, set[str]] = {}
        for ref in refs:
            target, ident = ref.split("/", 1) if include.target == "*" else (include.target, ref)
            by_type.setdefault(target, set()).add(ident)
        for target, wanted_ids in sorted(by_type.items()):
            if target in TYPES and allows(grant.scopes, target, "read"):
                included.extend(TYPES[target].read_many(context, wanted_ids))
    # A resource is in a Bundle once: an include that is also a match (or included twice) is
    # dropped (bdl-7).
    present = {(r["resourceType"], r["id"]) for r in matches}
    unique: list[Resource] = []
    for resource in included:
        key = (resource["resourceType"], resource["id"])
        if key not in present:
            present.add(key)
            unique.append(resource)
    included = unique
    kept = [(k, v) for k, v in params if k != "_cursor"]
    here = f"{context.base}/{rtype.name}"
    following = [*kept, ("_cursor", encode_cursor(cursor))] if cursor is not None else None
    if sealed:  # nothing the client searched for goes into a URL
        self_link = f"{here}/_search"
        next_link = (
            f"{here}?{urlencode([('_page', paging.seal(grant.client.pk, following, clock.now()))])}"
            if following is not None
            else None
        )
    else:
        self_link = f"{here}?{urlencode(params)}" if params else here
        next_link = f"{here}?{urlencode(following)}" if following is not None else None
    _audit(
        grant,
        "fhir.search",
        "fhir_client",
        grant.client.pk,
        type=rtype.name,
        query=urlencode(params),
        ids=[r["id"] for r in matches],
        included=[f"{r['resourceType']}/{r['id']}" for r in included],
    )
    return fhir_response(
        searchset(
            base=context.base,
            self_link=self_link,
            next_link=next_link,
            matches=matches,
            included=included,
        )
    )


@fhir_endpoint("GET")
def read(
    request: HttpRequest, grant: auth.Grant, resource_type: str, resource_id: str
) -> HttpResponse:
    """``GET /fhir/<Type>/<id>``; another clinic's record is as absent as a missing one."""
    rtype = _resource_type(resource_type)
    grant.require(rtype.name, "read")
    for name in request.GET:
        if name != "_format":
            raise BadQuery("not_supported", f"{name} is not supported on a read.", field=name)
        if request.GET[name] not in JSON_FORMATS:
            raise BadQuery("not_supported", "Only JSON is served (_format=json).", field=name)
    resource = rtype.read(context_for(grant), resource_id)
    if resource is None:
        raise NotFound("no_such_resource", f"No {rtype.name} with id {resource_id}.", field="id")
    object_type = "patient" if rtype.name == "Patient" else rtype.name
    _audit(grant, "fhir.read", object_type, resource_id, type=rtype.name)
    response = fhir_response(resource)
    if "versionId" in resource.get("meta", {}):
        response["ETag"] = f'W/"{resource["meta"]["versionId"]}"'
    return response


@fhir_endpoint("GET")
def everything(request: HttpRequest, grant: auth.Grant, resource_id: str) -> HttpResponse:
    """``GET /fhir/Patient/<id>/$everything``: one patient's whole record in one Bundle, for a
    subject-access request (GDPR Art. 15) or a transfer.  It needs read access to every type
    (``system/*.read``); a registry client may not ask for it.  Audited with the counts."""
    if grant.client.purpose == "registry":
        raise PermissionRefused(
            "everything_not_for_registry",
            "A registry client may not take a patient's whole record.",
        )
    for name in TYPES:
        grant.require(name, "read")
    if request.GET:
        raise BadQuery(
            "not_supported",
            "$everything takes no parameters here.",
            field=next(iter(request.GET)),
        )
    context = context_for(grant)
    resources = queries.everything(context, resource_id)
    if resources is None:
        raise NotFound("no_such_resource", f"No Patient with id {resource_id}.", field="id")
    counts: dict[str, int] = {}
    for resource in resources:
        counts[resource["resourceType"]] = counts.get(resource["resourceType"], 0) + 1
    _audit(grant, "patient.everything", "patient", resource_id, counts=counts)
    here = f"{context.base}/Patient/{resource_id}/$everything"
    return fhir_response(
        searchset(base=context.base, self_link=here, next_link=None, matches=resources)
    )


def _export_kickoff(
    request: HttpRequest, grant: auth.Grant, level: str, group: str = ""
) -> HttpResponse:
    if request.headers.get("Prefer", "").strip() != "respond-async":
        raise BadQuery(
            "prefer_async",
            "An export runs in the background: send the header Prefer: respond-async.",
            field="Prefer",
        )
    params = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    here = f"{base_url()}{request.path.removeprefix('/fhir')}"
    job = exports.start_export(
        grant=grant,
        level=level,
        params=params,
        request=f"{here}?{urlencode(params)}" if params else here,
        now=clock.now(),
        group=group,
    )
    response = HttpResponse(status=202)
    response["Content-Location"] = f"{base_url()}/$export-status/{job.pk}"
    return response


@fhir_endpoint("GET")
def export_system(request: HttpRequest, grant: auth.Grant) -> HttpResponse:
    """``GET /fhir/$export`` (Bulk Data): everything the client's clinic holds."""
    return _export_kickoff(request, grant, "system")


@fhir_endpoint("GET")
def export_patient(request: HttpRequest, grant: auth.Grant) -> HttpResponse:
    """``GET /fhir/Patient/$export``: the patients and everything in their compartments."""
    return _export_kickoff(request, grant, "patient")


@fhir_endpoint("GET")
def export_group(request: HttpRequest, grant: auth.Grant, group_id: str) -> HttpResponse:
    """``GET /fhir/Group/<id>/$export``: a saved cohort's patients (as they are now) and
    everything in their compartments."""
    return _export_kickoff(request, grant, "group", group_id)


@fhir_endpoint("GET", "DELETE")
def export_status(request: HttpRequest, grant: auth.Grant, job_id: str) -> HttpResponse:
    """Poll an export (202 with ``X-Progress`` while it runs, 200 with the manifest when it is
    complete, 500 with an OperationOutcome when it failed) or cancel it (DELETE)."""
    if request.method == "DELETE":
        exports.cancel_export(grant, job_id, clock.now())
        return HttpResponse(status=202)
    job = exports.job_for(grant, job_id)
    if job.status in ("queued", "running"):
        response = HttpResponse(status=202)
        response["X-Progress"] = exports.progress(job)
        response["Retry-After"] = "5"
        return response
    if job.status == "cancelled":
        raise NotFound("no_such_export", "No such export.", field="job")
    if job.status == "failed":
        return fhir_response(
            operation_outcome(
                issue="exception",
                code="export_failed",
                message="The export failed; ask for it again.",
                namespace=settings.AUTOLOGIC_FHIR_NAMESPACE,
            ),
            500,
        )
    assert job.transaction_time is not None
    manifest = {
        "transactionTime": instant(job.transaction_time),
        "request": job.request,
        "requiresAccessToken": True,
        "output": [
            {
                "type": f.resource_type,
                "url": f"{base_url()}/$export-file/{job.pk}/{f.name}",
                "count": f.count,
            }
            for f in job.files.all()
        ],
        "error": [],
    }
    response = HttpResponse(orjson.dumps(manifest), content_type="application/json")
    response["Cache-Control"] = "no-store, private"
    return response


@fhir_endpoint("GET")
def export_file(request: HttpRequest, grant: auth.Grant, job_id: str, name: str) -> HttpResponse:
    """One NDJSON file of the client's complete export (audited)."""
    job = exports.job_for(grant, job_id)
    row = job.files.filter(name=name).first() if job.status == "complete" else None
    if row is None:
        raise NotFound("no_such_file", "No such file in this export.", field="name")
    _audit(
        grant, "fhir.export_download", "fhir_client", grant.client.pk, job=str(job.pk), name=name
    )
    response = FileResponse(
        (exports.export_dir(job.pk) / row.name).open("rb"),
        content_type="application/fhir+ndjson",
    )
    response["Cache-Control"] = "no-store, private"
    return response


@fhir_endpoint("POST")
def transaction_bundle(request: HttpRequest, grant: auth.Grant, rest: str = "") -> HttpResponse:
    """``POST /fhir`` with a transaction Bundle of conditional creates (``interop.importing``):
    all or nothing; 201 per created entry, 200 per matched one, 412 on several matches."""
    try:
        bundle = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise BadQuery("invalid_json", "The body is not JSON.", field="Bundle") from None
    done = importing.import_bundle(grant, bundle, clock.now())
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "transaction-response",
            "entry": [{"response": {"status": d.status, "location": d.location}} for d in done],
        }
    )


def token_url() -> str:
    return f"{base_url()}/auth/token"


@csrf_exempt  # the client authenticates with its signed assertion, not a session
def token(request: HttpRequest) -> HttpResponse:
    """``POST /fhir/auth/token``: SMART Backend Services (client credentials with a signed JWT
    assertion).  Answers and refusals are OAuth 2 JSON (RFC 6749 §5), not FHIR."""
    if request.method != "POST":
        response = JsonResponse(
            {"error": "invalid_request", "error_description": "POST the token request."},
            status=405,
        )
        response["Allow"] = "POST"
        return response
    try:
        plain, row = auth.token_for_assertion(request.POST.dict(), token_url(), clock.now())
    except auth.TokenRefused as refused:
        body = {"error": refused.error, "error_description": refused.description}
        response = JsonResponse(body, status=refused.status)
    else:
        lifetime = int((row.expires_at - row.issued_at).total_seconds())
        response = JsonResponse(
            {
                "access_token": plain,
                "token_type": "bearer",
                "expires_in": lifetime,
                "scope": row.scopes,
            }
        )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def smart_configuration(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/.well-known/smart-configuration``: where and how a backend service gets a
    token (no patient data; public like a login page)."""
    return JsonResponse(
        {
            "token_endpoint": token_url(),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": auth.ALGORITHMS,
            "scopes_supported": [
                "system/*.read",
                *(f"system/{name}.read" for name in TYPES),
                "system/Patient.write",
                "system/QuestionnaireResponse.write",
                "system/$export",
            ],
            "capabilities": ["client-confidential-asymmetric"],
        }
    )


@fhir_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request: HttpRequest, grant: auth.Grant, rest: str) -> HttpResponse:
    """Any other path under /fhir: an OperationOutcome, not an HTML page."""
    raise NotFound("unknown_path", "This server has no such FHIR endpoint.")
