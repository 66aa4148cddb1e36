"""Every text the interface shows exists in German, Spanish and Persian (issue 16).

The catalogues must be complete (no empty or fuzzy entry), valid (placeholders as in the English
text), and current: ``makemessages`` run on the source adds no message id, and the list of
domain and protocol texts (``common/domain_texts.py``) is what ``common/textscan.py`` finds.
Fix a failure with ``make messages`` and translating what it reports.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from django.utils import translation

from autologic.clinical.choices import site_label
from autologic.common import textscan
from autologic.common.domain.errors import ValidationFailed
from autologic.common.messages import message_for
from autologic.common.texts import translate_text

PACKAGE = Path(textscan.__file__).resolve().parent.parent
LANGUAGES = ("de", "es", "fa")


def _catalog(language: str) -> Catalog:
    path = PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _key(message: object) -> tuple[str, str | None]:
    msgid = message.id  # type: ignore[attr-defined]
    return (msgid[0] if isinstance(msgid, tuple) else msgid, message.context)  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    """An empty or fuzzy entry shows English (or a guess) to the user."""
    problems = []
    for message in _catalog(language):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {_key(message)[0]!r}")
        elif not all(strings):
            problems.append(f"untranslated: {_key(message)[0]!r}")
    assert not problems, f"{language}: {len(problems)} entries\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_english_text(language: str) -> None:
    """A translation with another placeholder than its message id fails when it is shown."""
    catalog = _catalog(language)
    problems = [
        f"{_key(message)[0]!r}: {errors}"
        for message, errors in catalog.check()
        if message.id and not message.fuzzy
    ]
    assert not problems, "\n".join(problems[:40])


def test_domain_texts_list_what_the_source_shows() -> None:
    """A new refusal or consumable in the source is listed for the catalogues."""
    committed = (PACKAGE / "common" / "domain_texts.py").read_text(encoding="utf-8")
    assert committed == textscan.render(), (
        "common/domain_texts.py is stale: run `make messages` and translate the new entries"
    )


def _extracted(tmp_path: Path) -> set[tuple[str, str | None]]:
    """The message ids ``makemessages`` finds in the source, from a copy of it."""
    copy = tmp_path / "autologic"
    ignore = shutil.ignore_patterns("__pycache__", "static", "*.mo", "*.po")
    shutil.copytree(PACKAGE, copy, ignore=ignore)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "autologic.settings_testing"}
    command = [
        sys.executable,
        "-m",
        "django",
        "makemessages",
        "-l",
        "de",
        "--keep-pot",
        "--no-obsolete",
        "--verbosity",
        "0",
    ]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=120)
    # A template's header holds the placeholders "nplurals=INTEGER; plural=EXPRESSION".
    pot = (copy / "locale" / "django.pot").read_bytes()
    pot = pot.replace(b"nplurals=INTEGER; plural=EXPRESSION;", b"nplurals=2; plural=(n != 1);")
    template = read_po(io.BytesIO(pot))
    return {_key(message) for message in template if message.id}


def test_catalogues_hold_every_message_id_of_the_source(tmp_path: Path) -> None:
    """``makemessages`` would add nothing: every translatable string of the source is there."""
    extracted = _extracted(tmp_path)
    assert len(extracted) > 1000  # the extraction ran over the whole source
    for language in LANGUAGES:
        known = {_key(message) for message in _catalog(language) if message.id}
        missing = sorted(str(key) for key in extracted - known)
        assert not missing, (
            f"{language}: {len(missing)} message ids missing; run `make messages`\n"
            + "\n".join(missing[:40])
        )


@pytest.mark.parametrize(
    ("language", "message", "expected"),
    [
        ("fa", "Unit W000 is not reserved for this session.", "W000"),
        ("es", "No freezer box has room for unit W000.", "W000"),
    ],
)
def test_a_domain_refusal_is_shown_in_the_users_language(
    language: str, message: str, expected: str
) -> None:
    """A refusal without its own catalogue entry is translated from its English text."""
    error = ValidationFailed("some_code_without_entry", message)
    with translation.override(language):
        shown = message_for(error)
    assert shown != message
    assert expected in shown


def test_a_bedside_finding_names_the_site_in_the_users_language() -> None:
    """The bedside says "right knee" in codes; the page shows the site as Spanish writes it."""
    text = "The right knee was already injected in this session; one injection per site."
    with translation.override("es"):
        shown = translate_text(text)
        assert "rodilla derecha" in shown.lower()
    with translation.override("en"):
        assert translate_text(text) == text


@pytest.mark.parametrize(
    ("region", "side", "expected"),
    [
        ("knee", "right", "rodilla derecha"),
        ("shoulder", "right", "hombro derecho"),
        ("hip", "left", "cadera izquierda"),
        ("elbow", "left", "codo izquierdo"),
    ],
)
def test_spanish_sides_agree_with_the_region(region: str, side: str, expected: str) -> None:
    """Spanish sides agree in gender with the region they qualify."""
    with translation.override("es"):
        assert site_label(region, side).lower() == expected
