"""Label content, ZPL for Zebra printers, and label reconciliation (FACT-JACIE D7.2.3)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

AUTOLOGOUS = "FOR AUTOLOGOUS USE ONLY"
BIOHAZARD = "☣ BIOHAZARD: reactive infectious-disease marker"
NOT_EVALUATED = "NOT EVALUATED FOR INFECTIOUS SUBSTANCES"
TEMPLATE = "unit-label"
TEMPLATE_VERSION = 2  # v2: divisions, collection time and zone, facility, storage, statements

# The label stock: 100 × 50 mm (4 × 2 in), the common Zebra stock for products; the ZPL mirrors
# the PDF at 203 dpi (8 dots per mm).
WIDTH_MM, HEIGHT_MM = 100.0, 50.0
DOTS_PER_MM = 8
# The zones of the template, in mm from the top left: barcodes above, text in its own box below,
# statements in the bottom band. Text never enters a barcode's box (quiet zones included).
MARGIN_MM = 2.0
LINEAR_BOX = (MARGIN_MM, MARGIN_MM, 66.0, 12.0)  # x, y, width, height (with quiet zones)
MATRIX_BOX = (WIDTH_MM - MARGIN_MM - 18.0, MARGIN_MM, 18.0, 18.0)
IDENTIFIER_BOX = (MARGIN_MM, 14.5, 64.0, 5.5)
TEXT_BOX = (MARGIN_MM, 21.0, WIDTH_MM - 2 * MARGIN_MM, 19.5)
STATEMENT_BOX = (MARGIN_MM, 41.0, WIDTH_MM - 2 * MARGIN_MM, 7.0)
FONT_SIZES_PT = (7.0, 6.5, 6.0, 5.5, 5.0, 4.5)  # largest first; the first that fits is used


@dataclass(frozen=True)
class LabelContent:
    """Everything printed on one unit label (tokens filled into the versioned template)."""

    barcode: str  # the DataMatrix: the unit's one-scan message
    linear: str  # the Code 128: the same message (internal), the DIN alone (ISBT 128)
    eye_readable: str  # DIN and division, grouped
    check: str  # boxed keyboard-entry check character
    chain: str
    chain_check: str
    patient_name: str
    date_of_birth: str
    mrn: str
    product_code: str
    product_name: str
    volume: str
    index: str  # "2/6"
    collected: str  # local date and time with the zone
    facility: str
    expiry: str
    storage: str  # the temperature, never the word "fresh"
    statements: tuple[str, ...] = (AUTOLOGOUS,)
    language: str = "en"

    @property
    def right_to_left(self) -> bool:
        """True for a label in Persian or Arabic."""
        return self.language[:2] in ("fa", "ar", "he", "ur")


def statements(infectious: str) -> tuple[str, ...]:
    """The label's statements: autologous use always, and what the donation's markers say."""
    found = {"reactive": (BIOHAZARD,), "not_evaluated": (NOT_EVALUATED,)}.get(infectious, ())
    return (AUTOLOGOUS, *found)


def _celsius(value: float) -> str:
    return f"{value:g}".replace("-", "\u2212") + " °C"


def storage_text(condition: str, low: float | None, high: float | None) -> str:
    """The storage temperature to print: the protocol's range, or the class it names.

    Products of protocols that state no temperature are printed with the range of their class:
    controlled room temperature 15-25 °C for fresh and ambient, 2-8 °C refrigerated, and at or
    below -18 °C frozen (docs/adr/0006).
    """
    if low is not None and high is not None:
        return f"{_celsius(low)} – {_celsius(high)}"
    if high is not None:
        return f"≤ {_celsius(high)}"
    if low is not None:
        return f"≥ {_celsius(low)}"
    return {
        "frozen": f"≤ {_celsius(-18)}",
        "refrigerated": f"{_celsius(2)} – {_celsius(8)}",
    }.get(condition, f"{_celsius(15)} – {_celsius(25)}")


def _zpl_text(value: str) -> str:
    # ^FH lets us escape the three characters ZPL treats as commands inside a field.
    return value.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def _dots(mm: float) -> int:
    return round(mm * DOTS_PER_MM)


Line = tuple[bool, tuple[tuple[str, str], ...]]  # bold?, (caption, value) pairs


def text_lines(label: LabelContent, captions: dict[str, str]) -> list[Line]:
    """The text box's lines in order: bold or not, and (caption, value) pairs (PDF and ZPL)."""
    c = captions
    return [
        (True, (("", label.product_name), ("", label.product_code))),
        (True, (("", label.patient_name), (c["dob"], label.date_of_birth), (c["mrn"], label.mrn))),
        (False, ((c["unit"], label.index), ("", label.volume), (c["expires"], label.expiry))),
        (False, ((c["collected"], label.collected), (c["facility"], label.facility))),
        (False, ((c["store"], label.storage), ("CoI", f"{label.chain} [{label.chain_check}]"))),
    ]


