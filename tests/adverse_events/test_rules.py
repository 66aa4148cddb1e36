"""The pure rules, checked against CTCAE v5.0 (NCI, 27 Nov 2017) and ICH E2A; no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from autologic.adverse_events.domain import ctcae, notify, rules
from autologic.common.domain.errors import ValidationFailed

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def refused(call, *args, **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    return caught.value


# ----------------------------------------------------------------------------- the term table


def test_the_table_is_ctcae_v5_with_unique_codes_valid_socs_and_grades():
    assert ctcae.VERSION == "5.0" and ctcae.PUBLISHED == "2017-11-27"
    assert len(ctcae.TERMS) >= 20
    assert len({t.code for t in ctcae.TERMS}) == len(ctcae.TERMS)
    assert len(ctcae.SOCS) == 26 and set(ctcae.OTHER_TERMS) == set(ctcae.SOCS)
    for term in ctcae.TERMS:
        assert term.soc in ctcae.SOCS, term.code
        assert 10_000_000 <= term.meddra < 11_000_000, term.code  # MedDRA LLT codes
        assert term.grades and set(term.grades) <= {1, 2, 3, 4, 5}, term.code
        assert all(text.strip() and text.strip() != "-" for text in term.grades.values())


@pytest.mark.parametrize(
    ("code", "grades"),
    [
        # Grades CTCAE v5.0 defines per term; a "-" in the table means the grade does not exist.
        ("arthralgia", (1, 2, 3)),
        ("joint_effusion", (1, 2, 3)),
        ("injection_site_reaction", (1, 2, 3, 4, 5)),
        ("pain", (1, 2, 3)),
        ("fever", (1, 2, 3, 4, 5)),
        ("joint_infection", (2, 3, 4, 5)),
        ("hematoma", (1, 2, 3, 4, 5)),
        ("syncope", (3,)),
        ("presyncope", (2,)),
        ("vasovagal_reaction", (3, 4, 5)),
        ("allergic_reaction", (1, 2, 3, 4, 5)),
        ("anaphylaxis", (3, 4, 5)),
        ("bruising", (1, 2)),
        ("edema_limbs", (1, 2, 3)),
        ("fall", (1, 2, 3)),
        ("seroma", (1, 2, 3)),
    ],
)
def test_each_term_allows_exactly_its_ctcae_grades(code, grades):
    term = ctcae.BY_CODE[code]
    assert term.allowed_grades == grades
    for grade in range(1, 6):
        if grade in grades:
            rules.check_grade(term, grade)
        else:
            error = refused(rules.check_grade, term, grade)
            assert error.field == "grade" and error.code == "grade_not_allowed"
            assert term.name in error.message


def test_grade_texts_are_ctcae_wording():
    assert ctcae.BY_CODE["arthralgia"].grades[2] == "Moderate pain; limiting instrumental ADL"
    assert ctcae.BY_CODE["syncope"].grades[3] == "Fainting; orthostatic collapse"
    assert ctcae.BY_CODE["fever"].grades[1].startswith("38.0 - 39.0 degrees C")
    assert ctcae.BY_CODE["hematoma"].soc == "vascular"
    assert ctcae.BY_CODE["joint_infection"].soc == "infections"


def test_other_specify_takes_the_soc_and_its_grades():
    term = rules.term_of(ctcae.OTHER, "musculoskeletal", "Baker's cyst rupture")
    assert term.name.endswith("Other, specify: Baker's cyst rupture")
    assert term.allowed_grades == (1, 2, 3, 4, 5) and term.meddra == 10028395
    # CTCAE has no grade 5 for "Eye disorders - Other, specify" (grade 4 is sight-threatening).
    assert rules.term_of(ctcae.OTHER, "eye", "Blurred vision").allowed_grades == (1, 2, 3, 4)
    assert refused(rules.term_of, ctcae.OTHER, "", "x").field == "soc"
    assert refused(rules.term_of, ctcae.OTHER, "skin", "  ").field == "term_other"
    assert refused(rules.term_of, "no_such_term").field == "term"


# ----------------------------------------------------------------------------- seriousness


def test_a_serious_event_needs_a_criterion_and_a_non_serious_one_has_none():
    assert {c.value for c in rules.Criterion} == {
        "death",
        "life_threatening",
        "hospitalisation",
        "disability",
        "congenital_anomaly",
        "medically_important",
    }
    rules.check_seriousness(True, ["hospitalisation"])
    rules.check_seriousness(True, ["life_threatening", "medically_important"])
    rules.check_seriousness(False, [])
    assert refused(rules.check_seriousness, True, []).code == "serious_needs_criterion"
    assert refused(rules.check_seriousness, False, ["disability"]).code == "criteria_need_serious"
    error = refused(rules.check_seriousness, True, ["severe"])
    assert error.code == "unknown_criterion" and error.field == "criteria"


def test_seriousness_is_independent_of_grade():
    # A severe (grade 3) arthralgia is not serious; a mild fever that keeps a patient in
    # hospital is. Both are valid records.
    for grade, serious, criteria in ((3, False, ()), (1, True, ("hospitalisation",))):
        term = ctcae.BY_CODE["arthralgia" if not serious else "fever"]
        rules.check_assessment(
            term,
            assessment(grade=grade, serious=serious, criteria=criteria),
            onset_day=date(2026, 11, 24),
            today=date(2026, 11, 25),
        )


def test_death_links_grade_5_the_fatal_outcome_and_the_death_criterion():
    fever = ctcae.BY_CODE["fever"]
    day = {"onset_day": date(2026, 11, 24), "today": date(2026, 11, 30)}
    fatal = {"grade": 5, "serious": True, "criteria": ("death",), "outcome": "fatal"}
    rules.check_assessment(fever, assessment(**fatal), **day)
    error = refused(rules.check_assessment, fever, assessment(**{**fatal, "grade": 4}), **day)
    assert error.code == "grade_5_is_fatal" and error.field == "outcome"
    error = refused(
        rules.check_assessment,
        fever,
        assessment(**{**fatal, "criteria": ("hospitalisation",)}),
        **day,
    )
    assert error.code == "fatal_is_serious"
    error = refused(
        rules.check_assessment,
        fever,
        assessment(grade=4, serious=True, criteria=("death",), outcome="not_recovered"),
        **day,
    )
    assert error.code == "death_needs_fatal_outcome"
    error = refused(
        rules.check_assessment,
        ctcae.BY_CODE["arthralgia"],
        assessment(grade=3, serious=True, criteria=("death",), outcome="fatal"),
        **day,
    )
    assert error.code == "fatal_needs_grade_5_term"


# ----------------------------------------------------------------------------- relatedness


def test_relatedness_is_the_five_step_scale_and_possible_or_more_counts_as_related():
    assert [r.value for r in rules.Relatedness] == [
        "not_related",
        "unlikely",
        "possible",
        "probable",
        "definite",
    ]
    assert {r.value for r in rules.RELATED} == {"possible", "probable", "definite"}
    rules.check_relatedness("probable", "related_product")
    error = refused(rules.check_relatedness, "certain", "related_procedure")
    assert error.field == "related_procedure"


# ----------------------------------------------------------------------------- time


def test_onset_is_not_in_the_future_nor_before_the_injection():
    rules.check_onset(T0, now=T0, given_at=T0)
    rules.check_onset(T0 - timedelta(days=3), now=T0)
    assert refused(rules.check_onset, T0 + timedelta(minutes=1), now=T0).code == "onset_future"
    error = refused(rules.check_onset, T0 - timedelta(minutes=1), now=T0, given_at=T0)
    assert error.code == "onset_before_injection" and error.field == "onset_at"


@pytest.mark.parametrize(
    ("outcome", "resolved", "code"),
    [
        ("recovered", date(2026, 11, 26), None),
        ("recovered_with_sequelae", date(2026, 11, 24), None),
        ("fatal", None, None),
        ("fatal", date(2026, 11, 25), None),
        ("recovering", None, None),
        ("not_recovered", None, None),
        ("unknown", None, None),
        ("recovered", None, "resolution_date_required"),
        ("recovered_with_sequelae", None, "resolution_date_required"),
        ("recovering", date(2026, 11, 25), "resolution_date_not_resolved"),
        ("unknown", date(2026, 11, 25), "resolution_date_not_resolved"),
        ("recovered", date(2026, 11, 23), "resolution_before_onset"),
        ("recovered", date(2026, 11, 28), "resolution_future"),
        ("better", None, "unknown_outcome"),
    ],
)
def test_resolution_dates_follow_the_outcome(outcome, resolved, code):
    check = (rules.check_outcome, outcome, resolved)
    kwargs = {"onset_day": date(2026, 11, 24), "today": date(2026, 11, 27)}
    if code is None:
        check[0](*check[1:], **kwargs)
    else:
        error = refused(*check, **kwargs)
        assert error.code == code
        assert error.field in {"resolved_on", "outcome"}


def test_open_events_are_those_not_resolved():
    assert rules.is_open("recovering") and rules.is_open("not_recovered")
    assert rules.is_open("unknown")
    assert not rules.is_open("recovered") and not rules.is_open("fatal")


# ----------------------------------------------------------------------------- reporting


def test_a_serious_suspected_event_is_an_expedited_candidate_with_its_ich_deadline():
    seen = T0
    plain = rules.reportability(assessment(grade=2), known_since=seen)
    assert not plain.serious and not plain.expedited_candidate and plain.report_by is None
    hospital = assessment(grade=3, serious=True, criteria=("hospitalisation",))
    unrelated = rules.reportability(hospital, known_since=seen)
    assert unrelated.serious and not unrelated.expedited_candidate
    suspected = rules.reportability(
        assessment(
            grade=3, serious=True, criteria=("hospitalisation",), related_product="probable"
        ),
        known_since=seen,
    )
    assert suspected.expedited_candidate and suspected.report_by == seen + timedelta(days=15)
    urgent = rules.reportability(
        assessment(
            grade=4, serious=True, criteria=("life_threatening",), related_product="possible"
        ),
        known_since=seen,
    )
    assert urgent.report_by == seen + timedelta(days=7)


# ----------------------------------------------------------------------------- who is told


def person(pk: int, role: str, *, email: str = "", active: bool = True) -> notify.Staff:
    return notify.Staff(id=pk, role=role, active=active, email=email)


def test_nobody_is_told_of_a_non_serious_event():
    assert (
        notify.recipients(
            serious=False,
            operator=person(1, "physician"),
            course_physicians=[],
            site_physicians=[person(1, "physician")],
            managers=[person(9, "manager")],
        )
        == []
    )


def test_the_operating_physician_then_the_course_then_every_physician_is_responsible():
    doctor, other, nurse = person(1, "physician"), person(2, "physician"), person(3, "nurse")
    site = [doctor, other, person(4, "physician", active=False)]
    first = notify.responsible_physicians(
        operator=doctor, course_physicians=[other], site_physicians=site
    )
    assert first == [(doctor, notify.Reason.OPERATOR)]
    by_course = notify.responsible_physicians(
        operator=nurse, course_physicians=[other], site_physicians=site
    )
    assert by_course == [(other, notify.Reason.COURSE_PHYSICIAN)]
    everyone = notify.responsible_physicians(
        operator=None, course_physicians=[], site_physicians=site
    )
    assert everyone == [
        (doctor, notify.Reason.SITE_PHYSICIAN),
        (other, notify.Reason.SITE_PHYSICIAN),
    ]
    gone = person(1, "physician", active=False)
    assert notify.responsible_physicians(
        operator=gone, course_physicians=[], site_physicians=[other]
    ) == [(other, notify.Reason.SITE_PHYSICIAN)]


def test_managers_are_told_too_each_person_once_and_e_mail_needs_an_address():
    doctor = person(1, "physician", email="dr@example.org")
    boss = person(9, "manager")
    chosen = notify.recipients(
        serious=True,
        operator=doctor,
        course_physicians=[],
        site_physicians=[doctor],
        managers=[boss, person(10, "manager", active=False)],
    )
    assert [(r.staff.id, r.reason, r.by_email) for r in chosen] == [
        (1, notify.Reason.OPERATOR, True),
        (9, notify.Reason.MANAGER, False),
    ]
    again = notify.recipients(
        serious=True,
        operator=doctor,
        course_physicians=[],
        site_physicians=[doctor],
        managers=[boss],
        already=frozenset({1}),
    )
    assert [r.staff.id for r in again] == [9]


def assessment(**overrides) -> rules.Assessment:
    values = {
        "grade": 1,
        "serious": False,
        "criteria": (),
        "related_product": "not_related",
        "related_procedure": "possible",
        "outcome": "recovering",
        "resolved_on": None,
    }
    values.update(overrides)
    return rules.Assessment(**values)
