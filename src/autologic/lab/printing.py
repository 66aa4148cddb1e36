"""Unit labels: the content from the database, a PDF sheet (reportlab), and the ZPL file drop."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from autologic.common.domain.identifiers import check_character, parse
from autologic.lab.domain.labels import AUTOLOGOUS, LabelContent, zpl
from autologic.lab.models import Unit

WIDTH, HEIGHT = 70 * mm, 40 * mm
# Fonts that tell 0 from O and 1 from I (ST-001 §7.5) and cover accented names; reportlab's
# built-in Vera is the fallback when the system has no DejaVu.
_FONT_FILES = {
    "Label": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Vera.ttf"),
    "LabelBold": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "VeraBd.ttf"),
    "LabelMono": ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", "VeraMoBd.ttf"),
}


def register_fonts() -> None:
    """Register the label fonts with reportlab once."""
    for name, (system, bundled) in _FONT_FILES.items():
        if name in pdfmetrics.getRegisteredFontNames():
            continue
        pdfmetrics.registerFont(TTFont(name, system if os.path.exists(system) else bundled))


@dataclass(frozen=True)
class Printable:
    """One label to print, with the unit it belongs to."""

    unit_id: int
    content: LabelContent


def content_for(unit: Unit) -> LabelContent:
    """Fill the label template's tokens from a unit, its chain, patient and protocol."""
    chain = unit.chain
    patient = chain.patient
    protocol = unit.collection.protocol.protocol
    zone = ZoneInfo(unit.site.time_zone)
    identifier = parse(unit.identifier + unit.flags)
    storage = protocol.product.storage
    temperature = (
        f"≤ {storage.temperature_max_c:g} °C" if storage.temperature_max_c is not None else ""
    )
    volume = f"{unit.volume_ml:g} mL" if unit.volume_ml else ""
    if unit.cells_million:
        volume = f"{volume} {unit.cells_million:g}×10⁶ cells".strip()
    expiry = (
        unit.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if unit.expires_at else ""
    )
    return LabelContent(
        barcode=identifier.barcode,
        eye_readable=identifier.eye_readable,
        check=identifier.check,
        chain=chain.identifier,
        chain_check=check_character(chain.identifier),
        patient_name=f"{patient.family_name.upper()}, {patient.given_name}",
        date_of_birth=patient.date_of_birth.isoformat(),
        mrn=patient.mrn,
        product=f"{protocol.product.code} {protocol.product.name.en}",
        volume=volume,
        expiry=expiry,
        storage=temperature or storage.condition,
        index=f"{unit.index}/{unit.of}",
    )


def pdf(labels: list[LabelContent]) -> bytes:
    """Render labels as a PDF, one 70 × 40 mm label per page."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    canvas.setTitle("Autologic unit labels")
    for label in labels:
        _draw(canvas, label)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw(canvas: Canvas, label: LabelContent) -> None:
    linear = createBarcodeDrawing(
        "Code128",
        value=label.barcode,
        barWidth=0.25 * mm,
        barHeight=9 * mm,
        humanReadable=False,
        quiet=True,
        lquiet=2 * mm,
        rquiet=2 * mm,
    )
    renderPDF.draw(linear, canvas, 0.5 * mm, HEIGHT - 11 * mm)
    matrix = createBarcodeDrawing("ECC200DataMatrix", value=label.barcode, barWidth=0.55 * mm)
    side = matrix.width
    renderPDF.draw(matrix, canvas, WIDTH - side - 3 * mm, HEIGHT - side - 3 * mm)
    canvas.setFont("LabelMono", 9)
    canvas.drawString(2.5 * mm, HEIGHT - 15 * mm, label.eye_readable)
    text_width = pdfmetrics.stringWidth(label.eye_readable, "LabelMono", 9)
    box_x = 2.5 * mm + text_width + 1.5 * mm
    canvas.rect(box_x, HEIGHT - 15.8 * mm, 4 * mm, 4 * mm)
    canvas.drawCentredString(box_x + 2 * mm, HEIGHT - 15 * mm, label.check)
    canvas.setFont("LabelBold", 7.5)
    canvas.drawString(2.5 * mm, HEIGHT - 19.5 * mm, f"{label.patient_name}  *{label.date_of_birth}")
    canvas.setFont("Label", 6.5)
    lines = [
        f"MRN {label.mrn}   unit {label.index}",
        f"{label.product}  {label.volume}",
        f"EXP {label.expiry}   {label.storage}",
        f"COI {label.chain} [{label.chain_check}]",
    ]
    for number, line in enumerate(lines):
        canvas.drawString(2.5 * mm, HEIGHT - (23 + 3 * number) * mm, line[:70])
    canvas.rect(2 * mm, 1.2 * mm, WIDTH - 4 * mm, 4.3 * mm)
    canvas.setFont("LabelBold", 7.5)
    canvas.drawCentredString(WIDTH / 2, 2.3 * mm, AUTOLOGOUS)


def drop_zpl(job: str, labels: list[LabelContent]) -> Path:
    """Write a print job's ZPL into the print folder atomically (temp file, then rename)."""
    folder = Path(settings.LABEL_PRINT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{job}.zpl"
    temporary = folder / f".{job}.zpl.part"
    temporary.write_text("".join(zpl(label) for label in labels), encoding="utf-8")
    os.replace(temporary, target)
    return target
