"""Unit labels: the content from the database, a PDF (WeasyPrint) and the ZPL file drop.

Text is laid out by WeasyPrint, which shapes it with HarfBuzz through Pango and orders mixed
directions with the Unicode bidi algorithm: Persian and Arabic names print joined and in logical
order, never reversed. Every label is laid out at the largest font size whose text stays inside
its own zones; the barcodes have zones of their own, so text can never run over them, and a
label whose text cannot fit even at the smallest size is refused, never printed cut
(docs/adr/0006).
"""

from __future__ import annotations

import base64
import html
import os
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from pystrich.datamatrix import DataMatrixEncoder
from reportlab.graphics import renderSVG
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from autologic.common.domain.errors import ValidationFailed
from autologic.common.domain.identifiers import check_character, donation_of, parse
from autologic.lab.domain.labels import (
    FONT_SIZES_PT,
    HEIGHT_MM,
    IDENTIFIER_BOX,
    LINEAR_BOX,
    MATRIX_BOX,
    STATEMENT_BOX,
    TEXT_BOX,
    WIDTH_MM,
    LabelContent,
    statements,
    storage_text,
    text_lines,
    zpl,
)
from autologic.lab.models import Unit

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")  # Debian fonts-dejavu-core (make labeltools)
# Fonts that tell 0 from O and 1 from I (ST-001 §7.5); DejaVu Sans also covers Persian and
# Arabic. reportlab's built-in Vera is the wristbands' fallback when the system has no DejaVu.
_FONT_FILES = {
    "Label": ("DejaVuSans.ttf", "Vera.ttf"),
    "LabelBold": ("DejaVuSans-Bold.ttf", "VeraBd.ttf"),
    "LabelMono": ("DejaVuSansMono-Bold.ttf", "VeraMoBd.ttf"),
}
PX_PER_MM = 96 / 25.4  # WeasyPrint lays out in CSS pixels
MODULE_MM = 0.5  # a DataMatrix module: 4 dots at 203 dpi
ZONES = {
    "linear": LINEAR_BOX,
    "matrix": MATRIX_BOX,
    "identifier": IDENTIFIER_BOX,
    "text": TEXT_BOX,
    "statements": STATEMENT_BOX,
}


def register_fonts() -> None:
    """Register the label fonts with reportlab once (the wristbands draw with reportlab)."""
    for name, (system, bundled) in _FONT_FILES.items():
        if name in pdfmetrics.getRegisteredFontNames():
            continue
        path = DEJAVU / system
        pdfmetrics.registerFont(TTFont(name, str(path) if path.exists() else bundled))


@dataclass(frozen=True)
class Printable:
    """One label to print, with the unit it belongs to."""

    unit_id: int
    content: LabelContent


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """A date and time in the clinic's zone, with the zone named (FACT: "with time zone")."""
    local = moment.astimezone(zone)
    name = local.tzname() or ""
    return f"{local:%Y-%m-%d %H:%M} {name if name.isalpha() else 'UTC' + name}"


def content_for(unit: Unit) -> LabelContent:
    """Fill the label template's tokens from a unit, its chain, patient, lot and protocol."""
    chain = unit.chain
    patient = chain.patient
    collection = unit.collection
    product = collection.course.plan.product
    site = unit.site
    zone = ZoneInfo(site.time_zone)
    language = site.default_language or "en"
    identifier = parse(unit.identifier + unit.flags)
    linear = identifier.barcode
    if identifier.scheme.value == "isbt128" and identifier.division:
        linear = donation_of(identifier).barcode  # the compound is for the DataMatrix only
    volume = f"{unit.volume_ml:g} mL" if unit.volume_ml else ""
    if unit.cells_million:
        volume = f"{volume} {unit.cells_million:g}×10⁶ cells".strip()
    storage = product.storage
    return LabelContent(
        barcode=identifier.barcode,
        linear=linear,
        eye_readable=identifier.eye_readable,
        check=identifier.check,
        chain=chain.identifier,
        chain_check=check_character(chain.identifier),
        patient_name=f"{patient.family_name.upper()}, {patient.given_name}",
        date_of_birth=patient.date_of_birth.isoformat(),
        mrn=patient.mrn,
        product_code=product.code,
        product_name=product.name.get(language),
        volume=volume,
        index=f"{unit.index}/{unit.of}",
        collected=_local(collection.collected_at, zone),
        facility=f"{site.name} ({site.facility_code})",
        expiry=_local(unit.expires_at, zone) if unit.expires_at else "",
        storage=storage_text(
            storage.condition, storage.temperature_min_c, storage.temperature_max_c
        ),
        statements=statements(collection.infectious),
        language=language,
    )


