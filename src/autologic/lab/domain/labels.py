"""Label content, ZPL for Zebra printers, and label reconciliation (FACT-JACIE D7.2.3)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

AUTOLOGOUS = "FOR AUTOLOGOUS USE ONLY"
TEMPLATE = "unit-label"
TEMPLATE_VERSION = 1


@dataclass(frozen=True)
class LabelContent:
    """Everything printed on one unit label (tokens filled into the versioned template)."""

    barcode: str  # Code 128 and DataMatrix data
    eye_readable: str
    check: str  # boxed keyboard-entry check character
    chain: str
    chain_check: str
    patient_name: str
    date_of_birth: str
    mrn: str
    product: str
    volume: str
    expiry: str
    storage: str
    index: str  # "aliquot 2 of 6"


def _zpl_text(value: str) -> str:
    # ^FH lets us escape the three characters ZPL treats as commands inside a field.
    return value.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def zpl(label: LabelContent, copies: int = 1) -> str:
    """Render one label as ZPL II for a 203 dpi printer, 2 × 1.25 inch stock."""
    lines = [
        "^XA",
        "^CI28",  # UTF-8
        "^PW406^LL254^LH0,0",
        "^FO16,12^BY1,2,48^BCN,48,N,N,N^FD" + _zpl_text(label.barcode) + "^FS",
        "^FO300,8^BXN,4,200^FD" + _zpl_text(label.barcode) + "^FS",
        "^FO16,66^A0N,22,22^FH^FD" + _zpl_text(label.eye_readable) + "^FS",
        "^FO230,62^GB28,28,2^FS",
        "^FO236,66^A0N,22,22^FH^FD" + _zpl_text(label.check) + "^FS",
        "^FO16,92^A0N,20,20^FH^FD"
        + _zpl_text(f"{label.patient_name}  {label.date_of_birth}")
        + "^FS",
        "^FO16,114^A0N,18,18^FH^FD" + _zpl_text(f"MRN {label.mrn}  {label.index}") + "^FS",
        "^FO16,136^A0N,18,18^FH^FD" + _zpl_text(f"{label.product} {label.volume}") + "^FS",
        "^FO16,158^A0N,18,18^FH^FD" + _zpl_text(f"EXP {label.expiry}  {label.storage}") + "^FS",
        "^FO16,180^A0N,16,16^FH^FD" + _zpl_text(f"COI {label.chain} [{label.chain_check}]") + "^FS",
        "^FO16,204^GB374,34,2^FS",
        "^FO24,212^A0N,22,22^FD" + AUTOLOGOUS + "^FS",
        f"^PQ{copies}",
        "^XZ",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Reconciliation:
    """Labels of a lot by state, and whether every label is accounted for."""

    counts: dict[str, int]
    balanced: bool
    problem: str


def reconcile(units: list[str], labels: list[tuple[str, str]]) -> Reconciliation:
    """Reconcile a lot: every printed label applied, voided or destroyed; one applied per unit.

    ``units`` are the identifiers of the lot's units; ``labels`` are (unit, state) pairs.
    """
    counts = Counter(state for _unit, state in labels)
    applied = Counter(unit for unit, state in labels if state == "applied")
    problems = []
    if counts["printed"]:
        problems.append(
            f"{counts['printed']} printed label(s) not yet applied, voided or destroyed"
        )
    unlabelled = [unit for unit in units if applied[unit] == 0]
    if unlabelled:
        problems.append(f"{len(unlabelled)} unit(s) without an applied label")
    doubled = [unit for unit in units if applied[unit] > 1]
    if doubled:
        problems.append(f"{len(doubled)} unit(s) with more than one applied label")
    summary = {state: counts[state] for state in ("printed", "applied", "voided", "destroyed")}
    summary["total"] = len(labels)
    return Reconciliation(summary, not problems, "; ".join(problems))
