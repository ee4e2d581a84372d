"""The admin's second-factor state: TOTP secret (encrypted at rest), last used step (no replays),
recovery codes (keyed hashes), and the epoch that ends every other session when bumped."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.admin import totp
from shared.admin.secret_box import SecretBox
from shared.storage import registry
from shared.storage.entities import EntityMapper

PARTITION = registry.ADMIN_ACCOUNTS.name


@dataclass(frozen=True)
class SecondFactor:
    enabled: bool = False
    secret: str = ""
    pending_secret: str = ""
    last_step: int = -1
    recovery_code_hashes: tuple[str, ...] = ()
    # Bumped whenever every other session must end (second factor changed, "sign out everywhere").
    session_epoch: int = 0
    etag: str | None = field(default=None, compare=False)


class StaleSecondFactor(Exception):
    """Another request changed the state first (e.g. used the same code)."""


class AdminAccounts:
    def __init__(self, table_provider: Callable[[], TableClient], box: SecretBox) -> None:
        self._table = table_provider
        self._box = box

    def hash_recovery_codes(self, codes: list[str]) -> tuple[str, ...]:
        return tuple(self._box.code_hash(totp.normalize_recovery_code(code)) for code in codes)

    def matching_recovery_hash(self, state: SecondFactor, code: str) -> str | None:
        """The stored hash this recovery code matches, if any. Codes stored before hashes were keyed
        (plain SHA-256) still work, once each."""
        normalized = totp.normalize_recovery_code(code)
        candidates = {self._box.code_hash(normalized), hashlib.sha256(normalized.encode()).hexdigest()}
        return next((h for h in state.recovery_code_hashes if any(hmac.compare_digest(h, c) for c in candidates)), None)

    def second_factor(self, username: str) -> SecondFactor:
        try:
            entity = self._table().get_entity(PARTITION, _key(username))
        except ResourceNotFoundError:
            return SecondFactor()
        sealed = _ENTITY.from_entity(entity)
        return replace(sealed, secret=self._box.open(sealed.secret), pending_secret=self._box.open(sealed.pending_secret))

    def save(self, username: str, state: SecondFactor) -> SecondFactor:
        """Compare-and-set against the state read, so a code can't be used twice by racing requests.
        Returns the state as saved, with its new ETag."""
        sealed = replace(state, secret=self._box.seal(state.secret), pending_secret=self._box.seal(state.pending_secret))
        entity = _ENTITY.to_entity(sealed, partition=PARTITION, row_key=_key(username))
        table = self._table()
        try:
            if state.etag is None:
                metadata = table.upsert_entity(entity, mode=UpdateMode.REPLACE)
            else:
                metadata = table.update_entity(
                    entity, mode=UpdateMode.REPLACE, etag=state.etag, match_condition=MatchConditions.IfNotModified
                )
        except ResourceModifiedError as exc:
            raise StaleSecondFactor from exc
        return replace(state, etag=metadata["etag"])


# The secrets are stored sealed; RecoveryCodeHashes is JSON text.
_ENTITY = EntityMapper(
    SecondFactor,
    etag="etag",
    names={
        "enabled": "TotpEnabled",
        "secret": "TotpSecret",
        "pending_secret": "TotpPendingSecret",
        "last_step": "TotpLastStep",
    },
)


def _key(username: str) -> str:
    return username.strip().lower()
