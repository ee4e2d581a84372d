"""The invite log as a CSV file the owner can open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from shared.invites.log import InviteRecord

COLUMNS = ("time_utc", "identifier", "normalized", "kind", "outcome", "error_code", "error_message", "libraries", "invite_code", "ip_hash")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def invites_csv(records: Iterable[InviteRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow(
            _cell(value)
            for value in (
                record.created_at.isoformat().replace("+00:00", "Z"),
                record.identifier_submitted,
                record.identifier_normalized,
                record.identifier_kind,
                str(record.outcome),
                record.error_code,
                record.error_message,
                "; ".join(record.libraries),
                record.invite_code,
                record.client_ip_hash,
            )
        )
    return buffer.getvalue()


def _cell(value: str) -> str:
    # Spreadsheets run cells that start like a formula; a leading quote keeps them text.
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
