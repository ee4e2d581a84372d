"""Invites the admin creates: a code (random or chosen), a use cap counted exactly across
instances, an expiry, a tier, an optional access duration, and a note."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity

from shared.errors import DomainError, ErrorKind
from shared.storage import compare_and_set, registry
from shared.storage.compare_and_set import Contended, Keep, Write
from shared.storage.entities import EntityMapper

PARTITION = registry.INVITE_LINKS.name
# No 0/O, 1/I/L or 5/S: codes are read aloud and typed from phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
GENERATED_CODE_LENGTH = 12  # 29^12 ≈ 3.5e17 codes: guessing under the rate limits is hopeless
_CHOSEN_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{5,63}")
MAX_NOTE_LENGTH = 500


class InviteLinkError(DomainError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code, message, field=field)


@dataclass(frozen=True)
class InviteLink:
    code: str
    tier_id: str
    max_uses: int  # 0: unlimited
    uses: int
    expires_at: datetime | None
    access_days: int  # 0: access doesn't expire
    note: str
    created_at: datetime
    # The guest must sign in with Plex: a forwarded link can't be used with a typed address.
    requires_sign_in: bool = False

    def usable_at(self, now: datetime) -> bool:
        return not self.expired_at(now) and not self.used_up

    def expired_at(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    @property
    def used_up(self) -> bool:
        return self.max_uses > 0 and self.uses >= self.max_uses


def normalize_code(code: str) -> str:
    return code.strip().upper()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(GENERATED_CODE_LENGTH))


class InviteLinks:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        global_code: Callable[[], str] = lambda: "",
    ) -> None:
        self._table = table_provider
        self._clock = clock
        # The server's global INVITE_CODE: a guest's code is checked against it before any link is looked up.
        self._global_code = global_code

    def create(
        self,
        *,
        tier_id: str,
        max_uses: int,
        expires_at: datetime | None,
        access_days: int,
        note: str,
        code: str = "",
        requires_sign_in: bool = False,
    ) -> InviteLink:
        if code and not _CHOSEN_CODE.fullmatch(code.strip()):
            raise InviteLinkError("invalid_code", "A chosen code has 6 to 64 letters, digits, hyphens or underscores.", field="code")
        if code and self._global_code() and normalize_code(code) == normalize_code(self._global_code()):
            raise InviteLinkError(
                "code_is_global_code", "That is the server's invite code already (INVITE_CODE). Choose another code.", field="code"
            )
        if max_uses < 0 or access_days < 0 or access_days > 3650:
            raise InviteLinkError("invalid_limits", "Uses and access days can't be negative; access is at most 3650 days.")
        if expires_at is not None and expires_at <= self._clock():
            raise InviteLinkError("expiry_in_past", "The expiry must be in the future.", field="expiresAt")
        if len(note) > MAX_NOTE_LENGTH:
            raise InviteLinkError("note_too_long", f"Keep the note under {MAX_NOTE_LENGTH} characters.", field="note")
        link = InviteLink(
            code=normalize_code(code) if code else new_code(),
            tier_id=tier_id,
            max_uses=max_uses,
            uses=0,
            expires_at=expires_at,
            access_days=access_days,
            note=note.strip(),
            created_at=self._clock(),
            requires_sign_in=requires_sign_in,
        )
        try:
            self._table().create_entity(_entity_from(link))
        except ResourceExistsError:
            raise InviteLinkError("code_taken", "An invite with that code already exists. Choose another code.", field="code") from None
        return link

    def get(self, code: str) -> InviteLink | None:
        if not _CHOSEN_CODE.fullmatch(code.strip()):
            return None  # no invite has such a code, and it may hold characters a RowKey can't
        try:
            return _link_from(self._table().get_entity(PARTITION, normalize_code(code)))
        except ResourceNotFoundError:
            return None

    def list(self) -> list[InviteLink]:
        links = [_link_from(e) for e in self._table().query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION})]
        return sorted(links, key=lambda link: link.created_at, reverse=True)

    def delete(self, code: str) -> None:
        """Raises a not-found DomainError for a code no invite has (the SDK's delete says nothing about it)."""
        if self.get(code) is None:
            message = "There is no invite with that code: it may have been deleted already."
            raise DomainError("invite_not_found", message, kind=ErrorKind.NOT_FOUND)
        self._table().delete_entity(PARTITION, normalize_code(code))

    def claim_use(self, code: str) -> InviteLink | None:
        """Counts one use if the invite is still usable, exactly, even with many instances at once.
        Returns the invite as it was claimed, or None when it doesn't exist. Raises InviteLinkError
        when it is expired or used up."""
        return self._change_uses(code, +1)

    def release_use(self, code: str) -> None:
        """Gives a use back when the invite attempt failed, so a failure doesn't consume the cap."""
        self._change_uses(code, -1)

    def _change_uses(self, code: str, delta: int) -> InviteLink | None:
        def change(entity: TableEntity | None) -> Write[InviteLink | None] | Keep[InviteLink | None]:
            if entity is None:
                return Keep(None)
            link = _link_from(entity)
            if delta > 0:
                if link.expired_at(self._clock()):
                    raise InviteLinkError("invite_expired", "This invite has expired. Ask the person who sent it for a new one.")
                if link.used_up:
                    raise InviteLinkError("invite_used_up", "This invite is used up. Ask the person who sent it for a new one.")
            updated = replace(link, uses=max(0, link.uses + delta))
            return Write(_entity_from(updated), updated)

        try:
            return compare_and_set.update(self._table(), PARTITION, normalize_code(code), change)
        except Contended:
            raise InviteLinkError("invite_busy", "This invite is being used by many people right now. Try again in a moment.") from None


# Properties: TierId, MaxUses, Uses, AccessDays, Note, CreatedAt, RequiresSignIn (False when missing: older rows), and
# ExpiresAt when it expires.
_ENTITY = EntityMapper(InviteLink, row_key="code")


def _entity_from(link: InviteLink) -> dict[str, object]:
    return _ENTITY.to_entity(link, partition=PARTITION)


def _link_from(entity: Mapping[str, object]) -> InviteLink:
    return _ENTITY.from_entity(entity)
