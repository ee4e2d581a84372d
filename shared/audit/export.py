"""The audit trail as a CSV file the owner can open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from shared.audit.trail import AuditEntry

COLUMNS = ("time_utc", "actor", "action", "target", "outcome", "detail", "ip_hash")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def audit_csv(entries: Iterable[AuditEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for entry in entries:
        at = entry.at.isoformat(timespec="seconds").replace("+00:00", "Z") if entry.at else ""
        writer.writerow(
            _cell(value) for value in (at, entry.actor, entry.action, entry.target, entry.outcome, entry.detail, entry.address_hash)
        )
    return buffer.getvalue()


def _cell(value: str) -> str:
    # Spreadsheets run cells that start like a formula; a leading quote keeps them text.
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
