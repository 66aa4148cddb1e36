"""The `autologic score INSTRUMENT [FILE]` contract documented in the README."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autologic.outcomes.score_command import main


def run(monkeypatch, capsys, args: list[str], stdin: str = "") -> tuple[int, dict | None, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(args)
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


def test_koos_from_stdin_prints_scores_reasons_and_derived_womac(monkeypatch, capsys) -> None:
    answers = {f"P{n}": 2 for n in range(1, 10)} | {"Q1": 4, "Q2": None}
    code, out, _ = run(monkeypatch, capsys, ["KOOS"], json.dumps(answers))
    assert code == 0
    assert out is not None
    assert out["instrument"] == "KOOS"
    assert out["scores"]["pain"] == 50
    assert out["scores"]["qol"] is None
    assert out["reasons"]["qol"] == "needs at least 2 of 4 items answered; 1 answered"
    assert set(out["scores"]) == {"pain", "symptoms", "adl", "sport_rec", "qol"}
    # WOMAC pain from KOOS P5-P9: five 2s = 10.
    assert out["womac"]["scores"]["pain"] == 10
    assert out["womac"]["derived_from"] == "KOOS"


def test_unrounded_numbers(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, ["KOOS", "-"], json.dumps({"Q1": 1, "Q2": 0, "Q3": 0}))
    assert code == 0
    assert out is not None
    assert out["scores"]["qol"] == pytest.approx(100 - 100 / 12)
    assert out["scores"]["qol"] != round(out["scores"]["qol"], 1)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["KOOS"], '{"P10": 1}', "P10"),
        (["ODI"], '{"Q1": 6}', "outside 0–5"),
        (["NRS"], '{"PAIN": 2.5}', "not a whole number"),
        (["NRS"], "[1, 2]", "JSON object"),
        (["NRS"], "{not json", "not valid JSON"),
        (["SF36"], "{}", "unknown instrument"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(monkeypatch, capsys, args, stdin, message) -> None:
    code, out, err = run(monkeypatch, capsys, args, stdin)
    assert code == 2
    assert out is None
    assert message in err


def test_the_console_command_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "odi.json"
    path.write_text(json.dumps({f"Q{n}": 1 for n in range(1, 10)} | {"Q10": None}))
    done = subprocess.run(
        [sys.executable, "-m", "autologic.cli", "score", "ODI", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    # Nine sections of 1: 9 / 45 * 100 = 20 %.
    assert out["scores"] == {"percent": 20}
    assert out["reasons"] == {}
    assert out["missing"] == 1
