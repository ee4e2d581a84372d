"""CSV files the owner opens in a spreadsheet (the invite log, the audit trail, a batch's results).

Spreadsheets run a cell that starts like a formula (OWASP "CSV injection"), and a guest or a CSV upload chooses
some of these values, so such a cell gets a leading quote and stays text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_STARTS = ("=", "+", "-", "@", "|", "%")
_LEADING_SPACE = " \t\r\n"  # some spreadsheets trim it on import, and a tab or CR start is a formula start itself


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(as_text(value) for value in row)
    return buffer.getvalue()


def as_text(value: str) -> str:
    formula = value.lstrip(_LEADING_SPACE).startswith(_FORMULA_STARTS) or value.startswith(("\t", "\r"))
    return "'" + value if formula else value
