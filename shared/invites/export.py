"""The invite log as a CSV file the owner can open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable

from shared.invites.log import InviteRecord
from shared.spreadsheet import csv_text

COLUMNS = ("time_utc", "identifier", "normalized", "kind", "outcome", "error_code", "error_message", "libraries", "invite_code", "ip_hash")


def invites_csv(records: Iterable[InviteRecord]) -> str:
    return csv_text(
        COLUMNS,
        (
            (
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
            for record in records
        ),
    )
