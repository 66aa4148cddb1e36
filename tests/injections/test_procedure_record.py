"""The procedure record at the bedside (seed 000): local anaesthetic and dose, guidance,
approach and spinal level, checked with the fields, signed, audited and shown."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from autologic.audit import queries as audit
from autologic.audit.models import AuditEvent
from autologic.common.domain.errors import ValidationFailed
from autologic.injections import actions
from autologic.injections.domain import procedure
from autologic.injections.models import Administration
from tests.conftest import PASSWORD, band, signed_in, totp_now

from .conftest import given, proof, ready, sessions

LOCAL = {"anaesthesia": "local", "route": "intra_articular"}


def fields(**entry) -> list[str]:
    values = {"anaesthetic": "lidocaine", "dose_mg": Decimal(40), "approach": "superolateral"}
    return [p.field for p in procedure.problems(**{**LOCAL, **values, **entry})]


def test_a_complete_record_has_no_problem():
    assert fields() == []
    assert fields(anaesthetic="none", dose_mg=None) == []


def test_the_maximum_single_doses_are_the_labels():
    # Xylocaine (lidocaine without adrenaline) 300 mg, Marcaine (bupivacaine) 175 mg,
    # Naropin (ropivacaine) field block 200 mg: at the maximum accepted, above it refused.
    for agent, label_max in (("lidocaine", 300), ("bupivacaine", 175), ("ropivacaine", 200)):
        assert fields(anaesthetic=agent, dose_mg=Decimal(label_max)) == []
        over = procedure.problems(
            **LOCAL,
            anaesthetic=agent,
            dose_mg=Decimal(label_max) + Decimal("0.1"),
            approach="lateral",
        )
        assert [(p.field, p.code) for p in over] == [
            ("anaesthetic_dose_mg", "anaesthetic_dose_over_maximum")
        ]
        assert over[0].data["max"] == str(label_max)


def test_each_missing_or_wrong_entry_names_its_field():
    assert fields(anaesthetic="") == ["anaesthetic"]  # the protocol anaesthetises locally
    assert fields(anaesthetic="", dose_mg=None, approach="") == ["anaesthetic", "approach"]
    assert fields(dose_mg=None) == ["anaesthetic_dose_mg"]
    assert fields(dose_mg=Decimal(0)) == ["anaesthetic_dose_mg"]
    assert fields(anaesthetic="none") == ["anaesthetic_dose_mg"]  # a dose of nothing
    assert fields(anaesthetic="procaine") == ["anaesthetic"]
    # Without local anaesthesia in the protocol, an empty agent is no gap.
    assert (
        procedure.problems(
            anaesthesia="none",
            route="intra_articular",
            anaesthetic="",
            dose_mg=None,
            approach="lateral",
        )
        == []
    )


def test_the_approach_fits_the_route():
    assert fields(approach="interlaminar") == ["approach"]
    spine = {"anaesthesia": "local", "route": "epidural_perineural"}
    for approach in ("interlaminar", "transforaminal", "caudal"):
        assert not procedure.problems(
            **spine, anaesthetic="lidocaine", dose_mg=Decimal(20), approach=approach
        )
    wrong = procedure.problems(
        **spine, anaesthetic="lidocaine", dose_mg=Decimal(20), approach="superolateral"
    )
    assert [p.code for p in wrong] == ["approach_wrong_route"]


@pytest.mark.django_db
def test_the_action_refuses_a_record_without_its_procedure_and_changes_nothing(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    events = AuditEvent.objects.count()
    for change, field in (
        ({"anaesthetic": ""}, "anaesthetic"),
        ({"anaesthetic_dose_mg": Decimal(400)}, "anaesthetic_dose_mg"),
        ({"approach": "caudal"}, "approach"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            actions.administer(
                session,
                replace(given(unit, band(patient)), **change),
                operator=proof(physician),
                verifier=proof(nurse),
                now=fixed_clock.now(),
            )
        assert refused.value.field == field
    assert not Administration.objects.exists() and AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_the_spine_record_keeps_level_guidance_approach_and_anaesthetic(
    released, physician, nurse, patient, fixed_clock
):
    from tests.injections.test_overrides import LUMBAR

    lot = released("acs-spine", regions=[LUMBAR])
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    record = actions.administer(
        session,
        replace(
            given(unit, band(patient), region="spine_lumbar", side=""),
            level="l4-5",
            guidance="fluoroscopy",
            approach="interlaminar",
            anaesthetic="lidocaine",
            anaesthetic_dose_mg=Decimal("20"),
        ),
        operator=proof(physician),
        verifier=proof(nurse),
        now=fixed_clock.now(),
    )
    record.refresh_from_db()
    assert (record.level, record.guidance, record.approach) == (
        "L4/L5",
        "fluoroscopy",
        "interlaminar",
    )
    assert (record.anaesthetic, record.anaesthetic_dose_mg) == ("lidocaine", Decimal("20.0"))
    event = AuditEvent.objects.get(action="injection.given")
    assert event.changes["level"] == "L4/L5"
    assert event.changes["guidance"] == "fluoroscopy"
    assert event.changes["approach"] == "interlaminar"
    assert event.changes["anaesthetic"] == "lidocaine"
    assert event.changes["anaesthetic_dose_mg"] == "20"
    assert audit.verify().ok
    page = signed_in(nurse).get(f"/injections/sessions/{session.pk}/").content.decode()
    assert "Fluoroscopy · Interlaminar approach · level" in page
    assert "L4/L5" in page and "Lidocaine 20 mg" in page


@pytest.mark.django_db
def test_a_refused_dose_is_shown_at_its_field_and_keeps_what_was_typed(
    released, physician, nurse, patient, fixed_clock
):
    lot = released()
    session = sessions(lot)[0]
    unit = ready(session, nurse, fixed_clock)
    client = signed_in(physician)
    form = {
        "wristband": band(patient),
        "unit": unit.identifier + unit.flags,
        "region": "knee",
        "side": "left",
        "guidance": "ultrasound",
        "approach": "anterolateral",
        "anaesthetic": "bupivacaine",
        "anaesthetic_dose_mg": "200",
        "reactions": ["none"],
        "password": PASSWORD,
        "otp_token": totp_now(physician),
        "verifier": nurse.pk,
        "verifier_password": PASSWORD,
        "verifier_otp_token": totp_now(nurse),
    }
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    refused = client.post(f"/injections/sessions/{session.pk}/administer/", form)
    html = refused.content.decode()
    assert refused.status_code == 400 and not Administration.objects.exists()
    assert "200 mg is more than the maximum single dose of this local anaesthetic (175 mg)" in html
    assert 'id="id_anaesthetic_dose_mg"' in html and 'value="200"' in html
    assert '<option value="bupivacaine" selected>' in html
    assert '<option value="anterolateral" selected>' in html
    # Refused with the fields, before any signing: nothing but page reads was audited, and
    # the same authenticator codes still sign below.
    assert set(AuditEvent.objects.filter(seq__gt=last).values_list("action", flat=True)) <= {
        "patient.read"
    }
    # Only the approaches of the route are offered.
    assert 'value="interlaminar"' not in html
    form["anaesthetic_dose_mg"] = "50"
    done = client.post(f"/injections/sessions/{session.pk}/administer/", form)
    assert done.status_code == 302, done.content.decode()[-2000:]
    record = Administration.objects.get()
    assert (record.anaesthetic, record.anaesthetic_dose_mg, record.approach) == (
        "bupivacaine",
        Decimal("50.0"),
        "anterolateral",
    )