def plain(line: Line) -> str:
    """One line as plain text: captions and values, parts joined by a middle dot."""
    return " · ".join(f"{caption} {value}".strip() for caption, value in line[1] if value)


def zpl(label: LabelContent, captions: dict[str, str], font_pt: float, copies: int = 1) -> str:
    """Render one label as ZPL II for a 203 dpi printer on 100 × 50 mm stock.

    The same zones and the same text as the PDF, at the font size the PDF fitted. Text lines are
    field blocks (^FB) that wrap inside the text box; ^PA turns on the printer's bidirectional
    layout and shaping for Persian and Arabic (Advanced Text Layout), with a Unicode font.
    """
    height = max(12, round(font_pt / 72 * 25.4 * DOTS_PER_MM * 1.05))
    align = "R" if label.right_to_left else "L"
    lx, ly, lw, lh = (_dots(v) for v in LINEAR_BOX)
    mx, my, mw, mh = (_dots(v) for v in MATRIX_BOX)
    ix, iy, _iw, _ih = (_dots(v) for v in IDENTIFIER_BOX)
    tx, ty, tw, th = (_dots(v) for v in TEXT_BOX)
    sx, sy, sw, sh = (_dots(v) for v in STATEMENT_BOX)
    lines = [
        "^XA",
        "^CI28",  # UTF-8
        "^PA0,1,1,1",  # bidirectional layout, character shaping, OpenType features
        "^CWZ,E:TT0003M_.TTF",  # Swiss 721 Unicode, as font Z
        f"^PW{_dots(WIDTH_MM)}^LL{_dots(HEIGHT_MM)}^LH0,0",
        f"^FO{lx + 20},{ly}^BY2,3,{lh - 8}^BCN,{lh - 8},N,N,N^FD{_zpl_text(label.linear)}^FS",
        f"^FO{mx + 12},{my + 12}^BXN,4,200^FD{_zpl_text(label.barcode)}^FS",
        f"^FO{ix},{iy}^A0N,34,30^FH^FD{_zpl_text(label.eye_readable)}^FS",
        f"^FO{ix + 400},{iy - 2}^GB36,38,2^FS",
        f"^FO{ix + 408},{iy}^A0N,34,30^FH^FD{_zpl_text(label.check)}^FS",
    ]
    # One field block for the whole text box: ZPL breaks lines at \& and wraps inside it.
    block = "\\&".join(_zpl_text(plain(line)) for line in text_lines(label, captions))
    lines.append(
        f"^FO{tx},{ty}^AZN,{height},{height}^FB{tw},{th // height},0,{align}^FH^FD{block}^FS"
    )
    said = "\\&".join(_zpl_text(captions.get(s, s)) for s in label.statements)  # a line each
    lines += [
        f"^FO{sx},{sy}^GB{sw},{sh},2^FS",
        f"^FO{sx + 8},{sy + 8}^AZN,{height},{height}^FB{sw - 16},2,0,C^FH^FD{said}^FS",
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


@dataclass(frozen=True)
class LabelProblem:
    """One reason a lot's labels do not reconcile, in words (the catalogues hold these)."""

    message: str


def reconcile(units: list[str], labels: list[tuple[str, str]]) -> Reconciliation:
    """Reconcile a lot: every printed label applied, voided or destroyed; one applied per unit.

    ``units`` are the identifiers of the lot's units; ``labels`` are (unit, state) pairs.
    """
    counts = Counter(state for _unit, state in labels)
    applied = Counter(unit for unit, state in labels if state == "applied")
    problems = []
    if counts["printed"]:
        printed = counts["printed"]
        problems.append(
            LabelProblem(f"{printed} printed label(s) not yet applied, voided or destroyed").message
        )
    unlabelled = [unit for unit in units if applied[unit] == 0]
    if unlabelled:
        units_unlabelled = len(unlabelled)
        problems.append(
            LabelProblem(f"{units_unlabelled} unit(s) without an applied label").message
        )
    doubled = [unit for unit in units if applied[unit] > 1]
    if doubled:
        units_doubled = len(doubled)
        problems.append(
            LabelProblem(f"{units_doubled} unit(s) with more than one applied label").message
        )
    summary = {state: counts[state] for state in ("printed", "applied", "voided", "destroyed")}
    summary["total"] = len(labels)
    return Reconciliation(summary, not problems, "; ".join(problems))
