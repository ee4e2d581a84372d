"""Validation and normalisation of what a guest submits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import DomainError

MAX_IDENTIFIER_LENGTH = 254
MAX_USERNAME_LENGTH = 64
MAX_INVITE_CODE_LENGTH = 128

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Deliberately simple: plex.tv decides whether the address is real.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


class IdentifierKind(StrEnum):
    USERNAME = "username"
    EMAIL = "email"


@dataclass(frozen=True)
class Identifier:
    submitted: str
    normalized: str
    kind: IdentifierKind


class InvalidInput(DomainError):
    """Input that must not reach Plex; `field` names the form field to fix."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(code, message, field=field)


def parse_identifier(raw: object) -> Identifier:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidInput("identifier", "identifier_required", "Enter your Plex username or the email address of your Plex account.")
    if not isinstance(raw, str):
        raise InvalidInput("identifier", "invalid_identifier", "The Plex username or email must be text.")
    submitted = raw
    value = unicodedata.normalize("NFC", raw).strip()
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise InvalidInput(
            "identifier",
            "identifier_too_long",
            f"That is {len(value)} characters long; a Plex username or email has at most {MAX_IDENTIFIER_LENGTH}.",
        )
    if "@" in value:
        if not _EMAIL.fullmatch(value):
            raise InvalidInput(
                "identifier",
                "invalid_email",
                "That doesn't look like an email address. Check it for typos, e.g. name@example.com.",
            )
        # plex.tv matches account emails without regard to case.
        return Identifier(submitted, value.lower(), IdentifierKind.EMAIL)
    if not _USERNAME.fullmatch(value):
        raise InvalidInput(
            "identifier",
            "invalid_username",
            "A Plex username has 1 to 64 letters, digits, dots, underscores or hyphens and no spaces. "
            "You can also enter the email address of your Plex account.",
        )
    return Identifier(submitted, value.lower(), IdentifierKind.USERNAME)


def parse_invite_code(raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidInput("inviteCode", "invalid_invite_code", "The invite code must be text.")
    value = raw.strip()
    if len(value) > MAX_INVITE_CODE_LENGTH:
        raise InvalidInput("inviteCode", "invalid_invite_code", "That invite code is too long. Copy it again from your invitation.")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise InvalidInput(
            "inviteCode", "invalid_invite_code", "The invite code contains characters it can't have. Copy it again from your invitation."
        )
    return value
