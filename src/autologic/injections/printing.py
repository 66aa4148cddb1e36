"""The patient's wristband: a Code 128 of its wristband code, which the bedside scan reads back.

The code, not the MRN: an MRN can be renumbered and given to someone else, a wristband code never.
"""

from __future__ import annotations

import io
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from autologic.lab.printing import register_fonts

WIDTH, HEIGHT = 200 * mm, 25 * mm  # the printable part of an adult band


def wristband_pdf(*, name: str, date_of_birth: date, mrn: str, code: str, clinic: str) -> bytes:
    """One wristband insert: name, date of birth, MRN, and the wristband code as a barcode."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    canvas.setTitle(f"Wristband {code}")
    barcode = createBarcodeDrawing(
        "Code128", value=code, barHeight=14 * mm, barWidth=0.38 * mm, humanReadable=False
    )
    renderPDF.draw(barcode, canvas, WIDTH - barcode.width - 6 * mm, 6 * mm)
    canvas.setFont("LabelBold", 12)
    canvas.drawString(6 * mm, HEIGHT - 9 * mm, name)
    canvas.setFont("Label", 9)
    canvas.drawString(6 * mm, HEIGHT - 15 * mm, f"DOB {date_of_birth:%Y-%m-%d}   {clinic}")
    canvas.setFont("LabelMono", 11)
    canvas.drawString(6 * mm, 4 * mm, f"MRN {mrn}   {code}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
