"""Labels that always scan (issue 15): text never runs over a barcode, Persian and Arabic are
shaped and in logical order, the label says when and where it was collected, how to store it,
and what its donation's markers say; a printer test label for any language.

Oracles are outside the renderer: zbarimg and dmtxread read the rasterised PDF, pdftotext gives
the words with their boxes, and Unicode's presentation forms say what joined letters look like.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image, ImageChops

from autologic.common.domain.errors import ValidationFailed
from autologic.common.domain.identifiers import donation_of, make_din, make_unit
from autologic.lab.domain.labels import (
    AUTOLOGOUS,
    BIOHAZARD,
    LINEAR_BOX,
    MATRIX_BOX,
    NOT_EVALUATED,
    LabelContent,
    plain,
    statements,
    text_lines,
)
from autologic.lab.models import Collection, Unit
from autologic.lab.printing import captions, content_for, fit, outside, pdf, zpl_for

TOOLS = ("pdftoppm", "pdftotext", "zbarimg", "dmtxread")
MM_PER_PT = 25.4 / 72

LONG = {
    "de": (
        "Autologes Zellkonzentrat aus Knochenmark oder Fettgewebe, kultiviert und "
        "kryokonserviert (Großgelenk-Injektionsserie)",
        "Schwarzenberg-Hohenlohe-Waldenburg, Maximiliane Friederike Theodora",
    ),
    "es": (
        "Concentrado celular autólogo de médula ósea o tejido adiposo, expandido en cultivo "
        "y criopreservado para inyección articular",
        "de la Santísima Trinidad Fernández-Villaverde, María de los Ángeles Guadalupe",
    ),
    "fa": (
        "تغلیظ سلولی خودی از مغز استخوان یا بافت چربی، کشت‌شده و منجمدشده برای تزریق مفصلی",
        "عبدالرحمان‌زاده خوشنویس تبریزی، محمدحسین غلامرضا",
    ),
    "ar": (
        "مركز خلوي ذاتي من نخاع العظم أو النسيج الدهني، مزروع ومجمد للحقن في المفصل الكبير",
        "آل عبد الرحمن الهاشمي القرشي، عبد الله محمد عبد العزيز",
    ),
}


def _tools() -> None:
    missing = [t for t in TOOLS if not shutil.which(t)]
    assert not missing, f"install {missing} with `make labeltools`"


def _label(language: str, *, isbt: bool = False, **changes: str) -> LabelContent:
    product, name = LONG[language]
    unit = make_unit(make_din("A9999" if isbt else "0AB01", 2026, 123_456), "Bv")
    content = LabelContent(
        barcode=unit.barcode,
        linear=donation_of(unit).barcode if isbt else unit.barcode,
        eye_readable=unit.eye_readable,
        check=unit.check,
        chain="CH0AB0126K7P2Q9",
        chain_check="4",
        patient_name=name,
        date_of_birth="1958-03-21",
        mrn="B0001234567",
        product_code="BMMSC-40M",
        product_name=product,
        volume="12.5 mL 40×10⁶ cells",
        index="48/48",
        collected="2026-11-21 10:00 UTC+0330",
        facility="Klinikum für Orthopädie und Unfallchirurgie Wolfratshausen (0AB01)",
        expiry="2026-11-23 10:00 UTC+0330",
        storage="15 °C – 25 °C",
        statements=statements("reactive"),
        language=language,
    )
    return replace(content, **changes)


def _raster(document: bytes, folder: Path, name: str, dpi: int = 300) -> list[Path]:
    source = folder / f"{name}.pdf"
    source.write_bytes(document)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(folder / name)],
        check=True,
    )
    return sorted(folder.glob(f"{name}-*.png"))


def _decoded(image: Path) -> tuple[list[str], str]:
    linear = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Scode128.enable", str(image)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    matrix = subprocess.run(
        ["dmtxread", "--shrink=2", "--milliseconds=20000", str(image)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return linear, matrix


def _words(document: bytes, folder: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    """pdftotext's words with their boxes in mm: (x min, y min, x max, y max) from the top."""
    source = folder / "words.pdf"
    source.write_bytes(document)
    out = folder / "words.html"
    subprocess.run(["pdftotext", "-bbox", str(source), str(out)], check=True)
    tree = ET.parse(out)  # noqa: S314 - pdftotext's own output
    found = []
    for word in tree.iter("{http://www.w3.org/1999/xhtml}word"):
        box = tuple(float(word.get(k)) * MM_PER_PT for k in ("xMin", "yMin", "xMax", "yMax"))
        found.append((word.text or "", box))
    return found


BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))


