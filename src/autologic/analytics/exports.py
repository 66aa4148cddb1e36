"""Writing the researcher's export: CSV, Parquet, SPSS and Stata (with value labels), and the
data dictionary, in one zip archive."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat

from autologic.analytics.domain.export import Table

FORMATS = ("csv", "parquet", "sav", "dta")


def _frame(table: Table, coded: bool) -> pd.DataFrame:
    """The table as a frame; coded: categories as their integer codes (SPSS and Stata)."""
    columns = [v.name for v in table.variables]
    frame = pd.DataFrame(table.rows, columns=columns)
    for v in table.variables:
        if v.kind == "category" and coded:
            frame[v.name] = frame[v.name].map(lambda x, c=v.codes: c.get(str(x)) if x else None)
            frame[v.name] = frame[v.name].astype("Float64")
        elif v.kind in ("integer", "number"):
            frame[v.name] = pd.to_numeric(frame[v.name], errors="coerce").astype("Float64")
        else:
            frame[v.name] = frame[v.name].fillna("").astype(str)
    return frame


def data_file(table: Table, fmt: str) -> tuple[str, bytes]:
    """(file name, content) of the data in one format."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=[v.name for v in table.variables])
        writer.writeheader()
        for row in table.rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        return "registry.csv", out.getvalue().encode("utf-8")
    if fmt == "parquet":
        buffer = io.BytesIO()
        _frame(table, coded=False).to_parquet(buffer, index=False)
        return "registry.parquet", buffer.getvalue()
    if fmt in ("sav", "dta"):
        frame = _frame(table, coded=True)
        labels = {v.name: v.label for v in table.variables}
        value_labels = {
            v.name: {float(code): value for value, code in v.codes.items()}
            for v in table.variables
            if v.codes
        }
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"registry.{fmt}"
            if fmt == "sav":
                pyreadstat.write_sav(
                    frame,
                    str(path),
                    column_labels=labels,
                    variable_value_labels=value_labels,
                )
            else:
                pyreadstat.write_dta(
                    frame,
                    str(path),
                    column_labels=labels,
                    variable_value_labels=value_labels,
                    version=15,
                )
            return f"registry.{fmt}", path.read_bytes()
    raise ValueError(f"unknown format {fmt!r}")


def dictionary_file(table: Table) -> bytes:
    """The data dictionary as CSV: variable, label, type, codes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["variable", "label", "type", "codes"])
    for v in table.variables:
        codes = "; ".join(f"{code} = {value}" for value, code in v.codes.items())
        writer.writerow([v.name, v.label, v.kind, codes])
    return out.getvalue().encode("utf-8")


def archive(table: Table, fmt: str, aggregate: bytes, readme: str) -> bytes:
    """The export as one zip: the data, its dictionary, the suppressed aggregate table and a
    note on what is in it."""
    name, content = data_file(table, fmt)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(name, content)
        bundle.writestr("dictionary.csv", dictionary_file(table))
        bundle.writestr("aggregate.csv", aggregate)
        bundle.writestr("README.txt", readme)
    return buffer.getvalue()
