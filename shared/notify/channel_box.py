"""Channel URLs and webhook signing keys hold credentials, so they are stored sealed: AES-GCM with a key
derived (HKDF, its own purpose) from DATA_ENCRYPTION_KEY in Key Vault, as shared/admin/secret_box.py seals
the admin's TOTP secret. A copy of the table alone reveals no channel."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable

from shared.config.secrets import derive_data_key
from shared.errors import DomainError, ErrorKind

_PREFIX = "n1:"
_PURPOSE = b"helpr notification channels v1"


class UnreadableChannel(DomainError):
    default_kind = ErrorKind.UNAVAILABLE

    def __init__(self) -> None:
        super().__init__(
            "channel_unreadable",
            "A stored notification channel can't be decrypted with DATA_ENCRYPTION_KEY: was the key changed? "
            "Put the old key back, or delete the channel and add it again.",
        )


class ChannelBox:
    def __init__(self, key: Callable[[], str]) -> None:
        self._key = key

    def seal(self, plaintext: str) -> str:
        if not plaintext:
            return ""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # cryptography: loaded on first use, not at start

        nonce = os.urandom(12)
        return _PREFIX + base64.b64encode(nonce + AESGCM(self._derive()).encrypt(nonce, plaintext.encode(), _PREFIX.encode())).decode()

    def open(self, stored: str) -> str:
        if not stored:
            return ""
        if not stored.startswith(_PREFIX):
            raise UnreadableChannel
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        raw = base64.b64decode(stored[len(_PREFIX) :])
        try:
            return AESGCM(self._derive()).decrypt(raw[:12], raw[12:], _PREFIX.encode()).decode()
        except InvalidTag:
            raise UnreadableChannel from None

    def _derive(self) -> bytes:
        return derive_data_key(self._key(), _PURPOSE, "Notification channels need it.")
