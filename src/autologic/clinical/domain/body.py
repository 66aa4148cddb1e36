"""Height, weight and the body-mass index of an assessment.

BMI = weight (kg) / height (m)², as the WHO defines it; shown to one decimal, stored as the
two measurements.  Plausible adult ranges refuse a slip of the keyboard (170 typed as 17), not
an unusual patient: height 100–230 cm, weight 25–350 kg.
"""

from __future__ import annotations

from decimal import Decimal

from autologic.common.domain.errors import ValidationFailed

HEIGHT_CM = (100, 230)
WEIGHT_KG = (Decimal(25), Decimal(350))


def bmi(height_cm: int | None, weight_kg: Decimal | float | None) -> float | None:
    """The body-mass index, or None unless both measurements are known."""
    if height_cm is None or weight_kg is None:
        return None
    metres = height_cm / 100
    return float(weight_kg) / (metres * metres)


def check_body(height_cm: int | None, weight_kg: Decimal | None) -> None:
    """Refuse an implausible height or weight, naming the field."""
    if height_cm is not None and not HEIGHT_CM[0] <= height_cm <= HEIGHT_CM[1]:
        raise ValidationFailed(
            "height_out_of_range",
            f"Height {height_cm} cm is outside {HEIGHT_CM[0]}–{HEIGHT_CM[1]} cm.",
            "height_cm",
        )
    if weight_kg is not None and not WEIGHT_KG[0] <= weight_kg <= WEIGHT_KG[1]:
        raise ValidationFailed(
            "weight_out_of_range",
            f"Weight {weight_kg} kg is outside {WEIGHT_KG[0]}–{WEIGHT_KG[1]} kg.",
            "weight_kg",
        )
