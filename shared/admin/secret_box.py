"""Secrets the app must keep in Table Storage, kept unreadable there: the admin's TOTP secret is
encrypted (AES-GCM) and recovery codes are stored as keyed hashes, both with keys derived from
DATA_ENCRYPTION_KEY, which lives in Key Vault. A copy of the table alone gives an attacker nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable

from shared.config.secrets import derive_data_key
from shared.errors import DomainError, ErrorKind

_PREFIX = "v1:"


class UnreadableSecret(DomainError):
    """Stored ciphertext that this key can't open (the key was changed, or the value was tampered with)."""

    default_kind = ErrorKind.UNAVAILABLE

    def __init__(self, message: str) -> None:
        super().__init__("secret_unreadable", message)


class SecretBox:
    def __init__(self, key: Callable[[], str]) -> None:
        self._key = key

    def seal(self, plaintext: str) -> str:
        if not plaintext:
            return ""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # cryptography: loaded on first use, not at start

        nonce = os.urandom(12)
        sealed = AESGCM(self._derive(b"helpr totp secret v1")).encrypt(nonce, plaintext.encode(), _PREFIX.encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, stored: str) -> str:
        """The plaintext; a value written before encryption existed is returned as it is."""
        if not stored.startswith(_PREFIX):
            return stored
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        raw = base64.b64decode(stored[len(_PREFIX) :])
        try:
            return AESGCM(self._derive(b"helpr totp secret v1")).decrypt(raw[:12], raw[12:], _PREFIX.encode()).decode()
        except InvalidTag:
            raise UnreadableSecret(
                "The stored two-step sign-in secret can't be decrypted with DATA_ENCRYPTION_KEY: was the key changed? "
                "Put the old key back, or turn two-step sign-in off by hand (see Troubleshooting in the README)."
            ) from None

    def code_hash(self, normalized_code: str) -> str:
        return hmac.new(self._derive(b"helpr recovery codes v1"), normalized_code.encode(), hashlib.sha256).hexdigest()

    def api_key_hash(self, key_secret: str) -> str:
        """An API key's secret part, keyed: the key is random and long, so one HMAC is enough (no slow hash)."""
        return hmac.new(self._derive(b"helpr api keys v1"), key_secret.encode(), hashlib.sha256).hexdigest()

    def _derive(self, purpose: bytes) -> bytes:
        return derive_data_key(self._key(), purpose, "Two-step sign-in and API keys need it.")
