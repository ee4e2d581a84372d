"""Browsers that signed in before: a long-lived signed token in its own cookie, so that a browser
the admin uses is throttled on its own and strangers' guesses elsewhere can't lock it out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable

DEVICE_LIFETIME_SECONDS = 365 * 86400


class DeviceTokens:
    def __init__(self, signing_key: Callable[[], str]) -> None:
        self._signing_key = signing_key

    def issue(self, username: str) -> str:
        device_id = secrets.token_urlsafe(16)
        return f"{device_id}.{self._signature(device_id, username)}"

    def device_id(self, token: str, username: str) -> str:
        """The device's id when the token was issued to this username by this app, else ""."""
        device_id, _, signature = token.partition(".")
        if not device_id or not signature:
            return ""
        return device_id if hmac.compare_digest(signature, self._signature(device_id, username)) else ""

    def _signature(self, device_id: str, username: str) -> str:
        message = f"device|{device_id}|{username.strip().lower()}".encode()
        mac = hmac.new(self._signing_key().encode(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")
