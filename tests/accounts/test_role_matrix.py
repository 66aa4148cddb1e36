"""Walk every URL pattern: anonymous users are refused, and each role reaches exactly its pages."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from autologic.accounts.roles import ACCESS, Gate, Role, allows, rule_for

SAMPLE_KWARGS = {"patient_id": "{patient}", "user_id": "{user}"}
METHODS = ("GET", "POST", "PATCH")


def walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """Yield (view name, route) for every named URL pattern, depth first."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, prefix + str(entry.pattern)


ROUTES = sorted(set(walk(get_resolver().url_patterns)))


def concrete(route: str, ids: dict[str, int]) -> str:
    """Fill a route's converters with ids of real objects."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m[1]]), route)
    return "/" + path.lstrip("^").rstrip("$")


def test_every_url_is_in_the_matrix_and_every_matrix_entry_exists():
    names = {name for name, _ in ROUTES}
    assert names - ACCESS.keys() == set(), "URL names with no rule (they are refused to all)"
    assert ACCESS.keys() - names == set(), "matrix entries that no URL uses"


def test_only_health_login_language_choice_and_the_favicon_are_public():
    public = {name for name, rule in ACCESS.items() if rule == Gate.PUBLIC}
    # /ready is the load balancer's half of health: states and counts only.
    # The FHIR token endpoint is a machine client's login (its signed assertion is checked by
    # the view); the SMART configuration says where it is.
    assert public == {
        "health",
        "ready",
        "accounts:login",
        "set_language",
        "favicon",
        "fhir:token",
        "fhir:smart_configuration",
    }


def test_the_favicon_is_a_real_icon_served_without_login(client):
    from PIL import Image

    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert "public" in response["Cache-Control"]
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO" and {(16, 16), (32, 32)} <= icon.info["sizes"]


def test_only_the_patient_portal_is_reached_by_token_without_login():
    by_token = {
        name
        for name, rule in ACCESS.items()
        if rule == Gate.PORTAL_TOKEN
        or (isinstance(rule, dict) and Gate.PORTAL_TOKEN in rule.values())
    }
    assert by_token == {"portal:home", "portal:form", "portal:answer", "portal:estimate"}
    for name in by_token:  # a token page is never also open to a role
        rule = ACCESS[name]
        assert all(
            r == Gate.PORTAL_TOKEN for r in (rule.values() if isinstance(rule, dict) else [rule])
        )


@pytest.fixture
def world(site, make_staff, physician, patient, protocols):
    """One staff member per role at the site, and ids for URL parameters."""
    staff = {role: physician if role == Role.PHYSICIAN else make_staff(role) for role in Role}
    ids = {
        "patient_id": patient.pk,
        "user_id": staff[Role.NURSE].pk,
        **_clinical(physician, patient, protocols),
    }
    ids.update(_lab(staff[Role.LAB_TECHNICIAN], physician, ids["course_id"]))
    ids.update(_portal(physician, ids["course_id"]))
    ids.update(_recalls(staff[Role.LAB_TECHNICIAN], ids["collection_id"]))
    ids.update(_billing(staff[Role.BILLING], ids["course_id"]))
    from autologic.patients.models import Consent

    ids["consent_id"] = Consent.objects.filter(patient=patient).values_list("pk", flat=True)[0]
    ids["job_id"] = _export_job(staff[Role.RESEARCHER])
    ids["message_id"] = _failed_message(site)
    return staff, ids


def _failed_message(site) -> int:
    """An e-mail the provider refused for good, for the outbox's retry URL."""
    from autologic.common import clock
    from autologic.outbox.models import Message

    now = clock.now()
    return Message.objects.create(
        site=site,
        channel="email",
        to="nobody@example.org",
        body="A reminder",
        purpose="questionnaire",
        status="failed",
        attempts=5,
        last_error="550 no such mailbox",
        created_at=now,
    ).pk


