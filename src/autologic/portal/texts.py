"""Where wordings come from: the files Autologic ships, and what each clinic supplied."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import yaml

from autologic.accounts.models import Site
from autologic.outcomes.domain import registry
from autologic.portal.domain import Texts, parse_texts
from autologic.portal.models import InstrumentText, LicenceClearance

SHIPPED_DIR = Path(__file__).parent / "texts"


@cache
def shipped() -> dict[tuple[str, str], Texts]:
    """Every wording file shipped with Autologic, checked, keyed by (instrument, language)."""
    found: dict[tuple[str, str], Texts] = {}
    for path in sorted(SHIPPED_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        instrument = registry.get(str(data["instrument"]))
        if not instrument.licence.ships_item_texts:
            continue  # a licensed wording never ships, even if a file were added by mistake
        texts = parse_texts(data, instrument)
        found[(texts.instrument, texts.language)] = texts
    return found


def wording(site: Site, instrument_id: str, language: str) -> Texts | None:
    """The wording to show: the clinic's own if it supplied one, else the shipped one."""
    instrument = registry.get(instrument_id)
    row = InstrumentText.objects.filter(
        site=site, instrument=instrument.id, language=language, version=instrument.version
    ).first()
    if row is not None:
        return parse_texts(row.content, instrument)
    return shipped().get((instrument.id, language))


def languages(site: Site) -> dict[str, set[str]]:
    """Instrument id to the languages it can be shown in at this site."""
    out: dict[str, set[str]] = {}
    for instrument_id, language in shipped():
        out.setdefault(instrument_id, set()).add(language)
    for instrument_id, language in InstrumentText.objects.filter(site=site).values_list(
        "instrument", "language"
    ):
        out.setdefault(instrument_id, set()).add(language)
    return out


def cleared(site: Site, today: date) -> set[str]:
    """Instruments whose licence the clinic has recorded and which has not lapsed."""
    return {
        instrument
        for instrument, until in LicenceClearance.objects.filter(site=site).values_list(
            "instrument", "valid_until"
        )
        if until is None or until >= today
    }
