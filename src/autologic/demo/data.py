"""The demo clinics: Düsseldorf, Tehran and Dubai, staff of every role at each (with their real
names), and generated patients."""

from __future__ import annotations

from datetime import date
from typing import Any

DEMO_PASSWORD = "demo-Autologic-2026"

SITES = [
    {
        "code": "dus",
        "name": "Autologic Demo Clinic Düsseldorf",
        "time_zone": "Europe/Berlin",
        "calendar": "gregorian",
        "currency": "EUR",
        "languages": ["de", "en", "es", "fa"],
        "default_language": "en",
        "mrn_prefix": "D",
    },
    {
        "code": "thr",
        "name": "Autologic Demo Pain Centre Tehran",
        "time_zone": "Asia/Tehran",
        "calendar": "jalali",
        "currency": "IRR",
        "languages": ["fa", "en"],
        "default_language": "fa",
        "mrn_prefix": "T",
    },
    {
        # Seed 002: ACS (Orthokine) in Dubai, conservative treatment first, ultrasound guided.
        "code": "dxb",
        "name": "Autologic Demo Clinic Dubai",
        "time_zone": "Asia/Dubai",
        "calendar": "gregorian",
        "currency": "AED",
        # Arabic is not an interface language yet: the clinic works in English.
        "languages": ["en"],
        "default_language": "en",
        "mrn_prefix": "U",
    },
]