def _export_job(researcher) -> int:
    """A finished research export of an empty study, for the download URL."""
    from autologic.analytics import actions
    from autologic.common import clock

    now = clock.now()
    study = actions.create_research_study(
        site=researcher.site, code="matrix", title="Matrix", by=researcher, now=now
    )
    job = actions.request_export(study=study, fmt="csv", by=researcher, now=now)
    return actions.run_export_job(job.pk, now=now).pk


def _billing(clerk, course_id) -> dict[str, object]:
    """The course's signed estimate and its invoice, at a Spanish-billing clinic."""
    from autologic.audit.actions import SignerProof
    from autologic.billing import actions
    from autologic.billing.domain.money import Money
    from autologic.care.models import Course
    from autologic.common import clock
    from autologic.protocols.models import ProtocolVersion
    from tests.billing.conftest import PROFILES

    course = Course.objects.get(pk=course_id)
    now = clock.now()
    actions.set_billing_profile(course.site, PROFILES["ES"], by=None, now=now)
    actions.seed_price_list(
        course.site, ProtocolVersion.objects.get(pk=course.protocol_id), by=clerk, now=now
    )
    estimate = actions.offer_estimate(
        course,
        plan=actions.PlanRequest(
            deposit=Money.of(0, "EUR"), parts=2, first_due=now.date(), every_days=30
        ),
        language="es",
        by=clerk,
        now=now,
    )
    actions.accept_estimate(
        estimate,
        signed_by="Patient",
        signed_on=now.date(),
        acceptance="in_person",
        agreement_signed=False,
        proof=SignerProof(user=clerk, second_factor=True),
        now=now,
    )
    invoice = actions.issue_invoice(course, recipient_tax_id="12345678Z", by=clerk, now=now)
    coverage = actions.add_coverage(
        course, insurer="Sanitas", policy_number="P-1", channel="direct", by=clerk, now=now
    )
    claim = actions.open_claim(course, coverage, by=clerk, now=now)
    payment = actions.record_payment(
        course,
        amount=Money.of("10.00", "EUR"),
        method="cash",
        received_on=now.date(),
        by=clerk,
        now=now,
    )
    return {
        "estimate_id": estimate.pk,
        "invoice_id": invoice.pk,
        "claim_id": claim.pk,
        "price_list_id": estimate.price_list_id,
        "payment_id": payment.pk,
    }


def _recalls(tech, collection_id) -> dict[str, object]:
    """A recall of the lot, which puts it on QA hold."""
    from autologic.common import clock
    from autologic.lab.models import Collection
    from autologic.recalls import actions
    from autologic.recalls.domain import Origin
    from autologic.recalls.queries import Source

    lot = Collection.objects.get(pk=collection_id)
    recall = actions.open_recall(
        Source(Origin.LOT, lot.site, collection=lot),
        reason="Role matrix test.",
        by=tech,
        now=clock.now(),
    )
    return {"recall_id": recall.pk, "hold_id": recall.holds.get().pk}


def _portal(physician, course_id) -> dict[str, object]:
    """A link to the course's baseline questionnaires; the token in URLs is a wrong one."""
    from autologic.care.models import Appointment
    from autologic.common import clock
    from autologic.portal import actions

    baseline = Appointment.objects.get(course_id=course_id, key="fu-baseline")
    issued = actions.issue_link(baseline, language="en", by=physician, now=clock.now())
    region_id, instrument = issued.link.forms[0]
    return {
        "token": "not-a-real-token",
        "region_id": region_id,
        "instrument": instrument,
        "link_id": issued.link.pk,
    }


