"""Reading an owner's CSV of people to invite, and checking each row before anything is sent.

Columns: the Plex username or email, then optionally a tier (its name or id) and days of access. A header
row is optional (recognised by a cell naming the identifier column), cells are separated by commas or semicolons (whichever
the first line has more of: spreadsheets in many languages save with semicolons), and the file is UTF-8
with or without a byte order mark. Blank lines are ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.access.tiers import DEFAULT_TIER_ID, Tier
from shared.access.users import MAX_ACCESS_DAYS
from shared.errors import DomainError
from shared.invites.validation import InvalidInput, parse_identifier

MAX_BYTES = 256 * 1024
MAX_ROWS = 2000
MAX_DAYS = MAX_ACCESS_DAYS
MAX_CELL = 300

_IDENTIFIER_HEADERS = {"identifier", "username", "email", "user", "plex username", "plex username or email", "username or email"}
_TIER_HEADERS = {"tier", "tier id", "tier name"}
_DAYS_HEADERS = {"days", "days of access", "access days", "access_days"}


class BatchFileError(DomainError):
    """The file as a whole can't be used; nothing was stored."""


@dataclass(frozen=True)
class CheckedRow:
    """One line of the file, as uploaded, and what the check found: an error code and message, or none."""

    line: int
    identifier: str
    tier: str
    days: str
    normalized: str = ""
    tier_id: str = ""
    access_days: int = 0
    error_code: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error_code


@dataclass(frozen=True)
class RawRow:
    line: int
    identifier: str
    tier: str
    days: str


def read_rows(data: bytes) -> list[RawRow]:
    """The file's rows (header and blank lines left out). Raises BatchFileError when it can't be read."""
    if len(data) > MAX_BYTES:
        raise BatchFileError("file_too_large", f"The file is {len(data):,} bytes; at most {MAX_BYTES // 1024} KB can be uploaded.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchFileError(
            "file_not_utf8", "The file isn't UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8' and upload it again."
        ) from None
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns, header = (0, 1, 2), False
    rows: list[RawRow] = []
    try:
        for cells in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if not rows and not header and any(cell.lower() in _IDENTIFIER_HEADERS for cell in cells):
                columns, header = _header_columns(cells), True
                continue
            if len(rows) >= MAX_ROWS:
                message = f"The file has more than {MAX_ROWS:,} rows. Split it into files of at most {MAX_ROWS:,} and upload each."
                raise BatchFileError("too_many_rows", message)
            rows.append(RawRow(line, *(_cell(cells, index)[:MAX_CELL] for index in columns)))
    except csv.Error as exc:
        raise BatchFileError("unreadable_csv", f"Line {reader.line_num} can't be read as CSV ({exc}). Fix it and upload again.") from None
    if not rows:
        raise BatchFileError("empty_file", "The file has no rows to invite. Put one Plex username or email per line.")
    return rows


def check_rows(
    rows: Iterable[RawRow], tiers: Sequence[Tier], has_access: set[str], shared_outside: frozenset[str] = frozenset()
) -> list[CheckedRow]:
    """Each row checked on its own and against the rows above it. `has_access` holds who the portal already let in;
    `shared_outside`, the names on plex.tv's shares the portal doesn't manage (inviting them again would fail)."""
    by_key = {tier.id.lower(): tier for tier in tiers} | {tier.name.strip().lower(): tier for tier in tiers if tier.name.strip()}
    seen: dict[str, int] = {}
    checked: list[CheckedRow] = []
    for row in rows:
        base = CheckedRow(row.line, row.identifier, row.tier, row.days)
        try:
            identifier = parse_identifier(row.identifier)
        except InvalidInput as invalid:
            checked.append(_refused(base, "bad_identifier", invalid.message))
            continue
        base = CheckedRow(row.line, row.identifier, row.tier, row.days, normalized=identifier.normalized)
        tier = by_key.get(row.tier.lower()) if row.tier else by_key.get(DEFAULT_TIER_ID)
        if tier is None:
            message = f"No tier is called {row.tier!r}. Use a tier's name or id from the Tiers view, or leave it empty for the default."
            checked.append(_refused(base, "unknown_tier", message))
            continue
        days = row.days or "0"
        if not (days.isascii() and days.isdigit()) or int(days) > MAX_DAYS:
            message = f"Days of access must be a whole number from 1 to {MAX_DAYS}, or 0 or empty for no end; not {row.days!r}."
            checked.append(_refused(base, "bad_days", message))
            continue
        if identifier.normalized in seen:
            message = f"The same person as line {seen[identifier.normalized]}; only that line is invited."
            checked.append(_refused(base, "duplicate", message))
            continue
        seen[identifier.normalized] = row.line
        if identifier.normalized in has_access:
            checked.append(_refused(base, "already_has_access", "Already has access (see the Users view); nothing is sent."))
            continue
        if identifier.normalized in shared_outside:
            message = (
                "The server already shares with them outside the portal: adopt them in the Users view to give them a tier; nothing is sent."
            )
            checked.append(_refused(base, "shared_outside_portal", message))
            continue
        checked.append(CheckedRow(row.line, row.identifier, row.tier, row.days, identifier.normalized, tier.id, int(days)))
    return checked


def _refused(row: CheckedRow, code: str, message: str) -> CheckedRow:
    return CheckedRow(row.line, row.identifier, row.tier, row.days, normalized=row.normalized, error_code=code, error=message)


def _cell(cells: Sequence[str], index: int) -> str:
    return cells[index] if 0 <= index < len(cells) else ""


def _header_columns(cells: Sequence[str]) -> tuple[int, int, int]:
    names = [cell.lower() for cell in cells]

    def find(choices: set[str]) -> int:
        return next((index for index, name in enumerate(names) if name in choices), -1)

    return find(_IDENTIFIER_HEADERS), find(_TIER_HEADERS), find(_DAYS_HEADERS)
