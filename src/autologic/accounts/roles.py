"""The role matrix: which role may reach which URL, in one place.

``RoleAccessMiddleware`` enforces it for every request, and the role-matrix test walks every URL
pattern against it.  A URL name missing from ``ACCESS`` is refused to everyone (deny by default).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Staff roles. A user holds exactly one role at one site."""

    PHYSICIAN = "physician"
    NURSE = "nurse"
    LAB_TECHNICIAN = "lab_technician"
    COORDINATOR = "coordinator"
    BILLING = "billing"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"
    RESEARCHER = "researcher"  # reads the registry pseudonymised, consented patients only


class Gate(StrEnum):
    """Access levels that are not a set of roles."""

    PUBLIC = "public"  # no login at all: health and readiness, login, language choice
    PASSWORD_ONLY = "password_only"  # password given, second factor still pending
    PORTAL_TOKEN = "portal_token"  # no login: the patient's tokenised link is checked by the view
    FHIR_TOKEN = "fhir_token"  # no login: a machine client's bearer token is checked by the view
    METRICS_TOKEN = "metrics_token"  # no login: the monitoring system's token, checked by the view


Rule = frozenset[Role] | Gate
MethodRules = dict[str, Rule]

ALL_STAFF: frozenset[Role] = frozenset(Role)
# Staff who work with patients: everyone but the researcher, who sees no patient.
CLINIC_STAFF: frozenset[Role] = ALL_STAFF - {Role.RESEARCHER}
CLINICAL = frozenset({Role.PHYSICIAN, Role.NURSE, Role.COORDINATOR})
CHART_READERS = CLINICAL | {Role.BILLING, Role.MANAGER}
PATIENT_FINDERS = CHART_READERS | {Role.LAB_TECHNICIAN}
AUDITORS = frozenset({Role.MANAGER, Role.ADMINISTRATOR})
ADMINS = frozenset({Role.ADMINISTRATOR})
CLINICIANS = frozenset({Role.PHYSICIAN, Role.NURSE})
PHYSICIANS = frozenset({Role.PHYSICIAN})
# Who reads the resource calendar: clinical staff, the lab (its equipment), the manager.
CALENDAR_READERS = CLINICAL | {Role.LAB_TECHNICIAN, Role.MANAGER}
RESOURCE_KEEPERS = frozenset({Role.MANAGER, Role.ADMINISTRATOR})
# The lab's own work; physicians and nurses read lots and units (they give the product).
LAB = frozenset({Role.LAB_TECHNICIAN, Role.MANAGER})
LAB_READERS = LAB | CLINICIANS
COLLECTORS = LAB | CLINICIANS
# Who signs QA decisions (deviations, release): the lab, its manager, the medical director.
QA = LAB | PHYSICIANS
# The bedside: clinicians give; the lab and coordinators follow the day and hand units out.
BEDSIDE_READERS = CLINICAL | LAB
ISSUERS = CLINICIANS | LAB
# QA holds and recalls: everyone who handles product reads them; those who handle it can hold
# it (holding is always safe); lifting a hold or closing a recall is a signed QA decision.
RECALL_READERS = CLINICAL | LAB
HOLDERS = QA | CLINICIANS
# Follow-ups: coordinators chase them, clinicians see them, the manager watches the numbers.
FOLLOW_UP_READERS = CLINICAL | {Role.MANAGER}
# Billing: the front desk (billing) and the manager work the money; coordinators read it.
BILLERS = frozenset({Role.BILLING, Role.MANAGER})
BILLING_READERS = BILLERS | {Role.COORDINATOR}
# The outcome registry: the clinic's physicians and its manager read its quality reports.
REGISTRY_READERS = frozenset({Role.PHYSICIAN, Role.MANAGER})
# Messages that could not leave the clinic: those who keep in touch with patients fix them.
OUTBOX_KEEPERS = frozenset({Role.COORDINATOR, Role.MANAGER})
# Who hands a patient's whole record over (to the patient, or to the clinic taking them over).
RECORD_KEEPERS = frozenset({Role.PHYSICIAN, Role.COORDINATOR, Role.MANAGER})
# Research exports (pseudonymised, consented patients only): researchers and the manager.
EXPORTERS = frozenset({Role.RESEARCHER, Role.MANAGER})

