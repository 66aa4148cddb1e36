"""CTCAE v5.0 terms for autologous injections and marrow or fat harvest, as versioned data.

Source: National Cancer Institute, Common Terminology Criteria for Adverse Events (CTCAE)
v5.0, published 27 November 2017 (the NCI's spreadsheet CTCAE_v5.0_2017-11-27.xlsx; MedDRA
v20.1 codes).  Term names, MedDRA codes, SOCs, definitions and grade texts below are copied
verbatim from that spreadsheet, not retyped from memory.  A grade that CTCAE shows as "-" is
not allowed for the term ("Grade 5 (Death) is not appropriate for some AEs and therefore is
not an option", CTCAE v5.0 introduction), so each term lists only the grades it has.

Every recorded event stores ``VERSION``; a later CTCAE release becomes a new table beside this
one, never an edit of it.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "5.0"
PUBLISHED = "2017-11-27"
SOURCE = "NCI CTCAE v5.0 (27 Nov 2017)"
OTHER = "other"  # the "<SOC> - Other, specify" term of a chosen SOC

# MedDRA system organ classes as CTCAE v5.0 groups its terms (26 SOCs).
SOCS: dict[str, str] = {
    "blood": "Blood and lymphatic system disorders",
    "cardiac": "Cardiac disorders",
    "congenital": "Congenital, familial and genetic disorders",
    "ear": "Ear and labyrinth disorders",
    "endocrine": "Endocrine disorders",
    "eye": "Eye disorders",
    "gastrointestinal": "Gastrointestinal disorders",
    "general": "General disorders and administration site conditions",
    "hepatobiliary": "Hepatobiliary disorders",
    "immune": "Immune system disorders",
    "infections": "Infections and infestations",
    "injury": "Injury, poisoning and procedural complications",
    "investigations": "Investigations",
    "metabolism": "Metabolism and nutrition disorders",
    "musculoskeletal": "Musculoskeletal and connective tissue disorders",
    "neoplasms": "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
    "nervous": "Nervous system disorders",
    "pregnancy": "Pregnancy, puerperium and perinatal conditions",
    "psychiatric": "Psychiatric disorders",
    "renal": "Renal and urinary disorders",
    "reproductive": "Reproductive system and breast disorders",
    "respiratory": "Respiratory, thoracic and mediastinal disorders",
    "skin": "Skin and subcutaneous tissue disorders",
    "social": "Social circumstances",
    "surgical": "Surgical and medical procedures",
    "vascular": "Vascular disorders",
}


@dataclass(frozen=True)
class Term:
    """One CTCAE term: its MedDRA code and SOC, its definition, and the grades it has."""

    code: str
    name: str
    meddra: int
    soc: str
    grades: dict[int, str]
    definition: str = ""

    @property
    def allowed_grades(self) -> tuple[int, ...]:
        """The grades CTCAE defines for this term, lowest first."""
        return tuple(sorted(self.grades))


TERMS: tuple[Term, ...] = (
    Term(
        "arthralgia",
        "Arthralgia",
        10003239,
        "musculoskeletal",
        {
            1: "Mild pain",
            2: "Moderate pain; limiting instrumental ADL",
            3: "Severe pain; limiting self care ADL",
        },
        "A disorder characterized by a sensation of marked discomfort in a joint.",
    ),
    Term(
        "arthritis",
        "Arthritis",
        10003246,
        "musculoskeletal",
        {
            1: "Mild pain with inflammation, erythema, or joint swelling",
            2: (
                "Moderate pain associated with signs of inflammation, erythema, or joint swelling;"
                " limiting instrumental ADL"
            ),
            3: (
                "Severe pain associated with signs of inflammation, erythema, or joint swelling; "
                "irreversible joint damage; limiting self care ADL"
            ),
        },
        "A disorder characterized by inflammation involving a joint.",
    ),
    Term(
        "joint_effusion",
        "Joint effusion",
        10023215,
        "musculoskeletal",
        {
            1: "Asymptomatic; clinical or diagnostic observations only; intervention not indicated",
            2: "Symptomatic; limiting instrumental ADL",
            3: "Severe symptoms; limiting self care ADL; invasive intervention indicated",
        },
        (
            "A disorder characterized by excessive fluid in a joint, usually as a result of joint "
            "inflammation."
        ),
    ),
    Term(
        "joint_range_of_motion_decreased",
        "Joint range of motion decreased",
        10048706,
        "musculoskeletal",
        {
            1: "<=25% loss of ROM (range of motion); decreased ROM limiting athletic activity",
            2: ">25 - 50% decrease in ROM; limiting instrumental ADL",
            3: ">50% decrease in ROM; limiting self care ADL",
        },
        "A disorder characterized by a decrease in joint flexibility of any joint.",
    ),
    Term(
        "back_pain",
        "Back pain",
        10003988,
        "musculoskeletal",
        {
            1: "Mild pain",
            2: "Moderate pain; limiting instrumental ADL",
            3: "Severe pain; limiting self care ADL",
        },
        "A disorder characterized by a sensation of marked discomfort in the back region.",
    ),
    Term(
        "neck_pain",
        "Neck pain",
        10028836,
        "musculoskeletal",
        {
            1: "Mild pain",
            2: "Moderate pain; limiting instrumental ADL",
            3: "Severe pain; limiting self care ADL",
        },
        "A disorder characterized by a sensation of marked discomfort in the neck area.",
    ),
    Term(
        "buttock_pain",
        "Buttock pain",
        10048677,
        "musculoskeletal",
        {
            1: "Mild pain",
            2: "Moderate pain; limiting instrumental ADL",
            3: "Severe pain; limiting self care ADL",
        },
        "A disorder characterized by a sensation of marked discomfort in the buttocks.",
    ),
    Term(
        "pain_in_extremity",
        "Pain in extremity",
        10033425,
        "musculoskeletal",
        {
            1: "Mild pain",
            2: "Moderate pain; limiting instrumental ADL",
            3: "Severe pain; limiting self care ADL",
        },
        (
            "A disorder characterized by a sensation of marked discomfort in the upper or lower "
            "extremities."
        ),
    ),
    Term(
        "myalgia",
        "Myalgia",
        10028411,
        "musculoskeletal",
        {
            1: "Mild pain",
            2: "Moderate pain; limiting instrumental ADL",
            3: "Severe pain; limiting self care ADL",
        },
        (
            "A disorder characterized by marked discomfort sensation originating from a muscle or "
            "group of muscles."
        ),
    ),
    Term(
        "injection_site_reaction",
        "Injection site reaction",
        10022095,
        "general",
        {
            1: "Tenderness with or without associated symptoms (e.g., warmth, erythema, itching)",
            2: "Pain; lipodystrophy; edema; phlebitis",
            3: "Ulceration or necrosis; severe tissue damage; operative intervention indicated",
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by an intense adverse reaction (usually immunologic) "
            "developing at the site of an injection."
        ),
    ),
    Term(
        "pain",
        "Pain",
        10033371,
        "general",
        {
            1: "Mild pain",
            2: "Moderate pain; limiting instrumental ADL",
            3: "Severe pain; limiting self care ADL",
        },
        "A disorder characterized by the sensation of marked discomfort, distress or agony.",
    ),
    Term(
        "fever",
        "Fever",
        10016558,
        "general",
        {
            1: "38.0 - 39.0 degrees C (100.4 - 102.2 degrees F)",
            2: ">39.0 - 40.0 degrees C (102.3 - 104.0 degrees F)",
            3: ">40.0 degrees C (>104.0 degrees F) for <=24 hrs",
            4: ">40.0 degrees C (>104.0 degrees F) for >24 hrs",
            5: "Death",
        },
        (
            "A disorder characterized by elevation of the body's temperature above the upper limit"
            " of normal."
        ),
    ),
    Term(
        "flu_like_symptoms",
        "Flu like symptoms",
        10016791,
        "general",
        {
            1: "Mild flu-like symptoms present",
            2: "Moderate symptoms; limiting instrumental ADL",
            3: "Severe symptoms; limiting self care ADL",
        },
        (
            "A disorder characterized by a group of symptoms similar to those observed in patients"
            " with the flu. It includes fever, chills, body aches, malaise, loss of appetite and "
            "dry cough."
        ),
    ),
    Term(
        "edema_limbs",
        "Edema limbs",
        10050068,
        "general",
        {
            1: (
                "5 - 10% inter-limb discrepancy in volume or circumference at point of greatest "
                "visible difference; swelling or obscuration of anatomic architecture on close "
                "inspection"
            ),
            2: (
                ">10 - 30% inter-limb discrepancy in volume or circumference at point of greatest "
                "visible difference; readily apparent obscuration of anatomic architecture; "
                "obliteration of skin folds; readily apparent deviation from normal anatomic "
                "contour; limiting instrumental ADL"
            ),
            3: (
                ">30% inter-limb discrepancy in volume; gross deviation from normal anatomic "
                "contour; limiting self care ADL"
            ),
        },
        (
            "A disorder characterized by swelling due to excessive fluid accumulation in the upper"
            " or lower extremities."
        ),
    ),
    Term(
        "localized_edema",
        "Localized edema",
        10062466,
        "general",
        {
            1: "Localized to dependent areas, no disability or functional impairment",
            2: "Moderate localized edema and intervention indicated; limiting instrumental ADL",
            3: "Severe localized edema and intervention indicated; limiting self care ADL",
        },
        (
            "A disorder characterized by swelling due to excessive fluid accumulation at a "
            "specific anatomic site."
        ),
    ),
    Term(
        "joint_infection",
        "Joint infection",
        10023216,
        "infections",
        {
            2: (
                "Localized; local intervention indicated; oral intervention indicated (e.g., "
                "antibiotic, antifungal, or antiviral); needle aspiration indicated (single or "
                "multiple)"
            ),
            3: (
                "Arthroscopic intervention indicated (e.g., drainage) or arthrotomy (e.g., open "
                "surgical drainage)"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        "A disorder characterized by an infectious process involving a joint.",
    ),
    Term(
        "skin_infection",
        "Skin infection",
        10040872,
        "infections",
        {
            1: "Localized, local intervention indicated",
            2: "Oral intervention indicated (e.g., antibiotic, antifungal, or antiviral)",
            3: (
                "IV antibiotic, antifungal, or antiviral intervention indicated; invasive "
                "intervention indicated"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        "A disorder characterized by an infectious process involving the skin such as cellulitis.",
    ),
    Term(
        "soft_tissue_infection",
        "Soft tissue infection",
        10062255,
        "infections",
        {
            2: (
                "Localized; oral intervention indicated (e.g., antibiotic, antifungal, or "
                "antiviral)"
            ),
            3: (
                "IV antibiotic, antifungal, or antiviral intervention indicated; invasive "
                "intervention indicated"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        "A disorder characterized by an infectious process involving soft tissues.",
    ),
    Term(
        "wound_infection",
        "Wound infection",
        10048038,
        "infections",
        {
            1: "Localized, local intervention indicated",
            2: "Oral intervention indicated (e.g., antibiotic, antifungal, or antiviral)",
            3: (
                "IV antibiotic, antifungal, or antiviral intervention indicated; invasive "
                "intervention indicated"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        "A disorder characterized by an infectious process involving the wound.",
    ),
    Term(
        "bone_infection",
        "Bone infection",
        10061017,
        "infections",
        {
            2: "Oral intervention indicated (e.g., antibiotic, antifungal, or antiviral)",
            3: (
                "IV antibiotic, antifungal, or antiviral intervention indicated; invasive "
                "intervention indicated"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        "A disorder characterized by an infectious process involving the bones.",
    ),
    Term(
        "hematoma",
        "Hematoma",
        10019428,
        "vascular",
        {
            1: "Mild symptoms; intervention not indicated",
            2: "Minimally invasive evacuation or aspiration indicated",
            3: "Transfusion; invasive intervention indicated",
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by a localized collection of blood, usually clotted, in an "
            "organ, space, or tissue, due to a break in the wall of a blood vessel."
        ),
    ),
    Term(
        "syncope",
        "Syncope",
        10042772,
        "nervous",
        {
            3: "Fainting; orthostatic collapse",
        },
        (
            "A disorder characterized by spontaneous loss of consciousness caused by insufficient "
            "blood supply to the brain."
        ),
    ),
    Term(
        "presyncope",
        "Presyncope",
        10036653,
        "nervous",
        {
            2: "Present (e.g., near fainting)",
        },
        (
            "A disorder characterized by an episode of lightheadedness and dizziness which may "
            "precede an episode of syncope."
        ),
    ),
    Term(
        "vasovagal_reaction",
        "Vasovagal reaction",
        10047166,
        "nervous",
        {
            3: "Present",
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by a sudden drop of the blood pressure, bradycardia, and "
            "peripheral vasodilation that may lead to loss of consciousness. It results from an "
            "increase in the stimulation of the vagus nerve."
        ),
    ),
    Term(
        "headache",
        "Headache",
        10019211,
        "nervous",
        {
            1: "Mild pain",
            2: "Moderate pain; limiting instrumental ADL",
            3: "Severe pain; limiting self care ADL",
        },
        (
            "A disorder characterized by a sensation of marked discomfort in various parts of the "
            "head, not confined to the area of distribution of any nerve."
        ),
    ),
    Term(
        "paresthesia",
        "Paresthesia",
        10033987,
        "nervous",
        {
            1: "Mild symptoms",
            2: "Moderate symptoms; limiting instrumental ADL",
            3: "Severe symptoms; limiting self care ADL",
        },
        (
            "A disorder characterized by functional disturbances of sensory neurons resulting in "
            "abnormal cutaneous sensations of tingling, numbness, pressure, cold, and/or warmth."
        ),
    ),
    Term(
        "allergic_reaction",
        "Allergic reaction",
        10001718,
        "immune",
        {
            1: "Systemic intervention not indicated",
            2: "Oral intervention indicated",
            3: (
                "Bronchospasm; hospitalization indicated for clinical sequelae; intravenous "
                "intervention indicated"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by an adverse local or general response from exposure to an "
            "allergen."
        ),
    ),
    Term(
        "anaphylaxis",
        "Anaphylaxis",
        10002218,
        "immune",
        {
            3: (
                "Symptomatic bronchospasm, with or without urticaria; parenteral intervention "
                "indicated; allergy-related edema/angioedema; hypotension"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by an acute inflammatory reaction resulting from the release"
            " of histamine and histamine-like substances from mast cells, causing a "
            "hypersensitivity immune response. Clinically, it presents with breathing difficulty, "
            "dizziness, hypotension, cyanosis and loss of consciousness and may lead to death."
        ),
    ),
    Term(
        "bruising",
        "Bruising",
        10006504,
        "injury",
        {
            1: "Localized or in a dependent area",
            2: "Generalized",
        },
        (
            "A finding of injury of the soft tissues or bone characterized by leakage of blood "
            "into surrounding tissues."
        ),
    ),
    Term(
        "seroma",
        "Seroma",
        10040102,
        "injury",
        {
            1: "Asymptomatic; clinical or diagnostic observations only; intervention not indicated",
            2: "Symptomatic; simple aspiration indicated",
            3: "Symptomatic, elective invasive intervention indicated",
        },
        "A finding of tumor-like collection of serum in the tissues.",
    ),
    Term(
        "fall",
        "Fall",
        10016173,
        "injury",
        {
            1: "Minor with no resultant injuries; intervention not indicated",
            2: "Symptomatic; noninvasive intervention indicated",
            3: "Hospitalization indicated; invasive intervention indicated",
        },
        "A finding of sudden movement downward, usually resulting in injury.",
    ),
    Term(
        "nausea",
        "Nausea",
        10028813,
        "gastrointestinal",
        {
            1: "Loss of appetite without alteration in eating habits",
            2: "Oral intake decreased without significant weight loss, dehydration or malnutrition",
            3: (
                "Inadequate oral caloric or fluid intake; tube feeding, TPN, or hospitalization "
                "indicated"
            ),
        },
        "A disorder characterized by a queasy sensation and/or the urge to vomit.",
    ),
    Term(
        "meningitis",
        "Meningitis",
        10027199,
        "infections",
        {
            3: (
                "IV antibiotic, antifungal, or antiviral intervention indicated; invasive "
                "intervention indicated; focal neurologic deficit"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by acute inflammation of the meninges of the brain and/or "
            "spinal cord."
        ),
    ),
    Term(
        "arachnoiditis",
        "Arachnoiditis",
        10003074,
        "nervous",
        {
            1: "Mild symptoms",
            2: "Moderate symptoms; limiting instrumental ADL",
            3: "Severe symptoms; limiting self care ADL",
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by inflammation of the arachnoid membrane and adjacent "
            "subarachnoid space."
        ),
    ),
    Term(
        "cerebrospinal_fluid_leakage",
        "Cerebrospinal fluid leakage",
        10008164,
        "nervous",
        {
            1: (
                "Post-craniotomy: asymptomatic; Post-lumbar puncture: transient headache; "
                "postural care indicated"
            ),
            2: (
                "Post-craniotomy: moderate symptoms; medical intervention indicated; Post-lumbar "
                "puncture: persistent moderate symptoms; blood patch indicated"
            ),
            3: "Severe symptoms; medical intervention indicated",
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        "A disorder characterized by loss of cerebrospinal fluid into the surrounding tissues.",
    ),
    Term(
        "radiculitis",
        "Radiculitis",
        10061928,
        "nervous",
        {
            1: "Mild symptoms",
            2: "Moderate symptoms; medical intervention indicated; limiting instrumental ADL",
            3: "Severe symptoms; limiting self care ADL",
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by inflammation involving a nerve root. Patients experience"
            " marked discomfort radiating along a nerve path because of spinal pressure on the "
            "connecting nerve root."
        ),
    ),
    Term(
        "dizziness",
        "Dizziness",
        10013573,
        "nervous",
        {
            1: "Mild unsteadiness or sensation of movement",
            2: "Moderate unsteadiness or sensation of movement; limiting instrumental ADL",
            3: "Severe unsteadiness or sensation of movement; limiting self care ADL",
        },
        (
            "A disorder characterized by a disturbing sensation of lightheadedness, unsteadiness,"
            " giddiness, spinning or rocking."
        ),
    ),
    Term(
        "hypotension",
        "Hypotension",
        10021097,
        "vascular",
        {
            1: "Asymptomatic, intervention not indicated",
            2: "Non-urgent medical intervention indicated",
            3: "Medical intervention indicated; hospitalization indicated",
            4: "Life-threatening consequences and urgent intervention indicated",
            5: "Death",
        },
        (
            "A disorder characterized by a blood pressure that is below the normal expected for "
            "an individual in a given environment."
        ),
    ),
    Term(
        "hypoxia",
        "Hypoxia",
        10021143,
        "respiratory",
        {
            2: (
                "Decreased oxygen saturation with exercise (e.g., pulse oximeter <88%); "
                "intermittent supplemental oxygen"
            ),
            3: "Decreased oxygen saturation at rest (e.g., pulse oximeter <88% or PaO2 <=55 mm Hg)",
            4: (
                "Life-threatening airway compromise; urgent intervention indicated (e.g., "
                "tracheotomy or intubation)"
            ),
            5: "Death",
        },
        "A disorder characterized by a decrease in the level of oxygen in the body.",
    ),
    Term(
        "vomiting",
        "Vomiting",
        10047700,
        "gastrointestinal",
        {
            1: "Intervention not indicated",
            2: "Outpatient IV hydration; medical intervention indicated",
            3: "Tube feeding, TPN, or hospitalization indicated",
            4: "Life-threatening consequences",
            5: "Death",
        },
        (
            "A disorder characterized by the reflexive act of ejecting the contents of the "
            "stomach through the mouth."
        ),
    ),
    Term(
        "postoperative_hemorrhage",
        "Postoperative hemorrhage",
        10055322,
        "injury",
        {
            1: "Mild symptoms; intervention not indicated",
            2: (
                "Moderate bleeding requiring transfusion < 2 units (10 cc/kg for pediatrics) of "
                "pRBCs"
            ),
            3: (
                "Transfusion indicated of >=2 units (10 cc/kg for pediatrics) pRBCs; invasive "
                "intervention indicated; hospitalization"
            ),
            4: "Life-threatening consequences; urgent intervention indicated",
            5: "Death",
        },
        "A disorder characterized by bleeding occurring after a surgical procedure.",
    ),
    Term(
        "wound_complication",
        "Wound complication",
        10053692,
        "injury",
        {
            1: "Observation only; topical intervention indicated",
            2: "Bedside local care indicated",
            3: "Operative intervention indicated",
            4: "Life-threatening consequences",
            5: "Death",
        },
        "A finding of development of a new problem at the site of an existing wound.",
    ),
)
BY_CODE: dict[str, Term] = {term.code: term for term in TERMS}

# "<SOC> - Other, specify": the MedDRA code and CTCAE name of each SOC's catch-all term.
OTHER_TERMS: dict[str, tuple[int, str]] = {
    "blood": (10005329, "Blood and lymphatic system disorders - Other, specify"),
    "cardiac": (10007541, "Cardiac disorders - Other, specify"),
    "congenital": (10010331, "Congenital, familial and genetic disorders - Other, specify"),
    "ear": (10013993, "Ear and labyrinth disorders - Other, specify"),
    "endocrine": (10014698, "Endocrine disorders - Other, specify"),
    "eye": (10015919, "Eye disorders - Other, specify"),
    "gastrointestinal": (10017947, "Gastrointestinal disorders - Other, specify"),
    "general": (10018065, "General disorders and administration site conditions - Other, specify"),
    "hepatobiliary": (10019805, "Hepatobiliary disorders - Other, specify"),
    "immune": (10021428, "Immune system disorders - Other, specify"),
    "infections": (10021881, "Infections and infestations - Other, specify"),
    "injury": (10022117, "Injury, poisoning and procedural complications - Other, specify"),
    "investigations": (10022891, "Investigations - Other, specify"),
    "metabolism": (10027433, "Metabolism and nutrition disorders - Other, specify"),
    "musculoskeletal": (
        10028395,
        "Musculoskeletal and connective tissue disorder - Other, specify",
    ),
    "neoplasms": (
        10029104,
        "Neoplasms benign, malignant and unspecified (incl cysts and polyps) - Other, specify",
    ),
    "nervous": (10029205, "Nervous system disorders - Other, specify"),
    "pregnancy": (10036585, "Pregnancy, puerperium and perinatal conditions - Other, specify"),
    "psychiatric": (10037175, "Psychiatric disorders - Other, specify"),
    "renal": (10038359, "Renal and urinary disorders - Other, specify"),
    "reproductive": (10038604, "Reproductive system and breast disorders - Other, specify"),
    "respiratory": (10038738, "Respiratory, thoracic and mediastinal disorders - Other, specify"),
    "skin": (10040785, "Skin and subcutaneous tissue disorders - Other, specify"),
    "social": (10041244, "Social circumstances - Other, specify"),
    "surgical": (10042613, "Surgical and medical procedures - Other, specify"),
    "vascular": (10047065, "Vascular disorders - Other, specify"),
}
# The grades of every "Other, specify" term, except the SOCs listed in OTHER_GRADE_EXCEPTIONS.
OTHER_GRADES: dict[int, str] = {
    1: (
        "Asymptomatic or mild symptoms; clinical or diagnostic observations only; intervention not"
        " indicated"
    ),
    2: (
        "Moderate; minimal, local or noninvasive intervention indicated; limiting age-appropriate "
        "instrumental ADL"
    ),
    3: (
        "Severe or medically significant but not immediately life-threatening; hospitalization or "
        "prolongation of existing hospitalization indicated; limiting self care ADL"
    ),
    4: "Life-threatening consequences; urgent intervention indicated",
    5: "Death",
}
OTHER_GRADE_EXCEPTIONS: dict[str, dict[int, str]] = {
    "eye": {
        1: (
            "Asymptomatic or mild symptoms; clinical or diagnostic observations only; intervention"
            " not indicated; no change in vision"
        ),
        2: (
            "Moderate; minimal, local or noninvasive intervention indicated; limiting instrumental"
            " ADL; best corrected visual acuity 20/40 and better or 3 lines or less decreased "
            "vision from known baseline"
        ),
        3: (
            "Severe or medically significant but not immediately sight-threatening; limiting self "
            "care ADL; decrease in visual acuity (best corrected visual acuity worse than 20/40 or"
            " more than 3 lines of decreased vision from known baseline, up to 20/200)"
        ),
        4: (
            "Sight-threatening consequences; urgent intervention indicated; best corrected visual "
            "acuity of 20/200 or worse in the affected eye"
        ),
    },
    "psychiatric": {
        1: (
            "Asymptomatic or mild symptoms; clinical or diagnostic observations only; intervention"
            " not indicated"
        ),
        2: (
            "Moderate; minimal, local or noninvasive intervention indicated; limiting age-"
            "appropriate instrumental ADL"
        ),
        3: (
            "Severe or medically significant but not immediately life-threatening; limiting self "
            "care ADL"
        ),
        4: "Life-threatening consequences; hospitalization or urgent intervention indicated",
        5: "Death",
    },
}


def other_term(soc: str, specified: str) -> Term:
    """The "Other, specify" term of a SOC, named with what the reporter specified."""
    meddra, name = OTHER_TERMS[soc]
    grades = OTHER_GRADE_EXCEPTIONS.get(soc, OTHER_GRADES)
    return Term(OTHER, f"{name}: {specified}", meddra, soc, dict(grades))


def known(code: str) -> bool:
    """Say whether a term code is in the table (or is the "Other, specify" term)."""
    return code == OTHER or code in BY_CODE