def captions(language: str) -> dict[str, str]:
    """The label's captions and statements in its language (English where not translated)."""
    with translation.override(language):
        return {
            "dob": gettext("DOB"),
            "mrn": gettext("MRN"),
            "unit": gettext("Unit"),
            "expires": gettext("EXP"),
            "collected": gettext("Collected"),
            "facility": gettext("Facility"),
            "store": gettext("Store at"),
            "FOR AUTOLOGOUS USE ONLY": gettext("FOR AUTOLOGOUS USE ONLY"),
            "☣ BIOHAZARD: reactive infectious-disease marker": gettext(
                "☣ BIOHAZARD: reactive infectious-disease marker"
            ),
            "NOT EVALUATED FOR INFECTIOUS SUBSTANCES": gettext(
                "NOT EVALUATED FOR INFECTIOUS SUBSTANCES"
            ),
        }


def _svg(kind: str, value: str, **options: Any) -> tuple[str, float, float]:
    """A barcode as an SVG data URI with its size in points (drawn at exactly that size)."""
    drawing = createBarcodeDrawing(kind, value=value, **options)
    data = renderSVG.drawToString(drawing).encode()
    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode()
    return uri, drawing.width, drawing.height


def linear_barcode(value: str) -> tuple[str, float, float]:
    """The Code 128 symbol: 0.25 mm bars, 9 mm high, 2.5 mm quiet zones."""
    return _svg(
        "Code128",
        value,
        barWidth=0.25 * mm,
        barHeight=9 * mm,
        humanReadable=False,
        quiet=True,
        lquiet=2.5 * mm,
        rquiet=2.5 * mm,
    )


def matrix_barcode(value: str) -> tuple[str, float, float]:
    """The ECC 200 DataMatrix symbol (smallest square that holds the value), 0.5 mm modules.

    Encoded by pystrich (reportlab's encoder only makes one fixed size); drawn as one path, with
    the two-module quiet zone.
    """
    cells = DataMatrixEncoder(value).init_renderer().matrix
    rows, cols = len(cells), len(cells[0])
    path = "".join(
        f"M{x} {y}h1v1h-1z" for y, row in enumerate(cells) for x, on in enumerate(row) if on
    )
    side = MODULE_MM * mm
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{cols * side}" height="{rows * side}" '
        f'viewBox="0 0 {cols} {rows}" shape-rendering="crispEdges">'
        f'<rect width="{cols}" height="{rows}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return uri, cols * side, rows * side


def _box(name: str) -> str:
    x, y, w, h = ZONES[name]
    return f"#{name}{{position:absolute;left:{x}mm;top:{y}mm;width:{w}mm;height:{h}mm}}"


def _font_faces() -> str:
    faces = []
    for family, (system, _bundled) in _FONT_FILES.items():
        path = DEJAVU / system
        if path.exists():
            faces.append(f"@font-face{{font-family:{family};src:url('{path.as_uri()}')}}")
    return "".join(faces)


# Unicode directional embeddings and marks. Pango, under WeasyPrint, ignores the newer isolates
# (U+2066..U+2069) but honours embeddings; the marks keep a separator on the line's side.
LRE, RLE, POP, LRM, RLM = "\u202a", "\u202b", "\u202c", "\u200e", "\u200f"


def embedded(text: str) -> str:
    """Text embedded in its own direction (that of its first strong character), escaped.

    A Latin date in a Persian line, or a Persian name in an English one, keeps its own order.
    The direction is decided here, not guessed by the renderer.
    """
    opening = LRE
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            opening = RLE
            break
        if kind == "L":
            break
    return f"{opening}{html.escape(text)}{POP}"


def _separator(right_to_left: bool) -> str:
    """The middle dot between the parts of a line, held to the line's direction."""
    mark = RLM if right_to_left else LRM
    return f"{mark} · {mark}"


def _line_html(bold: bool, parts: tuple[tuple[str, str], ...], right_to_left: bool) -> str:
    cells = [
        (f"{embedded(caption)} " if caption else "") + embedded(value)
        for caption, value in parts
        if value
    ]
    return f'<p class="{"b" if bold else ""}">{_separator(right_to_left).join(cells)}</p>'


