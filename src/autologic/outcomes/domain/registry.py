"""Every instrument Autologic scores, found by id or alias, and which apply to a body region."""

from __future__ import annotations

from autologic.common.domain.errors import ValidationFailed
from autologic.outcomes.domain.follow_up import FOLLOWUP
from autologic.outcomes.domain.function_indices import NDI, QUICKDASH
from autologic.outcomes.domain.koos_hoos import FAOS, HOOS, KOOS
from autologic.outcomes.domain.short_forms import HOOS_JR, HOOS_PS, KOOS_JR, KOOS_PS
from autologic.outcomes.domain.single import IKDC, NRS, ODI, PGA, VAS
from autologic.outcomes.domain.types import Instrument
from autologic.outcomes.domain.womac import WOMAC

INSTRUMENTS: dict[str, Instrument] = {
    i.id: i
    for i in (
        KOOS,
        HOOS,
        FAOS,
        WOMAC,
        KOOS_JR,
        HOOS_JR,
        KOOS_PS,
        HOOS_PS,
        NRS,
        VAS,
        PGA,
        ODI,
        NDI,
        QUICKDASH,
        IKDC,
        FOLLOWUP,
    )
}
_ALIASES = {alias: i.id for i in INSTRUMENTS.values() for alias in i.aliases}


def known(instrument_id: str) -> bool:
    """True for an instrument id or alias Autologic can score."""
    return instrument_id.upper() in INSTRUMENTS or instrument_id.upper() in _ALIASES


def get(instrument_id: str) -> Instrument:
    """The instrument with this id or alias (case-insensitive); refuses an unknown one."""
    key = instrument_id.upper().replace("-", "_")
    found = INSTRUMENTS.get(key) or INSTRUMENTS.get(_ALIASES.get(key, ""))
    if found is None:
        raise ValidationFailed(
            "unknown_instrument",
            f"unknown instrument {instrument_id!r}; known: {', '.join(INSTRUMENTS)}.",
            field="instrument",
        )
    return found


def applies(instrument: Instrument, region: str) -> bool:
    """True when the instrument is meant for this body region (generic scales fit every one)."""
    return "any" in instrument.joints or region in instrument.joints


def for_region(instrument_ids: list[str], region: str) -> list[str]:
    """The protocol's instruments that fit this region, as canonical ids, in protocol order."""
    chosen: list[str] = []
    for instrument_id in instrument_ids:
        instrument = get(instrument_id)
        if applies(instrument, region) and instrument.id not in chosen:
            chosen.append(instrument.id)
    return chosen


def for_timepoint(instrument_ids: list[str], region: str, offset_days: int) -> list[str]:
    """What a timepoint asks of one region: the protocol's instruments that fit it, and at
    every follow-up after the anchor that asks questionnaires, the follow-up questions too."""
    chosen = for_region(instrument_ids, region)
    if chosen and offset_days > 0 and FOLLOWUP.id not in chosen:
        chosen.append(FOLLOWUP.id)
    return chosen
