"""The procedure record of an injection: local anaesthetic, its dose, and the approach.

Decisions:

- where the protocol gives the injection under local anaesthesia (``injections.anaesthesia``
  ``local`` or ``local_sedation``; seed 000: "injections are performed in the form of local
  anesthesia"), the record names the agent, or says that none was given;
- an agent needs its dose in mg, more than 0 and no more than the maximum single dose its
  label gives for an adult without adrenaline: lidocaine 300 mg (Xylocaine, "the maximum total
  dose [should] not exceed 300 mg"), bupivacaine 175 mg (Marcaine, "175 mg without
  epinephrine"), ropivacaine 200 mg (Naropin, field block: 5–200 mg).  A dose per kilogram
  needs the weight, which the bedside does not record; the ceiling still catches a slip of a
  decimal point;
- the approach is one that fits the protocol's route: interlaminar, transforaminal or caudal
  for an epidural perineural injection (Becker 2007), a joint or tendon approach otherwise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

# Maximum single adult dose (mg) without adrenaline, from each product's label.
MAX_DOSE_MG = {
    "lidocaine": Decimal(300),
    "bupivacaine": Decimal(175),
    "ropivacaine": Decimal(200),
}
NO_ANAESTHETIC = "none"
SPINE_APPROACHES = ("interlaminar", "transforaminal", "caudal")
LIMB_APPROACHES = (
    "anterior",
    "anterolateral",
    "anteromedial",
    "lateral",
    "medial",
    "posterior",
    "superolateral",
)
SPINE_ROUTE = "epidural_perineural"


@dataclass(frozen=True)
class Problem:
    """One refused entry: the field it is about, a code and the reason."""

    field: str
    code: str
    message: str
    data: dict[str, str] = dataclasses.field(default_factory=dict)


def approaches(route: str) -> tuple[str, ...]:
    """The approaches that fit a route."""
    return SPINE_APPROACHES if route == SPINE_ROUTE else LIMB_APPROACHES


def problems(
    *,
    anaesthesia: str,
    route: str,
    anaesthetic: str,
    dose_mg: Decimal | None,
    approach: str,
) -> list[Problem]:
    """Everything wrong with a procedure record, given the protocol's anaesthesia and route."""
    found: list[Problem] = []
    if not anaesthetic:
        if anaesthesia != "none":
            found.append(
                Problem(
                    "anaesthetic",
                    "anaesthetic_missing",
                    "The protocol gives this injection under local anaesthesia: record the "
                    "local anaesthetic, or that none was given.",
                )
            )
    elif anaesthetic == NO_ANAESTHETIC:
        if dose_mg is not None:
            found.append(
                Problem(
                    "anaesthetic_dose_mg",
                    "anaesthetic_dose_without_agent",
                    "A dose was entered but no local anaesthetic was given.",
                )
            )
    elif anaesthetic not in MAX_DOSE_MG:
        found.append(
            Problem(
                "anaesthetic", "anaesthetic_unknown", "Choose a local anaesthetic from the list."
            )
        )
    elif dose_mg is None:
        found.append(
            Problem(
                "anaesthetic_dose_mg",
                "anaesthetic_dose_missing",
                "Enter the dose of the local anaesthetic given, in mg.",
            )
        )
    elif dose_mg <= 0:
        found.append(
            Problem(
                "anaesthetic_dose_mg",
                "anaesthetic_dose_not_positive",
                "The dose must be more than 0 mg.",
            )
        )
    elif dose_mg > MAX_DOSE_MG[anaesthetic]:
        found.append(
            Problem(
                "anaesthetic_dose_mg",
                "anaesthetic_dose_over_maximum",
                f"{dose_mg} mg is more than the maximum single dose of this local anaesthetic "
                f"({MAX_DOSE_MG[anaesthetic]} mg).",
                {"dose": str(dose_mg), "max": str(MAX_DOSE_MG[anaesthetic])},
            )
        )
    if not approach:
        found.append(Problem("approach", "approach_missing", "Record the approach."))
    elif approach not in approaches(route):
        found.append(
            Problem(
                "approach",
                "approach_wrong_route",
                "This approach does not fit the protocol's route.",
            )
        )
    return found
