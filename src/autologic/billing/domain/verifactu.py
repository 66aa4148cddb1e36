"""VERI*FACTU billing records for a Spanish clinic (RD 1007/2023, Orden HAC/1177/2024).

Every invoice issued gets a *registro de alta*; a cancelled invoice gets a *registro de anulación*.
Each record carries a SHA-256 fingerprint (*huella*) of its own key fields and the previous
record's fingerprint, so the issuer's records form one chain (billing.md §5.2):

    IDEmisorFactura=…&NumSerieFactura=…&FechaExpedicionFactura=dd-mm-aaaa&TipoFactura=…
    &CuotaTotal=…&ImporteTotal=…&Huella=<previous>&FechaHoraHusoGenRegistro=<ISO 8601 + offset>

UTF-8, SHA-256, 64 upper-case hex digits; ``Huella=`` is empty in the first record. Amounts use a
dot and two decimals. The published examples are the test vectors (tests/billing/test_verifactu).
The authority is the AEAT's hash specification, which billing.md marks ❓ (read it before release).

Sending records to the AEAT stays behind ``Sender`` and is off: the clinic keeps the records and
the QR code goes on every invoice (the non-sending mode's URL).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Protocol
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from autologic.billing.domain.money import BillingError

Kind = Literal["alta", "anulacion"]
# Exempt medical care: art. 20.Uno.3 LIVA; VERI*FACTU code E1 ("exenta por el artículo 20").
EXEMPT_ART_20 = "E1"
QR_URL_SENDING = "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR"
QR_URL_KEPT = "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQRNoVerifactu"
NS_SF = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/"
    "aeat/tike/cont/ws/SuministroInformacion.xsd"
)
NS_LR = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/"
    "aeat/tike/cont/ws/SuministroLR.xsd"
)


@dataclass(frozen=True)
class Software:
    """The billing system's identity, as every record names it."""

    producer_name: str
    producer_nif: str
    name: str
    system_id: str
    version: str
    installation: str


@dataclass(frozen=True)
class Breakdown:
    """One line of the tax breakdown: an exempt base (E1), or a taxed base with rate and tax."""

    base: Decimal
    exempt: str = EXEMPT_ART_20
    rate: Decimal | None = None
    tax: Decimal | None = None


@dataclass(frozen=True)
class InvoiceFacts:
    """What a record says of its invoice; a corrective names the invoice it corrects."""

    issuer_nif: str
    issuer_name: str
    number: str
    issued_on: date
    kind: str  # F1 full invoice, R1–R5 corrective
    description: str
    recipient_name: str
    recipient_nif: str
    breakdown: tuple[Breakdown, ...]
    corrects: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True)
class Previous:
    """The record before this one in the issuer's chain."""

    issuer_nif: str
    number: str
    issued_on: date
    fingerprint: str


@dataclass(frozen=True)
class Record:
    """A chained record: its kind, invoice, when it was made, fingerprint and the previous one."""

    kind: Kind
    invoice: InvoiceFacts
    generated_at: datetime
    fingerprint: str
    previous: Previous | None


class VerifactuError(BillingError):
    """A record that cannot be made as asked."""


def day(value: date) -> str:
    """dd-mm-aaaa, as the records and the QR code write dates."""
    return value.strftime("%d-%m-%Y")


def amount(value: Decimal) -> str:
    """An amount with a dot and two decimals."""
    return f"{value.quantize(Decimal('0.01')):f}"