def _lab(tech, physician, course_id) -> dict[str, object]:
    """A lot with a deviation, a labelled unit, a freezer box and an excursion."""
    from datetime import timedelta
    from decimal import Decimal

    from autologic.care.models import Course
    from autologic.common import clock
    from autologic.lab.actions import collection as lab
    from autologic.lab.actions import labels, storage
    from autologic.lab.domain.processing import StepValues
    from autologic.lab.models import Box, Label

    now = clock.now()
    course = Course.objects.get(pk=course_id)
    lot = lab.record_collection(
        course=course,
        collected_at=now - timedelta(hours=20),
        collected_by=physician,
        volume_ml=Decimal(60),
        containers=6,
        container_type="syringe",
        notes="",
        by=tech,
        now=now,
    )
    run = lab.start_run(lot, by=tech, now=now)
    t = now - timedelta(hours=19)
    plan = [
        ("incubation", 5, {"temperature_c": 37.0}),
        ("centrifugation", 0.3, {"g_force": 2000, "spin_min": 10}),
        ("aliquoting", 0.5, {}),
    ]
    for key, hours, extra in plan:
        lab.record_step(
            run,
            key=key,
            values=StepValues(t, t + timedelta(hours=hours), **extra),
            by=tech,
            now=now,
        )
        t += timedelta(hours=hours)
    (unit,) = lab.divide(run, count=1, volume_ml=Decimal(2), cells_million=None, by=tech, now=now)
    job = labels.print_labels([unit], by=tech, now=now)
    freezer = storage.add_freezer(
        site=course.site,
        code="fz",
        name="Freezer",
        low_c=Decimal(-30),
        high_c=Decimal(-18),
        racks=1,
        boxes_per_rack=1,
        by=tech,
        now=now,
    )
    box = Box.objects.get(rack__freezer=freezer)
    storage.check_in([unit], box, by=tech, now=now)
    (excursion,) = storage.record_readings(
        freezer, [(now - timedelta(minutes=30), -5.0)], source="manual", by=tech, now=now
    )
    from autologic.lab.actions import release

    result = release.record_result(lot, attribute="sterility", value="growth", by=tech, now=now)
    return {
        "collection_id": lot.pk,
        "deviation_id": lot.run.deviations.get().pk,
        "result_id": result.pk,
        "label_id": Label.objects.get(unit=unit).pk,
        "job": job,
        "unit_id": unit.pk,
        "box_id": box.pk,
        "freezer_id": freezer.pk,
        "excursion_id": excursion.pk,
    }


def _clinical(physician, patient, protocols) -> dict[str, object]:
    """An assessment, a medication and a signed decision, for the clinical URLs."""
    from datetime import date, timedelta

    from autologic.audit.actions import SignerProof
    from autologic.care import actions as care
    from autologic.clinical import actions, queries
    from autologic.clinical.domain.eligibility import evaluate
    from autologic.common import clock
    from tests.care.conftest import prepare

    assessment = actions.create_assessment(
        patient=patient, data={"assessed_on": date(2026, 11, 2)}, by=physician
    )
    region = actions.add_region(
        assessment=assessment,
        data={"region": "knee", "side": "left", "diagnosis": "osteoarthritis"},
        by=physician,
    )
    medication = actions.add_record(
        kind="medication",
        patient=patient,
        data={"name": "Aspirin", "drug_class": "antiplatelet"},
        by=physician,
    )
    row = protocols["acs-large-joint"]
    prepare(patient, row.protocol, physician)  # consent and markers: the gate before collection
    report = evaluate(
        row.protocol, queries.facts_for(assessment, [region], today=date(2026, 11, 21))
    )
    decision = actions.decide_eligibility(
        assessment=assessment,
        protocol=row,
        report=report,
        regions=[str(region)],
        verdict="eligible",
        justification="" if report.verdict == "eligible" else "Reviewed for the role matrix test.",
        proof=SignerProof(user=physician, second_factor=True),
        expected_verdict=report.verdict,
    )
    resource = care.add_resource(
        site=patient.site,
        data={
            "kind": "room",
            "code": "room-1",
            "name": "Room 1",
            "capacity": 1,
            "capabilities": ["ultrasound"],
            "hours": {},
        },
        by=physician,
    )
    course = care.create_course(
        decision=decision,
        injections=6,
        guidance="ultrasound",
        earliest_start=date(2099, 1, 5),
        notes="",
        by=physician,
        now=clock.now() - timedelta(days=1),  # before the collection the lab records
    )
    return {
        "course_id": course.pk,
        "appointment_id": course.appointments.get(key="inj1").pk,
        "resource_id": resource.pk,
        "assessment_id": assessment.pk,
        "kind": "medication",
        "record_id": medication.pk,
        "decision_id": decision.pk,
        "protocol_id": row.pk,
        "phase": "walking",
        "resource_type": "Patient",
        "rest": "Patient/1/_history",
        "name": "Patient.1.ndjson",
        "group_id": "1",
    }


