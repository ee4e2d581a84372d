"""Password hashes, TOTP codes and sessions, checked against independent implementations."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from shared.admin import totp
from shared.admin.passwords import UnsupportedHash, hash_password, verify_password
from shared.admin.sessions import SessionStore
from shared.storage.tables import ADMIN


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256", "pbkdf2:sha256:1000", "pbkdf2:sha512:5000"])
def test_werkzeug_hashes_verify(method):
    stored = generate_password_hash("s3cret pass", method=method)
    assert verify_password(stored, "s3cret pass")
    assert not verify_password(stored, "s3cret pasS")


def test_our_hashes_are_salted_and_werkzeug_can_read_them():
    first, second = hash_password("hunter2hunter2"), hash_password("hunter2hunter2")
    assert first != second
    assert first.startswith("scrypt:32768:8:1$")
    assert check_password_hash(first, "hunter2hunter2")
    assert verify_password(first, "hunter2hunter2")


@pytest.mark.parametrize("bad", ["plaintext", "md5$salt$abc", "scrypt:x:y:z$salt$abc"])
def test_unusable_hashes_are_reported(bad):
    with pytest.raises(UnsupportedHash):
        verify_password(bad, "anything")


def test_totp_matches_rfc6238_and_pyotp():
    # RFC 6238 appendix B, SHA-1 secret "12345678901234567890", truncated to 6 digits.
    rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.code_at(rfc_secret, 59 // 30) == "287082"
    assert totp.code_at(rfc_secret, 1111111109 // 30) == "081804"
    secret = totp.new_secret()
    now = 1_800_000_000
    assert totp.code_at(secret, now // 30) == pyotp.TOTP(secret).at(now)


def test_totp_accepts_one_step_of_drift_and_no_replay():
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = int(now // 30)
    assert totp.matching_step(secret, totp.code_at(secret, step - 1), now) == step - 1
    assert totp.matching_step(secret, totp.code_at(secret, step - 2), now) is None
    assert totp.matching_step(secret, totp.code_at(secret, step), now, after_step=step) is None
    assert totp.matching_step(secret, "12 34", now) is None
    assert totp.matching_step(secret, "²²²²²²", now) is None  # digits to str.isdigit(), not a code


def test_provisioning_uri_and_qr_code():
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "owner", "Helpr")
    parsed = pyotp.parse_uri(uri)
    assert (parsed.secret, parsed.issuer) == (secret, "Helpr")
    assert parsed.name.endswith("owner")
    assert totp.qr_svg(uri).startswith("<svg")


def test_recovery_codes_are_unique_and_hashed_loosely():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    assert totp.normalize_recovery_code(codes[0].upper().replace("-", " ")) == totp.normalize_recovery_code(codes[0])


def test_sessions_expire_and_reject_tampering(tables):
    now = [datetime(2026, 11, 21, 12, tzinfo=UTC)]
    store = SessionStore(lambda: tables.client(ADMIN), lambda: "k" * 64, lifetime=timedelta(hours=1), clock=lambda: now[0])
    session, token = store.create("owner")
    assert store.resolve(token) == session
    session_id, expires, signature = token.split(".")
    assert store.resolve(f"{session_id}.{int(expires) + 3600}.{signature}") is None, "a longer expiry breaks the signature"
    other_key = SessionStore(lambda: tables.client(ADMIN), lambda: "x" * 64, clock=lambda: now[0])
    assert other_key.resolve(token) is None
    now[0] += timedelta(hours=1, seconds=1)
    assert store.resolve(token) is None