def label_html(label: LabelContent, font_pt: float) -> str:
    """The label as one HTML page: barcodes in their zones, text flowing in its own boxes."""
    words = captions(label.language)
    linear, lw, lh = linear_barcode(label.linear)
    matrix, mw, mh = matrix_barcode(label.barcode)
    direction = "rtl" if label.right_to_left else "ltr"
    rtl = label.right_to_left
    lines = "".join(_line_html(bold, parts, rtl) for bold, parts in text_lines(label, words))
    said = "".join(f"<p>{embedded(words.get(s, s))}</p>" for s in label.statements)
    css = (
        f"@page{{size:{WIDTH_MM}mm {HEIGHT_MM}mm;margin:0}}"
        + _font_faces()
        + "body{margin:0;font-family:Label,'DejaVu Sans',sans-serif;color:#000}"
        + "".join(_box(name) for name in ZONES)
        + "#linear,#matrix{display:flex;align-items:center;justify-content:center}"
        + "#identifier{font-family:LabelMono,'DejaVu Sans Mono',monospace;font-size:10pt;"
        "white-space:nowrap}"
        + ".k{border:0.3mm solid #000;padding:0 0.6mm;margin-inline-start:1.5mm}"
        + f"#text p{{margin:0 0 0.35mm 0;font-size:{font_pt}pt;line-height:1.15;"
        "overflow-wrap:anywhere}"
        + "#text p.b{font-family:LabelBold,'DejaVu Sans',sans-serif;font-weight:bold}"
        + "#statements{border:0.35mm solid #000;box-sizing:border-box;padding-top:0.6mm}"
        + f"#statements p{{margin:0;padding:0 1mm;text-align:center;font-size:{font_pt + 0.5}pt;"
        "font-family:LabelBold,'DejaVu Sans',sans-serif;font-weight:bold;line-height:1.1}"
    )
    return (
        f'<!DOCTYPE html><html lang="{html.escape(label.language)}"><head><meta charset="utf-8">'
        f"<style>{css}</style></head><body>"
        f'<div id="linear"><img src="{linear}" style="width:{lw}pt;height:{lh}pt"></div>'
        f'<div id="matrix"><img src="{matrix}" style="width:{mw}pt;height:{mh}pt"></div>'
        f'<div id="identifier" dir="ltr">{html.escape(label.eye_readable)}'
        f'<span class="k">{html.escape(label.check)}</span></div>'
        f'<div id="text" dir="{direction}"><div class="flow">{lines}</div></div>'
        f'<div id="statements" dir="{direction}">{said}</div>'
        "</body></html>"
    )


def _render(source: str) -> Any:
    from weasyprint import HTML  # imported when a label is printed: it loads Pango

    return HTML(string=source).render()


def _walk(box: Any, zone: str | None, found: list[tuple[str | None, Any]]) -> None:
    element = getattr(box, "element", None)
    name = element.get("id") if element is not None else None
    zone = name if name in ZONES else zone
    if type(box).__name__ in ("TextBox", "InlineReplacedBox", "BlockReplacedBox"):
        found.append((zone, box))
    for child in getattr(box, "children", ()):
        _walk(child, zone, found)


def placed(document: Any) -> list[tuple[str | None, str, tuple[float, float, float, float]]]:
    """Every drawn text run and image of a laid-out label: its zone, text and box in mm."""
    found: list[tuple[str | None, Any]] = []
    _walk(document.pages[0]._page_box, None, found)
    return [
        (
            zone,
            getattr(box, "text", "") or "",
            (
                box.position_x / PX_PER_MM,
                box.position_y / PX_PER_MM,
                box.margin_width() / PX_PER_MM,
                box.margin_height() / PX_PER_MM,
            ),
        )
        for zone, box in found
    ]


def outside(document: Any) -> list[str]:
    """What a laid-out label draws outside its own zone (empty when every run is in place)."""
    problems = []
    for zone, text, (x, y, w, h) in placed(document):
        if zone is None:
            problems.append(f"{text!r} is outside every zone")
            continue
        zx, zy, zw, zh = ZONES[zone]
        slack = 0.05
        if x < zx - slack or y < zy - slack or x + w > zx + zw + slack or y + h > zy + zh + slack:
            problems.append(f"{text or 'an image'!r} runs out of the {zone} zone")
    return problems