def _methods(name: str) -> list[str]:
    rule = ACCESS[name]
    return list(rule) if isinstance(rule, dict) else ["GET"]


@pytest.mark.django_db
def test_anonymous_users_are_refused_everywhere_but_public_pages(world, client):
    _, ids = world
    for name, route in ROUTES:
        path = concrete(route, ids)
        for method in _methods(name):
            response = client.generic(method, path)
            rule = rule_for(name, method)
            if rule == Gate.PUBLIC:
                assert response.status_code < 500, (name, method)
            elif rule == Gate.PORTAL_TOKEN:  # no login asked; a wrong token opens nothing
                assert response.status_code in {404, 422}, (name, method, response.status_code)
            elif rule == Gate.METRICS_TOKEN:  # off (404) until a token is set, then 401
                assert response.status_code in {401, 404}, (name, method, response.status_code)
            elif rule == Gate.FHIR_TOKEN or path.startswith("/api/"):  # no redirect to a page
                assert response.status_code == 401, (name, method, response.status_code)
            else:
                assert response.status_code == 302, (name, method, response.status_code)
                assert response["Location"].startswith("/accounts/login/"), name


@pytest.mark.django_db
def test_password_without_second_factor_reaches_only_the_second_factor_pages(world, client):
    staff, ids = world
    client.force_login(staff[Role.PHYSICIAN])
    for name, route in ROUTES:
        method = "GET" if rule_for(name, "GET") else "POST"
        rule = rule_for(name, method)
        if isinstance(rule, Gate):
            continue
        response = client.generic(method, concrete(route, ids))
        assert response.status_code in {302, 401}, name


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_what_the_matrix_allows(world, role):
    from tests.conftest import signed_in

    staff, ids = world
    client = signed_in(staff[role])
    for name, route in ROUTES:
        path = concrete(route, ids)
        for method in _methods(name):
            rule = rule_for(name, method)
            if isinstance(rule, Gate):
                continue
            response = client.generic(method, path, "{}", content_type="application/json")
            if allows(rule, role):
                assert response.status_code != 403, (role, name, method)
                assert response.status_code < 500, (role, name, method)
            else:
                assert response.status_code == 403, (role, name, method, response.status_code)


def test_unknown_urls_and_methods_are_denied_by_default():
    assert rule_for("no:such-view", "GET") is None
    assert not allows(None, Role.ADMINISTRATOR)
    assert rule_for("api:patients", "DELETE") is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_roles_home_page_links_only_to_pages_the_role_reaches(world, role):
    """The home page shows each role its own work lists; no link on it leads to a 403."""
    from django.urls import Resolver404, resolve

    from tests.conftest import signed_in

    staff, _ids = world
    response = signed_in(staff[role]).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    links = set(re.findall(r'href="(/[^"#?]*)', html))
    assert links, "the home page links somewhere"
    for link in links:
        try:
            match = resolve(link)
        except Resolver404:
            continue  # static files
        assert allows(rule_for(match.view_name, "GET"), role), (role, link)
    sections = set(re.findall(r'data-testid="(home-[a-z-]+)"', html))
    expected = {
        Role.PHYSICIAN: {"home-sessions"},
        Role.NURSE: {"home-sessions"},
        Role.LAB_TECHNICIAN: {"home-lab"},
        Role.COORDINATOR: {"home-follow-ups"},
        Role.MANAGER: {"home-oversight"},
    }
    assert sections == expected.get(role, set()), role
