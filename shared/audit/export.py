"""The audit trail as a CSV file the owner can open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable

from shared.audit.trail import AuditEntry
from shared.spreadsheet import csv_text

COLUMNS = ("time_utc", "actor", "action", "target", "outcome", "detail", "ip_hash")


def audit_csv(entries: Iterable[AuditEntry]) -> str:
    return csv_text(
        COLUMNS,
        (
            (
                entry.at.isoformat(timespec="seconds").replace("+00:00", "Z") if entry.at else "",
                entry.actor,
                entry.action,
                entry.target,
                entry.outcome,
                entry.detail,
                entry.address_hash,
            )
            for entry in entries
        ),
    )