ACCESS: dict[str, Rule | MethodRules] = {
    "health": Gate.PUBLIC,
    # Readiness for the load balancer: states and counts, never patient data.
    "ready": Gate.PUBLIC,
    "metrics": Gate.METRICS_TOKEN,
    "favicon": Gate.PUBLIC,
    "set_language": Gate.PUBLIC,
    "accounts:login": Gate.PUBLIC,
    "accounts:otp_verify": Gate.PASSWORD_ONLY,
    "accounts:otp_setup": Gate.PASSWORD_ONLY,
    "accounts:logout": Gate.PASSWORD_ONLY,
    "dashboard:home": ALL_STAFF,
    "accounts:profile": ALL_STAFF,
    "accounts:staff_list": ADMINS,
    "accounts:staff_create": ADMINS,
    "accounts:staff_reset_otp": ADMINS,
    "accounts:site_settings": ADMINS,
    "audit:log": AUDITORS,
    "outbox:attention": OUTBOX_KEEPERS,
    "records:record_copy": RECORD_KEEPERS,
    "records:record_copy_download": RECORD_KEEPERS,
    "outbox:retry_now": {"POST": OUTBOX_KEEPERS},
    "audit:verify": AUDITORS,
    "patients:list": PATIENT_FINDERS,
    "patients:create": CLINICAL,
    "patients:detail": CHART_READERS,
    "patients:edit": CLINICAL,
    "patients:consent_add": CLINICAL,
    "patients:consent_withdraw": CLINICAL,
    # A new MRN voids the patient's wristbands: registration staff and the manager, signed.
    "patients:renumber": CLINICAL | {Role.MANAGER},
    "clinical:record": CHART_READERS,
    "clinical:assessment_create": CLINICIANS,
    "clinical:region_add": CLINICIANS,
    "clinical:record_add": CLINICAL,
    "clinical:record_edit": CLINICAL,
    "clinical:eligibility": {"GET": CLINICAL, "POST": PHYSICIANS},
    "clinical:decision": CHART_READERS,
    "clinical:hold_confirm": {"GET": CLINICIANS, "POST": CLINICIANS},
    "clinical:gate_exception": {"GET": PHYSICIANS, "POST": PHYSICIANS},
    "care:courses": CHART_READERS,
    "care:course_new": CLINICAL,
    "care:course": CHART_READERS,
    "care:course_schedule": {"POST": CLINICAL},
    "care:appointment_missed": {"POST": CLINICAL},
    "care:calendar": CALENDAR_READERS,
    "care:resources": {"GET": CALENDAR_READERS | RESOURCE_KEEPERS, "POST": RESOURCE_KEEPERS},
    "care:closed_day_add": {"POST": RESOURCE_KEEPERS},
    "care:resource_active": {"POST": RESOURCE_KEEPERS},
    "lab:queue": LAB_READERS,
    "lab:collect": {"GET": COLLECTORS, "POST": COLLECTORS},
    "lab:lot": LAB_READERS,
    "lab:run_start": {"POST": LAB},
    "lab:step": {"POST": LAB},
    "lab:divide": {"POST": LAB},
    "lab:print_labels": {"POST": LAB},
    "lab:labels_pdf": LAB,
    "lab:label_state": {"POST": LAB},
    "lab:result": {"POST": LAB},
    "lab:release": {"POST": QA},
    "lab:release_with_exception": {"POST": QA},
    "lab:result_disposition": {"POST": QA},
    "lab:deviation": {"POST": QA},
    "lab:check_in": {"POST": LAB},
    "lab:unit": LAB_READERS,
    "lab:unit_discard": {"POST": LAB},
    "lab:unit_requalify": {"POST": QA},
    "lab:storage": LAB_READERS,
    "lab:box": LAB_READERS,
    "lab:box_infectious": {"POST": LAB},
    "lab:readings": {"POST": LAB},
    "lab:excursion_ack": {"POST": LAB},
    "lab:reagent_use": {"POST": COLLECTORS},
    "billing:home": BILLING_READERS,
    "billing:reports": BILLERS,
    # How the clinic bills and what it charges: the manager's decisions.
    "billing:settings": {"GET": frozenset({Role.MANAGER}), "POST": frozenset({Role.MANAGER})},
    "billing:price_list": {"GET": frozenset({Role.MANAGER}), "POST": frozenset({Role.MANAGER})},
    "billing:course": BILLING_READERS,
    "billing:seed_price_list": {"POST": BILLERS},
    "billing:offer_estimate": {"POST": BILLERS},
    "billing:accept_estimate": {"POST": BILLERS},
    "billing:send_estimate": {"POST": BILLERS},
    "billing:estimate_pdf": BILLING_READERS,
    "billing:estimate_scan": BILLING_READERS,
    "billing:issue_invoice": {"POST": BILLERS},
    "billing:invoice": BILLING_READERS,
    "billing:invoice_pdf": BILLING_READERS,
    "billing:receipt": BILLING_READERS,
    "billing:credit_note": {"POST": BILLERS},
    "billing:record_payment": {"POST": BILLERS},
    "billing:record_refund": {"POST": BILLERS},
    "billing:verifactu_export": BILLERS,
    "billing:add_coverage": {"POST": BILLERS},
    "billing:open_claim": {"POST": BILLERS},
    "billing:claim_step": {"POST": BILLERS},
    "billing:claim_pack": BILLING_READERS,
    "recalls:list": RECALL_READERS,
    "recalls:detail": RECALL_READERS,
    "recalls:open_recall": {"GET": HOLDERS, "POST": HOLDERS},
    "recalls:add_note": {"POST": RECALL_READERS},
    "recalls:close_recall": {"POST": QA},
    "recalls:place_hold": {"GET": HOLDERS, "POST": HOLDERS},
    "recalls:lift_hold": {"GET": QA, "POST": QA},
    "injections:today": BEDSIDE_READERS,
    "injections:session": BEDSIDE_READERS,
    "injections:reserve": {"POST": BEDSIDE_READERS},
    "injections:issue": {"POST": ISSUERS},
    "injections:thaw": {"POST": CLINICIANS},
    "injections:return_to_stock": {"POST": ISSUERS},
    "injections:verify": {"POST": CLINICIANS},
    "injections:administer": {"POST": CLINICIANS},
    "injections:wristband": CLINICAL,
    "outcomes:follow_ups": FOLLOW_UP_READERS,
    "outcomes:patient": CHART_READERS,
    "outcomes:enter": CLINICAL,
    "outcomes:rehab": {"GET": CLINICAL, "POST": CLINICAL},
    "outcomes:later_treatment": {"GET": CLINICAL, "POST": CLINICAL},
    "outcomes:surgery_report": {"GET": CLINICAL, "POST": CLINICAL},
    "analytics:registry": REGISTRY_READERS | {Role.RESEARCHER},
    "analytics:export": {"GET": EXPORTERS, "POST": EXPORTERS},
    "analytics:export_jobs": EXPORTERS,
    "analytics:export_download": EXPORTERS,
    "analytics:cohort_save": {"POST": REGISTRY_READERS | {Role.RESEARCHER}},
    "analytics:claims": REGISTRY_READERS,
    "analytics:claims_check": {"GET": REGISTRY_READERS, "POST": REGISTRY_READERS},
    "outcomes:thresholds": {"GET": FOLLOW_UP_READERS, "POST": frozenset({Role.MANAGER})},
    "adverse_events:list": CLINICAL | {Role.MANAGER},
    "adverse_events:detail": CLINICAL | {Role.MANAGER},
    "adverse_events:record": {"GET": CLINICIANS, "POST": CLINICIANS},
    "adverse_events:update": {"GET": CLINICIANS, "POST": CLINICIANS},
    "adverse_events:acknowledge": {"POST": PHYSICIANS | {Role.MANAGER}},
    "adverse_events:term_grades": CLINICIANS,
    "fhir:metadata": Gate.FHIR_TOKEN,
    # A machine client's login: its signed assertion is checked by the view.
    "fhir:token": Gate.PUBLIC,
    "fhir:smart_configuration": Gate.PUBLIC,
    "fhir:search": Gate.FHIR_TOKEN,
    "fhir:search_post": Gate.FHIR_TOKEN,
    "fhir:read": Gate.FHIR_TOKEN,
    "fhir:everything": Gate.FHIR_TOKEN,
    "fhir:export_system": Gate.FHIR_TOKEN,
    "fhir:export_patient": Gate.FHIR_TOKEN,
    "fhir:export_group": Gate.FHIR_TOKEN,
    "fhir:export_status": Gate.FHIR_TOKEN,
    "fhir:export_file": Gate.FHIR_TOKEN,
    "fhir:transaction": Gate.FHIR_TOKEN,
    "fhir:unknown": Gate.FHIR_TOKEN,
    "portal:home": Gate.PORTAL_TOKEN,
    "portal:form": {"GET": Gate.PORTAL_TOKEN, "POST": Gate.PORTAL_TOKEN},
    "portal:answer": {"POST": Gate.PORTAL_TOKEN},
    "portal:estimate": {"GET": Gate.PORTAL_TOKEN, "POST": Gate.PORTAL_TOKEN},
    "portal:patient": FOLLOW_UP_READERS,
    "portal:send": {"POST": CLINICAL},
    "portal:revoke": {"POST": CLINICAL},
    "portal:licences": {"GET": FOLLOW_UP_READERS | RESOURCE_KEEPERS, "POST": RESOURCE_KEEPERS},
    "protocols:list": ALL_STAFF,
    "protocols:detail": ALL_STAFF,
    "api:api-root": ALL_STAFF,
    "api:openapi-json": ALL_STAFF,
    "api:openapi-view": ALL_STAFF,
    "api:patients": {"GET": PATIENT_FINDERS, "POST": CLINICAL},
    "api:patient": {"GET": CHART_READERS, "PATCH": CLINICAL},
}


def rule_for(view_name: str, method: str) -> Rule | None:
    """Return the rule guarding a URL name for an HTTP method, or None when nothing allows it."""
    rule = ACCESS.get(view_name)
    if isinstance(rule, dict):
        if method in {"HEAD", "OPTIONS"}:
            method = "GET"
        return rule.get(method)
    return rule


def allows(rule: Rule | None, role: str | None) -> bool:
    """Say whether a signed-in, second-factor-verified user with ``role`` passes ``rule``."""
    if rule is None:
        return False
    if isinstance(rule, Gate):
        return True
    return role in rule
