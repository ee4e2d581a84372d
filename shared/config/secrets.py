"""Secrets: from Key Vault when KEY_VAULT_URL is set, else from app settings; cached with a TTL.

The TTL means a rotated secret takes effect on every instance within SECRET_CACHE_TTL_SECONDS,
without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from azure.core.exceptions import ResourceNotFoundError

from shared.config.settings import KEY_VAULT_SECRETS, SetupRequired, secret_from_environ

DEFAULT_SECRET_TTL_SECONDS = 300.0


class SecretSource(Protocol):
    def read(self, name: str) -> str:
        """The secret's current value, or "" when it is not set. `name` is the app setting name."""
        ...


class EnvironmentSecrets:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def read(self, name: str) -> str:
        return secret_from_environ(name, self._environ)


class KeyVaultSecrets:
    """Reads secrets with the Key Vault SDK; in Azure the credential is the app's managed identity."""

    def __init__(self, vault_url: str, credential: Any = None, **client_options: Any) -> None:
        from azure.keyvault.secrets import SecretClient

        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self._client = SecretClient(vault_url, credential, **client_options)

    def read(self, name: str) -> str:
        try:
            secret = self._client.get_secret(KEY_VAULT_SECRETS[name])
        except ResourceNotFoundError:
            return ""
        return (secret.value or "").strip()


class CachedSecrets:
    def __init__(
        self, source: SecretSource, ttl_seconds: float = DEFAULT_SECRET_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._source = source
        self._ttl = ttl_seconds
        self._clock = clock
        self._values: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def read(self, name: str) -> str:
        cached = self._values.get(name)
        now = self._clock()
        if cached is not None and now - cached[1] < self._ttl:
            return cached[0]
        with self._lock:
            cached = self._values.get(name)
            if cached is not None and now - cached[1] < self._ttl:
                return cached[0]
            value = self._source.read(name)
            self._values[name] = (value, now)
            return value


MIN_DATA_KEY_LENGTH = 32


def derive_data_key(data_key: str, purpose: bytes, needed_for: str) -> bytes:
    """A 32-byte key for one purpose (HKDF-SHA256 with `purpose` as its info), derived from DATA_ENCRYPTION_KEY, so
    each use of it (TOTP secrets, recovery codes, API keys, channels) has a key of its own. `needed_for` finishes
    the message when the key is missing, e.g. "Two-step sign-in needs it."."""
    if len(data_key) < MIN_DATA_KEY_LENGTH:
        raise SetupRequired(
            ["DATA_ENCRYPTION_KEY"],
            f"DATA_ENCRYPTION_KEY is missing or shorter than {MIN_DATA_KEY_LENGTH} characters. Set it to a long random "
            f"value (e.g. `openssl rand -hex 32`) in Key Vault (data-encryption-key) or the app settings. {needed_for}",
        )
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(data_key.encode())
