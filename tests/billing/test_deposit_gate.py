"""Seed 004's deposit before the harvest: where the clinic asks for one, no collection is recorded
until the signed estimate's deposit is paid, unless a physician signs an exception; the lab's
page shows the same check the action enforces."""

from __future__ import annotations

import pytest

from autologic.audit.actions import SignerProof
from autologic.billing import actions
from autologic.billing.domain.money import Money
from autologic.clinical import actions as clinical
from autologic.clinical import queries as clinical_queries
from autologic.common.domain.errors import ValidationFailed
from tests.billing.conftest import NOW, billing_for, hip_range
from tests.billing.test_actions import _hip, accept, as_rials, plan
from tests.lab.test_collection_gates import codes, collect

TODAY = NOW.date()


@pytest.fixture
def tech(make_staff):
    return make_staff("lab_technician")


@pytest.fixture
def hip_course(site, start_course, make_staff):
    as_rials(site)
    billing_for(site, "IR")  # deposit_gate: True
    hip_range(site)
    return start_course("cells-hip", regions=[_hip()])


def deposit_check(course):
    gate = clinical_queries.course_gate(course, TODAY, TODAY)
    return next(c for c in gate.checks if c.gate == "deposit")


def offer(course, clerk):
    estimate = actions.offer_estimate(
        course,
        plan=plan("IRR", deposit=40_000_000, parts=3, on_events=True),
        fixed={"hip-course": (Money.of(160_000_000, "IRR"), "Fat-derived cells")},
        language="fa",
        by=clerk,
        now=NOW,
    )
    accept(estimate, clerk)
    return estimate


def test_no_harvest_until_the_deposit_is_paid(hip_course, tech, make_staff):
    clerk = make_staff("billing")
    assert deposit_check(hip_course).code == "deposit_estimate_unsigned"
    with pytest.raises(ValidationFailed) as refused:
        collect(hip_course, tech)
    assert "deposit_estimate_unsigned" in codes(refused)
    offer(hip_course, clerk)
    assert deposit_check(hip_course).code == "deposit_unpaid"
    actions.record_payment(
        hip_course,
        amount=Money.of(39_999_999, "IRR"),
        method="card",
        received_on=TODAY,
        by=clerk,
        now=NOW,
    )
    with pytest.raises(ValidationFailed) as refused:
        collect(hip_course, tech)
    assert codes(refused) == {"deposit_unpaid"}
    actions.record_payment(
        hip_course, amount=Money.of(1, "IRR"), method="cash", received_on=TODAY, by=clerk, now=NOW
    )
    assert deposit_check(hip_course).status == "ok"
    assert collect(hip_course, tech).pk


def test_a_physician_may_let_the_harvest_go_ahead_before_the_deposit(
    hip_course, tech, make_staff, physician
):
    offer(hip_course, make_staff("billing"))
    assert "deposit" in clinical_queries.exceptable_gates(hip_course)
    clinical.sign_gate_exception(
        course=hip_course,
        gate="deposit",
        reason="Insurer's approval letter arrives next week; the director agreed.",
        proof=SignerProof(user=physician, second_factor=True),
    )
    assert deposit_check(hip_course).status == "excepted"
    assert collect(hip_course, tech).pk


def test_a_clinic_without_the_deposit_rule_has_no_such_check(site, start_course):
    billing_for(site, "ES")
    course = start_course("acs-large-joint")
    gate = clinical_queries.course_gate(course, TODAY, TODAY)
    assert "deposit" not in {c.gate for c in gate.checks}
    assert "deposit" not in clinical_queries.exceptable_gates(course)


def test_the_billing_page_says_what_the_gate_decides(hip_course, make_staff):
    """Paid before the estimate is signed: the gate still blocks, and so does the page."""
    from tests.conftest import signed_in

    clerk = make_staff("billing")
    actions.offer_estimate(
        hip_course,
        plan=plan("IRR", deposit=40_000_000, parts=3),
        fixed={"hip-course": (Money.of(160_000_000, "IRR"), "Fat-derived cells")},
        language="fa",
        by=clerk,
        now=NOW,
    )
    actions.record_payment(
        hip_course,
        amount=Money.of(40_000_000, "IRR"),
        method="cash",
        received_on=TODAY,
        by=clerk,
        now=NOW,
    )
    assert deposit_check(hip_course).code == "deposit_estimate_unsigned"
    html = signed_in(clerk).get(f"/billing/courses/{hip_course.pk}/").content.decode()
    badge = html[html.index('data-testid="deposit-gate"') :][:600]
    assert "badge-bad" in badge and "badge-ok" not in badge
