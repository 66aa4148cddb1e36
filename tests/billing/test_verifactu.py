"""VERI*FACTU records: the published fingerprints reproduce, and an independent checker
(verifactu-lint, PyPI) accepts a chain of altas, a rectifying invoice and an anulación."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from autologic.billing.domain import verifactu as vf

CET = timezone(timedelta(hours=1))
SOFTWARE = vf.Software("Autologic", "B00000000", "Autologic", "AL", "0.1.0", "1")


def facts(number: str, *, base: str = "111.10", tax: str | None = "12.35", **kw) -> vf.InvoiceFacts:
    line = vf.Breakdown(
        Decimal(base), rate=Decimal("21") if tax else None, tax=Decimal(tax) if tax else None
    )
    return vf.InvoiceFacts(
        issuer_nif=kw.get("nif", "89890001K"),
        issuer_name="Clínica de Prueba SL",
        number=number,
        issued_on=kw.get("on", date(2024, 1, 1)),
        kind=kw.get("kind", "F1"),
        description="Tratamiento",
        recipient_name=kw.get("recipient", ""),
        recipient_nif=kw.get("recipient_nif", ""),
        breakdown=(line,),
        corrects=kw.get("corrects", ()),
    )


def test_the_published_examples_reproduce():
    """billing.md §5.2: 12345678/G33 (first record) and 12345679/G34 chained to it."""
    first = vf.chain(
        "alta", facts("12345678/G33"), None, datetime(2024, 1, 1, 19, 20, 30, tzinfo=CET)
    )
    assert first.fingerprint.startswith("3C464DAF") and first.fingerprint.endswith("F38F12F60")
    previous = vf.Previous("89890001K", "12345678/G33", date(2024, 1, 1), first.fingerprint)
    second = vf.chain(
        "alta", facts("12345679/G34"), previous, datetime(2024, 1, 1, 19, 20, 35, tzinfo=CET)
    )
    assert second.fingerprint.startswith("F7B94CFD") and second.fingerprint.endswith("802A2B97")
    assert len(second.fingerprint) == 64 and second.fingerprint == second.fingerprint.upper()


def test_the_fingerprint_string_follows_the_published_layout():
    fields = vf.alta_fields(facts("A-1"), "", datetime(2024, 1, 1, 19, 20, 30, tzinfo=CET))
    text = "&".join(f"{k}={v}" for k, v in fields)
    assert text == (
        "IDEmisorFactura=89890001K&NumSerieFactura=A-1&FechaExpedicionFactura=01-01-2024"
        "&TipoFactura=F1&CuotaTotal=12.35&ImporteTotal=123.45&Huella="
        "&FechaHoraHusoGenRegistro=2024-01-01T19:20:30+01:00"
    )


def test_a_time_without_its_zone_is_refused():
    with pytest.raises(vf.VerifactuError) as refused:
        vf.chain("alta", facts("A-1"), None, datetime(2024, 1, 1, 19, 20, 30))
    assert refused.value.field == "generated_at"


def test_a_corrective_names_what_it_corrects():
    with pytest.raises(vf.VerifactuError) as refused:
        vf.chain("alta", facts("G-1", kind="R4"), None, datetime(2024, 1, 2, tzinfo=CET))
    assert refused.value.code == "verifactu_corrects_nothing"


def test_the_qr_code_carries_the_check_address():
    url = vf.qr_url(facts("R-2026-00001", tax=None, base="950.00"), sending=False)
    assert url.startswith(vf.QR_URL_KEPT + "?")
    assert "nif=89890001K" in url and "numserie=R-2026-00001" in url
    assert "fecha=01-01-2024" in url and "importe=950.00" in url


def lint(tmp_path: Path, xml: str) -> dict:
    path = tmp_path / "records.xml"
    path.write_text(xml, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "verifactu_lint.cli", "--formato", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if not done.stdout.strip():
        done = subprocess.run(
            [str(Path(sys.executable).parent / "verifactu-lint"), "--formato", "json", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
    return {"code": done.returncode, "report": json.loads(done.stdout), "stderr": done.stderr}


def chain_of(invoices: list[tuple[str, vf.InvoiceFacts]]) -> list[tuple[str, str]]:
    records, previous = [], None
    moment = datetime(2027, 1, 4, 10, 0, tzinfo=CET)
    for kind, invoice in invoices:
        record = vf.chain(kind, invoice, previous, moment)  # type: ignore[arg-type]
        records.append((kind, vf.record_xml(record, SOFTWARE)))
        previous = vf.Previous(
            invoice.issuer_nif, invoice.number, invoice.issued_on, record.fingerprint
        )
        moment += timedelta(minutes=7)
    return records


def exempt(number: str, base: str, **kw) -> vf.InvoiceFacts:
    return facts(
        number,
        base=base,
        tax=None,
        nif="B12345674",
        on=date(2027, 1, 4),
        recipient="Marta Puig Soler",
        recipient_nif="12345678Z",
        **kw,
    )


def errors(result: dict) -> list:
    findings = result["report"]
    found = findings.get("hallazgos", findings) if isinstance(findings, dict) else findings
    return [f for f in found if str(f.get("severidad", "")).lower() == "error"]


def test_the_independent_checker_accepts_a_clinic_chain(tmp_path):
    """Deposit, final invoice, a rectifying credit note and an anulación, all exempt (E1)."""
    records = chain_of(
        [
            ("alta", exempt("A-2027-00001", "500.00")),
            ("alta", exempt("R-2027-00001", "450.00")),
            (
                "alta",
                exempt(
                    "G-2027-00001",
                    "-450.00",
                    kind="R4",
                    corrects=(("R-2027-00001", date(2027, 1, 4)),),
                ),
            ),
            ("anulacion", exempt("A-2027-00001", "500.00")),
        ]
    )
    result = lint(tmp_path, vf.export(records, "Clínica de Prueba SL", "B12345674"))
    assert errors(result) == [], [(f["regla"], f["titulo"]) for f in errors(result)]
    assert result["code"] == 0, result


def test_the_checker_sees_a_broken_chain(tmp_path):
    """The check can fail: a record whose fingerprint does not follow its fields is caught."""
    records = chain_of([("alta", exempt("A-1", "10.00")), ("alta", exempt("A-2", "20.00"))])
    kind, xml = records[1]
    records[1] = (kind, xml.replace("<sf:ImporteTotal>20.00<", "<sf:ImporteTotal>21.00<"))
    result = lint(tmp_path, vf.export(records, "Clínica de Prueba SL", "B12345674"))
    assert result["code"] != 0 and errors(result), result