def fit(label: LabelContent) -> tuple[Any, float]:
    """Lay a label out at the largest font size at which everything stays in its zone."""
    for size in FONT_SIZES_PT:
        document = _render(label_html(label, size))
        if not outside(document):
            return document, size
    raise ValidationFailed(
        "label_overflow",
        f"The label of {label.eye_readable} does not fit on the label stock even at "
        f"{FONT_SIZES_PT[-1]:g} pt; shorten the product's or the clinic's name.",
        "units",
    )


def pdf(labels: list[LabelContent]) -> bytes:
    """Render labels as a PDF, one 100 × 50 mm label per page."""
    documents = [fit(label)[0] for label in labels]
    pages = [page for document in documents for page in document.pages]
    document = documents[0].copy(pages)
    document.metadata.title = "Autologic unit labels"
    return bytes(document.write_pdf())


def zpl_for(label: LabelContent) -> str:
    """The label as ZPL II, with the font size its PDF was fitted at."""
    _document, size = fit(label)
    return zpl(label, captions(label.language), size)


def drop_zpl(job: str, labels: list[LabelContent]) -> Path:
    """Write a print job's ZPL into the print folder atomically (temp file, then rename)."""
    folder = Path(settings.LABEL_PRINT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{job}.zpl"
    temporary = folder / f".{job}.zpl.part"
    temporary.write_text("".join(zpl_for(label) for label in labels), encoding="utf-8")
    os.replace(temporary, target)
    return target


# --------------------------------------------------------------------------- printer test label

# The longest names a clinic realistically prints, per language: a double-barrelled family name
# with particles, several given names (the way clinics test label stock: worst case first).
SAMPLE_NAMES = {
    "en": "Featherstonehaugh-Cholmondeley, Alexandra Elizabeth Georgiana",
    "de": "Schwarzenberg-Hohenlohe-Waldenburg, Maximiliane Friederike Theodora",
    "es": "de la Santísima Trinidad Fernández-Villaverde, María de los Ángeles Guadalupe",
    "fa": "عبدالرحمان‌زاده خوشنویس تبریزی، محمدحسین غلامرضا",
    "ar": "آل عبد الرحمن الهاشمي القرشي، عبد الله محمد عبد العزيز",
}
SAMPLE_FACILITY = "Klinikum für Orthopädie und Unfallchirurgie Wolfratshausen-Geretsried"


def sample_content(
    language: str, name: str | None, product_code: str | None, *, isbt: bool
) -> LabelContent:
    """A printer test label: the given or the longest realistic content, worst-case codes.

    The last of 48 units (a second-level division), a reactive donation (the longest
    statements), the longest product name of the library unless a product is named.
    """
    from autologic.common.domain.identifiers import division_code, make_coi, make_din, make_unit
    from autologic.protocols.files import protocol_files, read_protocol

    products = {}
    for path in protocol_files():
        product = read_protocol(path).product
        products[product.code] = product
    if product_code is not None and product_code not in products:
        known = ", ".join(sorted(products))
        message = f"No product {product_code!r} in the protocol library; known: {known}."
        raise ValidationFailed("product", message, "product")
    chosen = (
        products[product_code]
        if product_code
        else max(products.values(), key=lambda p: len(p.name.get(language)))
    )
    facility = "A9999" if isbt else "0ZZ99"
    unit = make_unit(make_din(facility, 2026, 999_999), division_code(48, 48))
    chain = make_coi(facility, 2026, "ZZ99ZZ")
    storage = chosen.storage
    return LabelContent(
        barcode=unit.barcode,
        linear=donation_of(unit).barcode if isbt else unit.barcode,
        eye_readable=unit.eye_readable,
        check=unit.check,
        chain=chain.data,
        chain_check=chain.check,
        patient_name=name or SAMPLE_NAMES.get(language[:2], SAMPLE_NAMES["en"]),
        date_of_birth="1938-12-31",
        mrn="TEH-0012345678",
        product_code=chosen.code,
        product_name=chosen.name.get(language),
        volume="12.5 mL 44×10⁶ cells",
        index="48/48",
        collected="2026-12-31 23:59 UTC+0330",
        facility=f"{SAMPLE_FACILITY} ({facility})",
        expiry="2027-12-31 23:59 UTC+0330",
        storage=storage_text(
            storage.condition, storage.temperature_min_c, storage.temperature_max_c
        ),
        statements=statements("reactive"),
        language=language,
    )
