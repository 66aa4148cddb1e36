"""The coded values of billing, with the words people read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COUNTRIES = [
    ("DE", _("Germany")),
    ("ES", _("Spain")),
    ("AE", _("United Arab Emirates")),
    ("IR", _("Iran")),
]
PER = [
    ("course", _("per course")),
    ("collection", _("per collection")),
    ("injection", _("per injection")),
    ("region_injection", _("per region and injection")),
]
ESTIMATE_STATUSES = [
    ("offered", _("offered")),
    ("accepted", _("accepted")),
    ("superseded", _("replaced by a revision")),
]
ACCEPTANCE = [
    ("paper", _("signed on paper, scan kept")),
    ("in_person", _("signed in person at the front desk")),
    ("online", _("accepted online by the patient, with the name typed")),
]
DUE_EVENTS = [
    ("", _("on a date")),
    ("collection", _("on the day of collection")),
    ("first_injection", _("on the first injection")),
    ("last_injection", _("on the last injection")),
]
SERIES = [
    ("invoice", _("invoice")),
    ("deposit", _("deposit invoice")),
    ("credit", _("credit note")),
    ("receipt", _("receipt")),
]
# Number prefixes per series (a corrective has its own series, billing.md §4).
SERIES_PREFIX = {"invoice": "R", "deposit": "A", "credit": "G", "receipt": "Q"}
CLAIM_CHANNELS = [
    ("direct", _("direct claim by the clinic")),
    ("reimbursement", _("the patient claims reimbursement")),
]
CLAIM_STATES = [
    ("draft", _("draft")),
    ("submitted", _("submitted")),
    ("approved", _("approved")),
    ("partly_approved", _("partly approved")),
    ("rejected", _("rejected")),
    ("paid", _("paid by the insurer")),
]
REMINDER_STEPS = [("before", _("before it falls due")), ("overdue", _("overdue"))]
PAYMENT_METHODS = [
    ("cash", _("cash")),
    ("card", _("card")),
    ("transfer", _("bank transfer")),
    ("insurer", _("insurer")),
    ("refund", _("refund")),
]
# Facts billing.md marks ❓: each is shown with its note until the clinic's adviser confirms it.
OPEN_FACTS = {
    "DE": [
        (
            "goae_analog",
            _(
                "Which GOÄ analog positions to use for ACS and cell injections is not settled "
                "(BÄK analog list, the manufacturer's billing guide)."
            ),
        ),
        (
            "goae_maxima",
            _("The maxima 2.5 (technical) and 1.3 (laboratory) are to be confirmed in § 5 GOÄ."),
        ),
        (
            "section_10_kits",
            _("Whether ACS syringe kits are § 10 expenses is to be confirmed."),
        ),
    ],
    "ES": [
        (
            "exempt_cell_therapy",
            _(
                "Whether art. 20.Uno.3 LIVA exempts cell therapy under an AEMPS authorisation is "
                "to be confirmed (a DGT binding ruling)."
            ),
        ),
        (
            "verifactu_hash",
            _(
                "The fingerprint follows the published examples; read the AEAT hash "
                "specification before going live."
            ),
        ),
    ],
    "AE": [
        (
            "zero_rate",
            _(
                "Whether elective regenerative injections are zero-rated healthcare is to be "
                "confirmed with the FTA; until then invoices charge 5 per cent VAT."
            ),
        ),
    ],
    "IR": [
        (
            "vat",
            _("Whether the 1400 VAT law exempts these treatments is to be confirmed (Art. 9)."),
        ),
        (
            "insurer_share",
            _(
                "The supplementary insurer reimburses the patient on its own tariff: its 30 per "
                "cent is not 30 per cent of this price, and its rounding is not known."
            ),
        ),
        (
            "redenomination",
            _("The new rial's effective dates and ISO code are not yet published."),
        ),
    ],
}
