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


def test_faos_takes_the_koos_item_ids_and_gives_the_five_koos_scores(monkeypatch, capsys) -> None:
    # Pain all 1 (9 of 36): 75; ADL all 3 (51 of 68): 25; QOL one answer of four: not scored.
    answers = {f"P{n}": 1 for n in range(1, 10)} | {f"A{n}": 3 for n in range(1, 18)}
    answers |= {"S1": 2, "S2": 2, "S3": 2, "S4": 2, "SP1": 0, "SP2": 0, "SP3": 4, "Q1": 4}
    code, out, _ = run(monkeypatch, capsys, ["FAOS"], json.dumps(answers))
    assert code == 0 and out is not None
    assert out["instrument"] == "FAOS"
    assert list(out["scores"]) == ["pain", "symptoms", "adl", "sport_rec", "qol"]
    assert out["scores"] == {
        "pain": 75,
        "symptoms": 50,
        "adl": 25,
        "sport_rec": pytest.approx(100 - 100 * 4 / 12),
        "qol": None,
    }
    assert out["reasons"] == {"qol": "needs at least 2 of 4 items answered; 1 answered"}
    assert all(out["higher_is_better"].values())
    assert "womac" not in out  # WOMAC is derived from knee and hip forms only
    code, koos_out, _ = run(monkeypatch, capsys, ["KOOS"], json.dumps(answers))
    assert koos_out is not None and list(koos_out["scores"]) == list(out["scores"])


def test_faos_refuses_an_item_koos_does_not_have(monkeypatch, capsys) -> None:
    code, out, err = run(monkeypatch, capsys, ["FAOS"], json.dumps({"P10": 1}))
    assert code == 2 and out is None
    assert "P10" in err


def test_ndi_takes_q1_to_q10_and_gives_percent(monkeypatch, capsys) -> None:
    # Vernon's example: 16 points over nine answered sections = 16 / 45 = 35.5 %.
    answers = {f"Q{n}": 2 for n in range(1, 8)} | {"Q8": 1, "Q9": 1, "Q10": None}
    code, out, _ = run(monkeypatch, capsys, ["NDI"], json.dumps(answers))
    assert code == 0 and out is not None
    assert out["scores"] == {"percent": pytest.approx(16 / 45 * 100)}
    assert out["missing"] == 1
    assert out["higher_is_better"] == {"percent": False}
    code, out, err = run(monkeypatch, capsys, ["NDI"], json.dumps({"Q3": 6}))
    assert code == 2 and "Q3" in err and "outside 0–5" in err
    code, out, _ = run(monkeypatch, capsys, ["NDI"], json.dumps({"Q1": 3, "Q2": 3}))
    assert code == 0 and out is not None
    assert out["scores"] == {"percent": None}
    assert out["reasons"] == {"percent": "needs at least 8 of 10 items answered; 2 answered"}


def test_quickdash_on_the_command_line(monkeypatch, capsys) -> None:
    answers = {f"Q{n}": 3 for n in range(1, 11)} | {"Q11": None}
    code, out, _ = run(monkeypatch, capsys, ["QuickDASH"], json.dumps(answers))
    assert code == 0 and out is not None
    assert out["instrument"] == "QUICKDASH"
    assert out["scores"] == {"score": 50}
