"""Printed billing documents: HTML rendered to PDF by WeasyPrint (Pango and HarfBuzz shape
Persian text, right to left)."""

from __future__ import annotations

from django.http import HttpResponse


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported when a document is printed: it loads Pango

    return bytes(HTML(string=html).write_pdf())


def pdf_response(html: str, filename: str) -> HttpResponse:
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
