"""Admin password hashes: scrypt or PBKDF2 with a per-hash salt, in Werkzeug's format.

Werkzeug's `generate_password_hash` writes `scrypt:N:r:p$salt$hexhash` or
`pbkdf2:sha256:iterations$salt$hexhash`, so a hash from the old Flask app keeps working.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1
_SALT_CHARS = string.ascii_letters + string.digits
_SALT_LENGTH = 16
MAX_PASSWORD_LENGTH = 1024


class UnsupportedHash(ValueError):
    """The stored hash is not in a format this app can check."""


def hash_password(password: str) -> str:
    salt = "".join(secrets.choice(_SALT_CHARS) for _ in range(_SALT_LENGTH))
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}${salt}${digest}"


def decoy_for(stored_hash: str) -> str:
    """A hash with the stored hash's method, cost and salt that no password matches. Checking a
    wrong username against it costs exactly as much as checking the real one."""
    method, _, rest = stored_hash.strip().partition("$")
    salt, _, expected = rest.partition("$")
    return f"{method}${salt}${'-' * max(len(expected), 1)}"  # not hex, so no digest can equal it


def verify_password(stored_hash: str, password: str) -> bool:
    """Constant-time check; raises UnsupportedHash for a malformed or unknown hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        method, salt, expected = stored_hash.strip().split("$", 2)
    except ValueError:
        raise UnsupportedHash("the hash must look like method$salt$hash") from None
    return hmac.compare_digest(_digest(method, salt, password), expected)


def _digest(method: str, salt: str, password: str) -> str:
    parts = method.split(":")
    try:
        if parts[0] == "scrypt":
            n, r, p = (int(x) for x in parts[1:4]) if len(parts) == 4 else (SCRYPT_N, SCRYPT_R, SCRYPT_P)
            return _scrypt(password, salt, n, r, p)
        if parts[0] == "pbkdf2":
            algorithm = parts[1] if len(parts) > 1 else "sha256"
            iterations = int(parts[2]) if len(parts) > 2 else 600_000
            return hashlib.pbkdf2_hmac(algorithm, password.encode(), salt.encode(), iterations).hex()
    except (ValueError, TypeError) as exc:
        raise UnsupportedHash(f"unusable {parts[0]} parameters") from exc
    raise UnsupportedHash(f"unknown hash method {parts[0]!r}")


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p, dklen=64).hex()