def _text(document: bytes, folder: Path) -> str:
    """pdftotext's reading of the page: logical order, bidi controls and ZWNJ taken out."""
    source = folder / "text.pdf"
    source.write_bytes(document)
    done = subprocess.run(
        ["pdftotext", str(source), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout.translate(BIDI_CONTROLS)


def _overlaps(a: tuple[float, float, float, float], zone: tuple[float, float, float, float]):
    x, y, w, h = zone
    return a[0] < x + w and a[2] > x and a[1] < y + h and a[3] > y


@pytest.mark.parametrize("language", ["de", "es", "fa", "ar"])
@pytest.mark.parametrize("isbt", [False, True], ids=["internal", "isbt128"])
def test_labels_never_let_text_run_over_a_barcode(language, isbt, tmp_path):
    _tools()
    label = _label(language, isbt=isbt)
    document = pdf([label])
    # Every barcode decodes, each to exactly the unit's message.
    (image,) = _raster(document, tmp_path, "label")
    linear, matrix = _decoded(image)
    assert linear == [label.linear]
    assert matrix == label.barcode
    # No word pdftotext finds on the page touches a barcode's zone (quiet zones included).
    words = _words(document, tmp_path)
    assert len(words) > 20
    for text, box in words:
        for zone in (LINEAR_BOX, MATRIX_BOX):
            assert not _overlaps(box, zone), f"{text!r} at {box} runs over a barcode"
    # Every word of the long product and patient names is printed, in logical order: wrapped
    # or shrunk, never cut.
    printed = " ".join(_text(document, tmp_path).split())
    for name in LONG[language]:
        for word in name.replace("،", " ").replace(",", " ").split():
            if "لا" in word:
                continue  # pdftotext spells the lam-alef ligature's glyph in visual order
            assert word.translate(BIDI_CONTROLS) in printed, word


def test_labels_never_let_text_run_over_a_barcode_long_names_shrink(tmp_path):
    short = fit(_label("de", product_name="Serum"))[1]
    long_name = fit(_label("de", product_name=LONG["de"][0] + " " + LONG["es"][0]))
    assert not outside(long_name[0])
    assert long_name[1] < short  # the long label was set smaller, not cut or overlapped


def test_labels_never_let_text_run_over_a_barcode_refuse_what_cannot_fit():
    huge = _label("de", facility="Klinikum " * 120)
    with pytest.raises(ValidationFailed) as refused:
        pdf([huge])
    assert refused.value.code == "label_overflow"


@pytest.mark.parametrize(
    ("language", "word", "joined", "isolated"),
    [
        # seen + reh + meem: initial seen, final reh, isolated meem
        ("fa", "سرم", "\ufeb3\ufeae\ufee1", "\ufeb1\ufead\ufee1"),
        # meem + hah + meem + dal: initial, medial, medial, final
        ("ar", "محمد", "\ufee3\ufea4\ufee4\ufeaa", "\ufee1\ufea1\ufee1\ufea9"),
    ],
)
def test_labels_shape_persian_and_arabic_names(language, word, joined, isolated, tmp_path):
    _tools()

    def image(name: str, product: str) -> Image.Image:
        (page,) = _raster(pdf([_label(language, product_name=product)]), tmp_path, name)
        return Image.open(page)

    shaped = image("shaped", word)
    # Unicode's presentation forms spell out the joined and the isolated letters explicitly.
    assert ImageChops.difference(shaped, image("joined", joined)).getbbox() is None
    assert ImageChops.difference(shaped, image("isolated", isolated)).getbbox() is not None
    # Logical order: the text extracted from the PDF reads as typed, not reversed.
    printed = _text(pdf([_label(language)]), tmp_path)
    product, name = LONG[language]
    for expected in (" ".join(product.split()[:3]), name.split("،")[0]):
        assert expected.translate(BIDI_CONTROLS) in printed


def test_labels_zpl_carries_the_same_content():
    label = _label("fa", isbt=True)
    text = zpl_for(label)
    assert f"^FD{label.linear}^FS" in text and f"^FD{label.barcode}^FS" in text
    assert "^PA0,1,1,1" in text and "^CI28" in text  # shaping and bidi on the printer, UTF-8
    for line in text_lines(label, captions(label.language)):
        assert plain(line) in text
    for statement in label.statements:
        assert captions(label.language).get(statement, statement) in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("infectious", "expected"),
    [
        ("reactive", (AUTOLOGOUS, BIOHAZARD)),
        ("not_evaluated", (AUTOLOGOUS, NOT_EVALUATED)),
        ("negative", (AUTOLOGOUS,)),
    ],
)
def test_labels_carry_collection_time_zone_facility_storage_and_statements(
    make_lot, infectious, expected
):
    lot = make_lot("cells-hip")
    Collection.objects.filter(pk=lot.pk).update(infectious=infectious)
    unit = Unit.objects.filter(collection=lot, parent__isnull=False).order_by("index").first()
    content = content_for(unit)
    assert content.statements == expected
    # A fresh product prints its temperature, never the word "fresh".
    assert content.storage == "15 °C – 25 °C"
    assert "fresh" not in content.storage.lower()
    local = lot.collected_at.astimezone(ZoneInfo(unit.site.time_zone))
    assert content.collected.startswith(f"{local:%Y-%m-%d %H:%M} ")
    assert content.collected.split()[-1] in (local.tzname(), f"UTC{local.tzname()}")
    assert unit.site.name in content.facility and unit.site.facility_code in content.facility


@pytest.mark.parametrize("language", ["en", "de", "es", "fa", "ar"])
def test_labels_sample_renders_a_printer_test_label_that_scans(language, tmp_path):
    _tools()
    out, zpl = tmp_path / "sample.pdf", tmp_path / "sample.zpl"
    call_command("labels", "sample", "--lang", language, "--out", str(out), "--zpl", str(zpl))
    pages = _raster(out.read_bytes(), tmp_path, "sample")
    assert len(pages) == 2  # internal and ISBT 128 identifiers
    for page in pages:
        linear, matrix = _decoded(page)
        assert len(linear) == 1 and matrix, (linear, matrix)
    assert "^XA" in zpl.read_text()


def test_labels_sample_takes_a_name_and_a_product(tmp_path):
    _tools()
    out = tmp_path / "named.pdf"
    call_command(
        "labels",
        "sample",
        "--lang",
        "fa",
        "--name",
        "رضایی، مریم",
        "--product",
        "ACS-2ML",
        "--out",
        str(out),
    )
    words = _text(out.read_bytes(), tmp_path)
    assert "رضایی" in words and "مریم" in words and "ACS-2ML" in words
    assert "\u221218" in words  # the frozen product's temperature, with a real minus
    with pytest.raises(CommandError, match="product"):
        call_command("labels", "sample", "--product", "NOPE", "--out", str(out))
