"""The demo clinics: two sites, staff for every role, and generated patients."""

from __future__ import annotations

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
    ("dr.rahimi", "thr", "physician", "Sara", "Rahimi", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXH"),
    ("coord.tehran", "thr", "coordinator", "Reza", "Karimi", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXI"),
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
}
PATIENTS_PER_SITE = {"dus": 50, "thr": 20}
