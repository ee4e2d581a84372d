"""Runtime settings the owner changes while the app runs (the old app's config.json), in Table Storage."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.storage import prefetch, registry
from shared.storage.entities import EntityMapper

PARTITION = registry.SETTINGS.name
LIBRARIES = registry.LIBRARY_SELECTION.key
IP_HASH_KEY = registry.IP_HASH_KEY.key
CODE_REQUIRED = registry.CODE_REQUIRED.key
SIGN_IN_MODE = registry.SIGN_IN_MODE.key


class SignInMode(StrEnum):
    """How guests say who they are. PLEX: only by signing in with Plex; TYPED: only by typing a username or email
    (the portal's behaviour before Plex sign-in); PLEX_OR_TYPED: either, sign-in offered first."""

    PLEX = "plex"
    PLEX_OR_TYPED = "plex_or_typed"
    TYPED = "typed"

    @property
    def allows_sign_in(self) -> bool:
        return self is not SignInMode.TYPED

    @property
    def allows_typed(self) -> bool:
        return self is not SignInMode.PLEX


# The default keeps today's typed form working for existing deployments and links, and puts sign-in first.
DEFAULT_SIGN_IN_MODE = SignInMode.PLEX_OR_TYPED


@dataclass(frozen=True)
class LibrarySelection:
    """plex.tv section ids new invites share; empty means every library on the server."""

    section_ids: tuple[int, ...] = ()
    titles: tuple[str, ...] = ()

    @property
    def shares_everything(self) -> bool:
        return not self.section_ids


# Properties: SectionIds and Titles, as JSON text.
_LIBRARY_SELECTION = EntityMapper(LibrarySelection)


class RuntimeSettings:
    def __init__(self, table_provider: Callable[[], TableClient]) -> None:
        self._table = table_provider
        self._ip_hash_key: bytes | None = None
        self._lock = threading.Lock()

    def prefetched(self, *row_keys: str) -> AbstractContextManager[None]:
        """Within the block, these rows of the settings partition (this store's or another's, such as the Plex
        status) are read with one query instead of a request each (see shared.storage.prefetch)."""
        return prefetch.rows(self._table(), PARTITION, row_keys)

    def library_selection(self) -> LibrarySelection:
        # Read on every invite so a change made on one instance applies on all of them at once.
        try:
            entity = prefetch.get_entity(self._table(), PARTITION, LIBRARIES)
        except ResourceNotFoundError:
            return LibrarySelection()
        return _LIBRARY_SELECTION.from_entity(entity)

    def set_library_selection(self, selection: LibrarySelection) -> None:
        entity = _LIBRARY_SELECTION.to_entity(selection, partition=PARTITION, row_key=LIBRARIES)
        self._table().upsert_entity(entity, mode=UpdateMode.REPLACE)

    def invite_code_required(self) -> bool:
        """Whether guests need a code even when no global INVITE_CODE is set (the admin's switch)."""
        try:
            return bool(prefetch.get_entity(self._table(), PARTITION, CODE_REQUIRED).get("Value", False))
        except ResourceNotFoundError:
            return False

    def set_invite_code_required(self, required: bool) -> None:
        self._table().upsert_entity({"PartitionKey": PARTITION, "RowKey": CODE_REQUIRED, "Value": required}, mode=UpdateMode.REPLACE)

    def sign_in_mode(self) -> SignInMode:
        try:
            value = prefetch.get_entity(self._table(), PARTITION, SIGN_IN_MODE).get("Value", "")
        except ResourceNotFoundError:
            return DEFAULT_SIGN_IN_MODE
        try:
            return SignInMode(value)
        except ValueError:
            return DEFAULT_SIGN_IN_MODE

    def set_sign_in_mode(self, mode: SignInMode) -> None:
        self._table().upsert_entity({"PartitionKey": PARTITION, "RowKey": SIGN_IN_MODE, "Value": str(mode)}, mode=UpdateMode.REPLACE)

    def ip_hash_key(self) -> bytes:
        """A random key made once per deployment, so logged IP hashes can't be reversed by brute force."""
        if self._ip_hash_key is not None:
            return self._ip_hash_key
        with self._lock:
            if self._ip_hash_key is None:
                table = self._table()
                # If another instance made it first, use theirs.
                with contextlib.suppress(ResourceExistsError):
                    table.create_entity({"PartitionKey": PARTITION, "RowKey": IP_HASH_KEY, "Value": secrets.token_hex(32)})
                self._ip_hash_key = bytes.fromhex(table.get_entity(PARTITION, IP_HASH_KEY)["Value"])
            return self._ip_hash_key