def moment(value: datetime) -> str:
    """ISO 8601 with the offset, to the second (2024-01-01T19:20:30+01:00)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise VerifactuError(
            "verifactu_naive_time", "A record's time needs its time zone.", "generated_at"
        )
    return value.replace(microsecond=0).isoformat()


def tax_total(invoice: InvoiceFacts) -> Decimal:
    return sum((line.tax or Decimal(0) for line in invoice.breakdown), Decimal(0))


def gross_total(invoice: InvoiceFacts) -> Decimal:
    return sum((line.base for line in invoice.breakdown), Decimal(0)) + tax_total(invoice)


def fingerprint(fields: list[tuple[str, str]]) -> str:
    """SHA-256 of ``name=value`` pairs joined by ``&`` (values trimmed), in upper-case hex."""
    text = "&".join(f"{name}={value.strip()}" for name, value in fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def alta_fields(
    invoice: InvoiceFacts, previous: str, generated_at: datetime
) -> list[tuple[str, str]]:
    return [
        ("IDEmisorFactura", invoice.issuer_nif),
        ("NumSerieFactura", invoice.number),
        ("FechaExpedicionFactura", day(invoice.issued_on)),
        ("TipoFactura", invoice.kind),
        ("CuotaTotal", amount(tax_total(invoice))),
        ("ImporteTotal", amount(gross_total(invoice))),
        ("Huella", previous),
        ("FechaHoraHusoGenRegistro", moment(generated_at)),
    ]


def anulacion_fields(
    invoice: InvoiceFacts, previous: str, generated_at: datetime
) -> list[tuple[str, str]]:
    return [
        ("IDEmisorFacturaAnulada", invoice.issuer_nif),
        ("NumSerieFacturaAnulada", invoice.number),
        ("FechaExpedicionFacturaAnulada", day(invoice.issued_on)),
        ("Huella", previous),
        ("FechaHoraHusoGenRegistro", moment(generated_at)),
    ]


def chain(
    kind: Kind, invoice: InvoiceFacts, previous: Previous | None, generated_at: datetime
) -> Record:
    """The next record of the issuer's chain."""
    if kind == "alta" and invoice.kind.startswith("R") and not invoice.corrects:
        raise VerifactuError(
            "verifactu_corrects_nothing",
            "A corrective invoice names the invoice it corrects.",
            "corrects",
        )
    before = previous.fingerprint if previous else ""
    fields = (alta_fields if kind == "alta" else anulacion_fields)(invoice, before, generated_at)
    return Record(kind, invoice, generated_at, fingerprint(fields), previous)


def qr_url(invoice: InvoiceFacts, *, sending: bool) -> str:
    """The AEAT check address the invoice's QR code carries (nif, numserie, fecha, importe)."""
    query = urlencode(
        {
            "nif": invoice.issuer_nif,
            "numserie": invoice.number,
            "fecha": day(invoice.issued_on),
            "importe": amount(gross_total(invoice)),
        }
    )
    return f"{QR_URL_SENDING if sending else QR_URL_KEPT}?{query}"


def _e(name: str, value: str) -> str:
    return f"<sf:{name}>{escape(value)}</sf:{name}>"


def _software(software: Software) -> str:
    return (
        "<sf:SistemaInformatico>"
        + _e("NombreRazon", software.producer_name)
        + _e("NIF", software.producer_nif)
        + _e("NombreSistemaInformatico", software.name)
        + _e("IdSistemaInformatico", software.system_id)
        + _e("Version", software.version)
        + _e("NumeroInstalacion", software.installation)
        + _e("TipoUsoPosibleSoloVerifactu", "N")
        + _e("TipoUsoPosibleMultiOT", "N")
        + _e("IndicadorMultiplesOT", "N")
        + "</sf:SistemaInformatico>"
    )


def _chaining(previous: Previous | None) -> str:
    if previous is None:
        return "<sf:Encadenamiento>" + _e("PrimerRegistro", "S") + "</sf:Encadenamiento>"
    return (
        "<sf:Encadenamiento><sf:RegistroAnterior>"
        + _e("IDEmisorFactura", previous.issuer_nif)
        + _e("NumSerieFactura", previous.number)
        + _e("FechaExpedicionFactura", day(previous.issued_on))
        + _e("Huella", previous.fingerprint)
        + "</sf:RegistroAnterior></sf:Encadenamiento>"
    )


