"""The terms epidural injection, sedation and harvest need, against NCI CTCAE v5.0 (27 Nov 2017).

Expected values were read from the NCI spreadsheet ``CTCAE_v5.0_2017-11-27.xlsx`` (sheet 1,
columns MedDRA Code, MedDRA SOC, CTCAE Term, Grade 1-5, Definition); a grade shown there as "-"
does not exist for the term.  No database.
"""

from __future__ import annotations

import pytest

from autologic.adverse_events import choices
from autologic.adverse_events.domain import ctcae, rules
from autologic.common.domain.errors import ValidationFailed

# code: (CTCAE term, MedDRA code, SOC as CTCAE names it, grades that exist)
SPREADSHEET = {
    "meningitis": ("Meningitis", 10027199, "Infections and infestations", (3, 4, 5)),
    "arachnoiditis": ("Arachnoiditis", 10003074, "Nervous system disorders", (1, 2, 3, 4, 5)),
    "cerebrospinal_fluid_leakage": (
        "Cerebrospinal fluid leakage",
        10008164,
        "Nervous system disorders",
        (1, 2, 3, 4, 5),
    ),
    "radiculitis": ("Radiculitis", 10061928, "Nervous system disorders", (1, 2, 3, 4, 5)),
    "dizziness": ("Dizziness", 10013573, "Nervous system disorders", (1, 2, 3)),
    "hypotension": ("Hypotension", 10021097, "Vascular disorders", (1, 2, 3, 4, 5)),
    "hypoxia": (
        "Hypoxia",
        10021143,
        "Respiratory, thoracic and mediastinal disorders",
        (2, 3, 4, 5),
    ),
    "vomiting": ("Vomiting", 10047700, "Gastrointestinal disorders", (1, 2, 3, 4, 5)),
    "postoperative_hemorrhage": (
        "Postoperative hemorrhage",
        10055322,
        "Injury, poisoning and procedural complications",
        (1, 2, 3, 4, 5),
    ),
    "wound_complication": (
        "Wound complication",
        10053692,
        "Injury, poisoning and procedural complications",
        (1, 2, 3, 4, 5),
    ),
}


@pytest.mark.parametrize("code", sorted(SPREADSHEET))
def test_term_has_the_spreadsheet_code_soc_and_grades(code):
    name, meddra, soc, grades = SPREADSHEET[code]
    term = ctcae.BY_CODE[code]
    assert (term.name, term.meddra, ctcae.SOCS[term.soc]) == (name, meddra, soc)
    assert term.allowed_grades == grades
    for grade in range(1, 6):
        if grade in grades:
            rules.check_grade(term, grade)
        else:
            with pytest.raises(ValidationFailed) as caught:
                rules.check_grade(term, grade)
            assert caught.value.code == "grade_not_allowed" and caught.value.field == "grade"


def test_grade_texts_are_the_spreadsheet_wording():
    by = ctcae.BY_CODE
    assert by["meningitis"].grades[3] == (
        "IV antibiotic, antifungal, or antiviral intervention indicated; invasive intervention "
        "indicated; focal neurologic deficit"
    )
    assert by["cerebrospinal_fluid_leakage"].grades[2] == (
        "Post-craniotomy: moderate symptoms; medical intervention indicated; Post-lumbar "
        "puncture: persistent moderate symptoms; blood patch indicated"
    )
    assert by["radiculitis"].grades[2] == (
        "Moderate symptoms; medical intervention indicated; limiting instrumental ADL"
    )
    assert by["dizziness"].grades[1] == "Mild unsteadiness or sensation of movement"
    assert by["hypotension"].grades[1] == "Asymptomatic, intervention not indicated"
    assert by["hypotension"].grades[4] == (
        "Life-threatening consequences and urgent intervention indicated"
    )
    assert by["hypoxia"].grades[3] == (
        "Decreased oxygen saturation at rest (e.g., pulse oximeter <88% or PaO2 <=55 mm Hg)"
    )
    assert by["vomiting"].grades[1] == "Intervention not indicated"
    assert by["vomiting"].grades[4] == "Life-threatening consequences"
    assert by["postoperative_hemorrhage"].grades[2] == (
        "Moderate bleeding requiring transfusion < 2 units (10 cc/kg for pediatrics) of pRBCs"
    )
    assert by["wound_complication"].grades[3] == "Operative intervention indicated"
    assert by["arachnoiditis"].definition == (
        "A disorder characterized by inflammation of the arachnoid membrane and adjacent "
        "subarachnoid space."
    )


def test_the_new_terms_are_offered_on_the_form():
    offered = dict(choices.TERMS)
    for code, (name, *_rest) in SPREADSHEET.items():
        assert offered[code] == name