# username, site code, role, given, family, fixed base32 TOTP secret (demo only)
STAFF = [
    ("physician", "dus", "physician", "Anna", "Weber", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXA"),
    ("nurse", "dus", "nurse", "Lucía", "García", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXB"),
    ("labtech", "dus", "lab_technician", "Jonas", "Klein", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXC"),
    ("coordinator", "dus", "coordinator", "Marta", "Novak", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXD"),
    ("billing", "dus", "billing", "Omar", "Haddad", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXE"),
    ("manager", "dus", "manager", "Petra", "Schmidt", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXF"),
    ("admin", "dus", "administrator", "Felix", "Braun", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXG"),
    ("dr.rahimi", "thr", "physician", "سارا", "رحیمی", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXH"),
    ("coord.tehran", "thr", "coordinator", "رضا", "کریمی", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXI"),
    ("nurse.tehran", "thr", "nurse", "مریم", "حسینی", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXJ"),
    ("lab.tehran", "thr", "lab_technician", "امیر", "نوری", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXK"),
    ("billing.tehran", "thr", "billing", "لیلا", "صادقی", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXL"),
    ("manager.tehran", "thr", "manager", "بهرام", "مرادی", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXM"),
    ("admin.tehran", "thr", "administrator", "نسرین", "اکبری", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXN"),
    ("dr.mansoori", "dxb", "physician", "Layla", "Al Mansoori", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXO"),
    ("nurse.dubai", "dxb", "nurse", "Mariam", "Haddad", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"),
    (
        "lab.dubai",
        "dxb",
        "lab_technician",
        "Rashid",
        "Al Shamsi",
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXR",
    ),
    ("coord.dubai", "dxb", "coordinator", "Noura", "Khoury", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXS"),
    ("billing.dubai", "dxb", "billing", "Yousef", "Saleh", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXT"),
    ("manager.dubai", "dxb", "manager", "Huda", "Al Nuaimi", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXU"),
    (
        "admin.dubai",
        "dxb",
        "administrator",
        "Khalid",
        "Al Suwaidi",
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXV",
    ),
    # Researchers read the outcome registry of consenting patients and export it pseudonymised.
    ("researcher", "dus", "researcher", "Lena", "Vogel", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXW"),
    ("research.tehran", "thr", "researcher", "نیلوفر", "جعفری", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXX"),
    ("research.dubai", "dxb", "researcher", "Amal", "Qasim", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXY"),
]

NAMES = {
    "dus": {
        "family": [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Meyer",
            "Wagner",
            "Becker",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Richter",
            "Wolf",
            "Neumann",
            "Schwarz",
            "Zimmermann",
            "Krüger",
            "Hartmann",
            "Lange",
            "Sánchez",
            "López",
            "Yılmaz",
        ],
        "female": [
            "Ursula",
            "Monika",
            "Sabine",
            "Renate",
            "Brigitte",
            "Karin",
            "Elke",
            "Andrea",
            "Claudia",
            "Birgit",
            "Carmen",
            "Ayşe",
        ],
        "male": [
            "Klaus",
            "Peter",
            "Jürgen",
            "Thomas",
            "Wolfgang",
            "Michael",
            "Andreas",
            "Frank",
            "Stefan",
            "Uwe",
            "Javier",
            "Mehmet",
        ],
        "languages": ["de", "de", "de", "en", "es"],
    },
    "thr": {
        "family": [
            "محمدی",
            "حسینی",
            "احمدی",
            "رضایی",
            "موسوی",
            "کریمی",
            "جعفری",
            "صادقی",
            "رحیمی",
            "قاسمی",
            "نوری",
            "کاظمی",
        ],
        "female": ["فاطمه", "زهرا", "مریم", "معصومه", "زینب", "لیلا", "نرگس"],
        "male": ["علی", "محمد", "حسین", "رضا", "مهدی", "حسن", "عباس"],
        "languages": ["fa"],
    },
    "dxb": {
        "family": [
            "Al Mansoori",
            "Al Hashimi",
            "Al Shamsi",
            "Al Nuaimi",
            "Al Falasi",
            "Al Suwaidi",
            "Al Ketbi",
            "Haddad",
            "Khoury",
            "Saleh",
            "Salaya",
            "Farouk",
        ],
        "female": ["Fatima", "Aisha", "Mariam", "Noura", "Layla", "Huda", "Salma"],
        "male": ["Mohammed", "Ahmed", "Khalid", "Omar", "Yousef", "Rashid", "Saeed"],
        "languages": ["en"],
        # Every other patient is registered in Arabic script, as on an Emirates ID.
        "arabic": {
            "Al Mansoori": "المنصوري",
            "Al Hashimi": "الهاشمي",
            "Al Shamsi": "الشامسي",
            "Al Nuaimi": "النعيمي",
            "Al Falasi": "الفلاسي",
            "Al Suwaidi": "السويدي",
            "Al Ketbi": "الكتبي",
            "Haddad": "حداد",
            "Khoury": "خوري",
            "Saleh": "صالح",
            "Salaya": "سلايا",
            "Farouk": "فاروق",
            "Fatima": "فاطمة",
            "Aisha": "عائشة",
            "Mariam": "مريم",
            "Noura": "نورة",
            "Layla": "ليلى",
            "Huda": "هدى",
            "Salma": "سلمى",
            "Mohammed": "محمد",
            "Ahmed": "أحمد",
            "Khalid": "خالد",
            "Omar": "عمر",
            "Yousef": "يوسف",
            "Rashid": "راشد",
            "Saeed": "سعيد",
        },
    },
}
PATIENTS_PER_SITE = {"dus": 50, "thr": 20, "dxb": 20}
# Phone numbers of generated patients: country and area code, and the range of the rest.
PHONES = {
    "dus": ("+49211", 1000000, 9999999),
    "thr": ("+9821", 10000000, 99999999),
    "dxb": ("+97150", 1000000, 9999999),
}


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _knee(side: str, grade: int, read_on: str) -> dict[str, object]:
    return {
        "region": "knee",
        "side": side,
        "detail": "",
        "diagnosis": "osteoarthritis",
        "grade_system": "KL",
        "grade": grade,
        "grade_reader": "Dr. Radiologie Nord",
        "grade_read_on": _day(read_on),
        "grade_notes": "",
    }


def _failed(treatment: str, started: str, ended: str, notes: str) -> dict[str, object]:
    """A conservative treatment tried first that did not help (seed 002)."""
    return {
        "treatment": treatment,
        "started_on": _day(started),
        "ended_on": _day(ended),
        "result": "failed",
        "notes": notes,
    }


def _header(on: str, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "assessed_on": _day(on),
        "complaint": "",
        "comorbidities": [],
        "comorbidity_notes": "",
        "anaesthesia_risk": "ASA2",
        "avoids_surgery": False,
        "notes": "",
    }
    return {**base, **extra}


# The first patients of each demo clinic get these assessments (one per patient, in order).
ASSESSMENTS: list[dict[str, Any]] = [
    {
        "assessment": _header("2026-11-02", complaint="Knee pain on stairs for two years."),
        "regions": [_knee("left", 2, "2026-10-28")],
        # Conservative treatment first (seed 002): physiotherapy for three months did not help.
        "records": {
            "conservative": [
                {
                    "treatment": "physiotherapy",
                    "started_on": _day("2026-06-01"),
                    "ended_on": _day("2026-08-31"),
                    "result": "failed",
                    "notes": "Twice a week; pain on stairs unchanged.",
                },
                {
                    "treatment": "nsaid",
                    "started_on": _day("2026-05-01"),
                    "ended_on": _day("2026-06-15"),
                    "result": "failed",
                    "notes": "Ibuprofen; stopped for dyspepsia.",
                },
            ]
        },
    },
    {
        "assessment": _header(
            "2026-11-05",
            complaint="Severe knee pain; refuses joint replacement.",
            avoids_surgery=True,
            anaesthesia_risk="ASA3",
            comorbidities=["cardiovascular"],
        ),
        "regions": [_knee("right", 4, "2026-10-30"), _knee("left", 3, "2026-10-30")],
        "records": {
            "conservative": [
                _failed("physiotherapy", "2026-03-02", "2026-06-26", "Pain at rest unchanged."),
                _failed("hyaluronic_acid_injection", "2026-07-06", "2026-09-28", "No relief."),
            ],
            "medication": [
                {"name": "Apixaban 5 mg", "drug_class": "anticoagulant", "dose": "2 x daily"},
                {"name": "Ibuprofen 400 mg", "drug_class": "nsaid", "dose": "as needed"},
            ],
        },
    },
    {
        "assessment": _header("2026-11-10", complaint="Hip pain, mild OA on X-ray."),
        "regions": [
            {
                "region": "hip",
                "side": "right",
                "detail": "",
                "diagnosis": "osteoarthritis",
                "grade_system": "KL",
                "grade": 2,
                "grade_reader": "Dr. Radiologie Nord",
                "grade_read_on": _day("2026-11-08"),
                "grade_notes": "",
            }
        ],
        "records": {
            "medication": [{"name": "Diclofenac 75 mg", "drug_class": "nsaid", "dose": "daily"}],
            "study": [
                {
                    "kind": "blood_tests",
                    "performed_on": _day("2026-11-08"),
                    "result": "normal",
                    "result_text": "CBC, CRP, coagulation normal",
                }
            ],
            "imaging": [
                {
                    "modality": "mri",
                    "region": "hip",
                    "side": "right",
                    "performed_on": _day("2026-11-08"),
                    "findings": "Mild cartilage thinning, no avascular necrosis.",
                }
            ],
        },
    },
    {
        "assessment": _header("2026-11-12", complaint="Radicular pain L5 right."),
        "regions": [
            {
                "region": "spine_lumbar",
                "side": "",
                "detail": "L4/L5",
                "diagnosis": "radicular_pain",
                "grade_system": "",
                "grade": None,
                "grade_reader": "",
                "grade_read_on": None,
                "grade_notes": "",
            }
        ],
    },
]

ASSESSMENTS.append(
    {
        "assessment": _header(
            "2026-11-03", complaint="Knee OA after meniscectomy; wants a cell therapy."
        ),
        "regions": [_knee("right", 3, "2026-10-29")],
        "records": {
            "study": [
                {
                    "kind": kind,
                    "performed_on": _day("2026-11-04"),
                    "result": "normal",
                    "result_text": text,
                }
                for kind, text in (
                    ("serology", "HIV, HBV, HCV, syphilis negative"),
                    ("chest_xray", "No findings"),
                    ("ecg", "Sinus rhythm"),
                    ("blood_tests", "CBC, coagulation normal"),
                    ("joint_xray", "KL 3, medial joint space narrowing"),
                    ("cartigram_mri", "T2 mapping: medial femoral cartilage loss"),
                )
            ],
            "authorisation": [
                {
                    "agency": "AEMPS",
                    "reference": "AEMPS-UA-2026-0417",
                    "scope": "bm-msc-knee",
                    "requested_on": _day("2026-10-20"),
                    "granted_on": _day("2026-11-06"),
                    "expires_on": _day("2027-11-06"),
                }
            ],
        },
    }
)

# More knee patients for ACS, each after conservative treatment that failed (seed 002: "we will
# usually recommend alternative treatment methods - should these prove ineffective ..."): with
# the first ones they give every demo lab a lot at each stage.
ASSESSMENTS.extend(
    {
        "assessment": _header(on, complaint=complaint),
        "regions": [_knee(side, grade, on)],
        "records": {"conservative": treatments},
    }
    for on, complaint, side, grade, treatments in (
        (
            "2026-11-09",
            "Chronic knee osteoarthritis for years; stairs and kneeling hurt.",
            "right",
            3,
            [
                _failed("physiotherapy", "2026-04-06", "2026-07-03", "Three months, no change."),
                _failed("analgesics", "2026-04-06", "2026-09-30", "Paracetamol; pain at night."),
            ],
        ),
        (
            "2026-11-11",
            "Knee pain after running; early osteoarthritis.",
            "left",
            2,
            [
                _failed("exercise", "2026-05-04", "2026-08-28", "Home programme, pain unchanged."),
                _failed("brace", "2026-06-01", "2026-09-01", "Unloader brace, little help."),
            ],
        ),
        (
            "2026-11-13",
            "Knee osteoarthritis; the corticosteroid injection helped for two weeks only.",
            "right",
            2,
            [
                _failed("corticosteroid_injection", "2026-07-01", "2026-08-15", "Two weeks."),
                _failed("physiotherapy", "2026-08-17", "2026-10-30", "Ten sessions."),
            ],
        ),
    )
)

# The demo clinics also open on weekend mornings, so whatever day the demo starts, its "today"
# has sessions to walk through.
_WEEKEND = {"sat-sun": "09:00-13:00"}
_WEEKDAYS = {"mon-fri": "08:00-18:00", **_WEEKEND}
_LAB = {"mon-fri": "07:30-18:30", "sat-sun": "08:00-14:00"}
_IRAN_WEEK = {"sat-wed": "08:00-16:00", "thu": "08:00-12:00", "fri": "09:00-13:00"}
# Dubai: Monday to Friday with the Friday prayer break, and the weekend.
_GULF_WEEK = {"mon-thu": "08:00-18:00", "fri": "08:00-12:00, 14:30-18:00", "sat-sun": "09:00-17:00"}

# Per site: (code, kind, name, capacity, capabilities, weekly hours, staff username or "").
RESOURCES: dict[str, list[tuple[str, str, str, int, list[str], dict[str, str], str]]] = {
    "dus": [
        (
            "room-1",
            "room",
            "Procedure room 1 (C-arm)",
            1,
            ["ultrasound", "fluoroscopy"],
            _WEEKDAYS,
            "",
        ),
        ("room-2", "room", "Procedure room 2 (ultrasound)", 1, ["ultrasound"], _WEEKDAYS, ""),
        (
            "dr-weber",
            "clinician",
            "Dr. Anna Weber",
            1,
            ["ultrasound", "fluoroscopy", "harvest"],
            {"mon-fri": "08:00-17:00", **_WEEKEND},
            "physician",
        ),
        (
            "dr-keller",
            "clinician",
            "Dr. Jan Keller",
            1,
            ["ultrasound", "harvest"],
            {"mon-thu": "09:00-18:00"},
            "",
        ),
        (
            "dr-lopez",
            "clinician",
            "Dr. Elena López",
            1,
            ["ultrasound", "fluoroscopy"],
            {"tue-fri": "08:00-14:00"},
            "",
        ),
        ("incubator-1", "incubator", "Incubator 1 (37 °C)", 24, [], {}, ""),
        ("incubator-2", "incubator", "Incubator 2 (37 °C)", 24, [], {}, ""),
        ("centrifuge-1", "centrifuge", "Centrifuge", 1, [], _LAB, ""),
        ("freezer-1", "freezer", "Freezer −20 °C", 400, [], {}, ""),
        ("culture-1", "culture", "GMP culture bank", 8, [], {}, ""),
    ],
    "thr": [
        (
            "room-1",
            "room",
            "اتاق عمل ۱ (فلوروسکوپی)",
            1,
            ["ultrasound", "fluoroscopy"],
            _IRAN_WEEK,
            "",
        ),
        (
            "dr-rahimi",
            "clinician",
            "دکتر سارا رحیمی",
            1,
            ["ultrasound", "fluoroscopy", "harvest"],
            _IRAN_WEEK,
            "dr.rahimi",
        ),
        ("incubator-1", "incubator", "انکوباتور ۱", 24, [], {}, ""),
        ("centrifuge-1", "centrifuge", "سانتریفیوژ", 1, [], _IRAN_WEEK, ""),
        ("freezer-1", "freezer", "فریزر ۲۰- درجه", 200, [], {}, ""),
    ],
    "dxb": [
        ("room-1", "room", "Procedure room 1 (ultrasound)", 1, ["ultrasound"], _GULF_WEEK, ""),
        (
            "room-2",
            "room",
            "Procedure room 2 (C-arm)",
            1,
            ["ultrasound", "fluoroscopy"],
            _GULF_WEEK,
            "",
        ),
        (
            "dr-mansoori",
            "clinician",
            "Dr. Layla Al Mansoori",
            1,
            ["ultrasound", "fluoroscopy", "harvest"],
            _GULF_WEEK,
            "dr.mansoori",
        ),
        ("incubator-1", "incubator", "Incubator 1 (37 °C)", 24, [], {}, ""),
        ("centrifuge-1", "centrifuge", "Centrifuge", 1, [], _GULF_WEEK, ""),
        ("freezer-1", "freezer", "Freezer −20 °C", 200, [], {}, ""),
    ],
}
CLOSED_DAYS: dict[str, list[tuple[str, str]]] = {
    "dus": [
        ("2026-12-24", "Christmas Eve"),
        ("2026-12-25", "Christmas Day"),
        ("2026-12-31", "New Year's Eve"),
        ("2027-01-01", "New Year's Day"),
        ("2027-03-26", "Good Friday"),
        ("2027-03-29", "Easter Monday"),
    ],
    "thr": [
        ("2027-03-21", "نوروز"),
        ("2027-03-22", "نوروز"),
        ("2027-03-23", "نوروز"),
        ("2027-03-24", "نوروز"),
    ],
    "dxb": [
        ("2027-01-01", "New Year's Day"),
        # Eid al-Fitr 2027 as expected; the clinic confirms it after the moon sighting.
        ("2027-03-10", "Eid al-Fitr"),
        ("2027-03-11", "Eid al-Fitr"),
        ("2027-03-12", "Eid al-Fitr"),
    ],
}
# Demo patients (by position) whose assessment is signed for a protocol and started as a course.
# At each clinic the ACS courses, in this order, get the demo lab's lots: released (its first
# injection is today), failed QC awaiting QA, awaiting QC, incubating, just collected.
_ACS = [(0, "acs-large-joint"), (1, "acs-large-joint"), (3, "acs-spine")]
_MORE_ACS = [(5, "acs-large-joint"), (6, "acs-large-joint"), (7, "acs-large-joint")]
COURSES: dict[str, list[tuple[int, str]]] = {
    "dus": [*_ACS, (4, "bm-msc-knee"), *_MORE_ACS],
    "thr": [*_ACS, *_MORE_ACS],
    "dxb": [*_ACS, *_MORE_ACS],
}

# How each demo clinic bills (billing.md): the German clinic by GOÄ items, Tehran by its own
# price range for the hip course (seed 004: 12–20 million tomans), shown in tomans, with a
# deposit before the harvest; Dubai by the protocol's AED prices with 5 % VAT until the zero
# rate is confirmed. Every ❓ fact stays unconfirmed, so the pages show its note.
BILLING = {
    "dus": {
        "country": "DE",
        "legal_name": "Autologic Demo MVZ Düsseldorf GmbH",
        "tax_id": "103/5555/0815",
        "address": "Königsallee 1\n40212 Düsseldorf",
    },
    "thr": {
        "country": "IR",
        "legal_name": "درمانگاه نمایشی درد تهران",
        "tax_id": "10103456789",
        "address": "تهران، خیابان ولیعصر، پلاک ۱",
        "show_tomans": True,
        "deposit_gate": True,
    },
    "dxb": {
        "country": "AE",
        "legal_name": "Autologic Demo Clinic Dubai LLC",
        "tax_id": "100345678900003",
        "address": "Dubai Healthcare City, Building 64, Dubai",
    },
}
# GOÄ items the Düsseldorf clinic bills an ACS course by (points: billing.md §2.1 and the GOÄ
# schedule; which analog position fits ACS is ❓ there and shown as such).
GOAE_ACS = [
    ("1", {"en": "Consultation", "de": "Beratung"}, "course", 80),
    (
        "5",
        {"en": "Symptom-related examination", "de": "Symptombezogene Untersuchung"},
        "course",
        80,
    ),
    ("284", {"en": "Autologous blood treatment", "de": "Eigenblutbehandlung"}, "collection", 90),
    (
        "255",
        {"en": "Intra-articular injection", "de": "Intraartikuläre Injektion"},
        "region_injection",
        95,
    ),
]
# § 10 GOÄ expenses the Düsseldorf clinic lists (whether ACS kits qualify is ❓ in billing.md).
GOAE_EXPENSES = [
    ("acs-kit", {"en": "ACS syringe kit", "de": "ACS-Spritzenset"}, "collection", "180.00"),
]
# Seed 004's price range for the hip course, in rials (12–20 million tomans).
HIP_RANGE_RIALS = (120_000_000, 200_000_000)