def _breakdown(lines: tuple[Breakdown, ...]) -> str:
    parts = []
    for line in lines:
        body = _e("Impuesto", "01") + _e("ClaveRegimen", "01")
        if line.rate is None:
            body += _e("OperacionExenta", line.exempt)
            body += _e("BaseImponibleOimporteNoSujeto", amount(line.base))
        else:
            body += _e("CalificacionOperacion", "S1") + _e("TipoImpositivo", amount(line.rate))
            body += _e("BaseImponibleOimporteNoSujeto", amount(line.base))
            body += _e("CuotaRepercutida", amount(line.tax or Decimal(0)))
        parts.append(f"<sf:DetalleDesglose>{body}</sf:DetalleDesglose>")
    return "<sf:Desglose>" + "".join(parts) + "</sf:Desglose>"


def record_xml(record: Record, software: Software) -> str:
    """One record as the AEAT's SuministroInformacion schema lays it out (not signed, not sent)."""
    invoice = record.invoice
    tail = (
        _chaining(record.previous)
        + _software(software)
        + _e("FechaHoraHusoGenRegistro", moment(record.generated_at))
        + _e("TipoHuella", "01")
        + _e("Huella", record.fingerprint)
    )
    if record.kind == "anulacion":
        return (
            "<sf:RegistroAnulacion>"
            + _e("IDVersion", "1.0")
            + "<sf:IDFactura>"
            + _e("IDEmisorFacturaAnulada", invoice.issuer_nif)
            + _e("NumSerieFacturaAnulada", invoice.number)
            + _e("FechaExpedicionFacturaAnulada", day(invoice.issued_on))
            + "</sf:IDFactura>"
            + tail
            + "</sf:RegistroAnulacion>"
        )
    corrective = ""
    if invoice.kind.startswith("R"):
        corrective = _e("TipoRectificativa", "I") + "<sf:FacturasRectificadas>"
        for number, issued_on in invoice.corrects:
            corrective += (
                "<sf:IDFacturaRectificada>"
                + _e("IDEmisorFactura", invoice.issuer_nif)
                + _e("NumSerieFactura", number)
                + _e("FechaExpedicionFactura", day(issued_on))
                + "</sf:IDFacturaRectificada>"
            )
        corrective += "</sf:FacturasRectificadas>"
    recipient = ""
    if invoice.recipient_nif:
        recipient = (
            "<sf:Destinatarios><sf:IDDestinatario>"
            + _e("NombreRazon", invoice.recipient_name)
            + _e("NIF", invoice.recipient_nif)
            + "</sf:IDDestinatario></sf:Destinatarios>"
        )
    return (
        "<sf:RegistroAlta>"
        + _e("IDVersion", "1.0")
        + "<sf:IDFactura>"
        + _e("IDEmisorFactura", invoice.issuer_nif)
        + _e("NumSerieFactura", invoice.number)
        + _e("FechaExpedicionFactura", day(invoice.issued_on))
        + "</sf:IDFactura>"
        + _e("NombreRazonEmisor", invoice.issuer_name)
        + _e("TipoFactura", invoice.kind)
        + corrective
        + _e("DescripcionOperacion", invoice.description)
        + recipient
        + _breakdown(invoice.breakdown)
        + _e("CuotaTotal", amount(tax_total(invoice)))
        + _e("ImporteTotal", amount(gross_total(invoice)))
        + tail
        + "</sf:RegistroAlta>"
    )


def export(records: list[tuple[str, str]], issuer_name: str, issuer_nif: str) -> str:
    """The issuer's records (kind, XML) as one SuministroLR document, for the inspector or the
    tax adviser; each record's XML is stored as it was made."""
    body = "".join(f"<sfLR:RegistroFactura>{xml}</sfLR:RegistroFactura>" for _, xml in records)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sfLR:RegFactuSistemaFacturacion xmlns:sfLR="{NS_LR}" xmlns:sf="{NS_SF}">'
        "<sfLR:Cabecera><sf:ObligadoEmision>"
        + _e("NombreRazon", issuer_name)
        + _e("NIF", issuer_nif)
        + "</sf:ObligadoEmision></sfLR:Cabecera>"
        + body
        + "</sfLR:RegFactuSistemaFacturacion>"
    )


class Sender(Protocol):
    """Sends records to the AEAT (VERI*FACTU mode). Not wired: the clinic keeps its records."""

    def send(self, xml: str) -> None: ...
