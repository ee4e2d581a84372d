"""Admin sign-in: password (+ optional TOTP), throttling, sessions, CSRF and Origin checks."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import urlsplit

from shared import totp
from shared.admin_accounts import AdminAccounts, SecondFactor, StaleSecondFactor
from shared.admin_sessions import AdminSession, SessionStore
from shared.login_throttle import LoginThrottle, subject
from shared.passwords import UnsupportedHash, hash_password, verify_password
from shared.settings import SetupRequired

TOTP_ISSUER = "Helpr"
# Checked when the username is wrong, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("helpr-timing-equaliser")


class AuthFailure(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    INVALID_SECOND_FACTOR = "invalid_second_factor"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    NOT_AUTHENTICATED = "not_authenticated"
    ORIGIN_MISMATCH = "origin_mismatch"
    CSRF_TOKEN_INVALID = "csrf_token_invalid"


class AuthError(Exception):
    def __init__(self, failure: AuthFailure, message: str, *, retry_after: float | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message
        self.retry_after = retry_after
        self.field = field


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    password: str
    totp_code: str = ""
    recovery_code: str = ""
    client_ip: str = ""


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str
    qr_svg: str


class AdminAuth:
    def __init__(
        self,
        *,
        admin_username: str,
        password_hash: Callable[[], str],
        site_origin: Callable[[], str],
        sessions: SessionStore,
        throttle: LoginThrottle,
        accounts: AdminAccounts,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._admin_username = admin_username
        self._password_hash = password_hash
        self._site_origin = site_origin
        self._sessions = sessions
        self._throttle = throttle
        self._accounts = accounts
        self._clock = clock

    # -- sign-in -------------------------------------------------------------

    def login(self, attempt: LoginAttempt, origin: str, referer: str = "") -> tuple[AdminSession, str, SecondFactor]:
        self.check_origin(origin, referer)
        stored_hash = self._password_hash()
        if not stored_hash:
            raise SetupRequired(
                ["ADMIN_PASSWORD_HASH"],
                "No admin password is set. Create a hash with `python -m devtools.hash_password` and store it as "
                "ADMIN_PASSWORD_HASH (or the Key Vault secret admin-password-hash).",
            )
        subjects = [subject("user", attempt.username), subject("ip", attempt.client_ip or "unknown")]
        wait = self._throttle.retry_after(subjects)
        if wait is not None:
            raise AuthError(AuthFailure.TOO_MANY_ATTEMPTS, _wait_message(wait), retry_after=wait)

        if not self._password_matches(attempt.username, attempt.password, stored_hash):
            self._throttle.record_failure(subjects)
            raise AuthError(AuthFailure.INVALID_CREDENTIALS, "That username and password don't match. Check them and try again.")

        second_factor = self._accounts.second_factor(self._admin_username)
        if second_factor.enabled:
            if not attempt.totp_code and not attempt.recovery_code:
                raise AuthError(
                    AuthFailure.SECOND_FACTOR_REQUIRED,
                    "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
                    field="totpCode",
                )
            second_factor = self._use_second_factor(second_factor, attempt)
            if second_factor is None:
                self._throttle.record_failure(subjects)
                raise AuthError(
                    AuthFailure.INVALID_SECOND_FACTOR,
                    "That code isn't valid. Codes change every 30 seconds; each can be used once.",
                    field="totpCode",
                )
        self._throttle.record_success(subjects[:1])
        session, token = self._sessions.create(self._admin_username)
        return session, token, second_factor

    def _password_matches(self, username: str, password: str, stored_hash: str) -> bool:
        name_ok = hmac.compare_digest(username.strip().lower().encode(), self._admin_username.strip().lower().encode())
        try:
            password_ok = verify_password(stored_hash if name_ok else _DUMMY_HASH, password)
        except UnsupportedHash as exc:
            raise SetupRequired(["ADMIN_PASSWORD_HASH"], f"ADMIN_PASSWORD_HASH can't be used: {exc}.") from None
        return name_ok and password_ok

    def _use_second_factor(self, state: SecondFactor, attempt: LoginAttempt) -> SecondFactor | None:
        if attempt.totp_code:
            step = totp.matching_step(state.secret, attempt.totp_code, self._clock(), after_step=state.last_step)
            if step is None:
                return None
            updated = replace(state, last_step=step)
        else:
            code_hash = totp.recovery_code_hash(attempt.recovery_code)
            remaining = tuple(h for h in state.recovery_code_hashes if not hmac.compare_digest(h, code_hash))
            if len(remaining) == len(state.recovery_code_hashes):
                return None
            updated = replace(state, recovery_code_hashes=remaining)
        try:
            self._accounts.save(self._admin_username, updated)
        except StaleSecondFactor:
            return None  # a racing request used the same code first
        return updated

    # -- requests after sign-in --------------------------------------------

    def authenticate(self, token: str) -> AdminSession:
        session = self._sessions.resolve(token) if token else None
        if session is None:
            raise AuthError(AuthFailure.NOT_AUTHENTICATED, "You're not signed in, or your session has ended. Sign in again.")
        return session

    def authorize_change(self, session: AdminSession, csrf_header: str, origin: str, referer: str = "") -> None:
        """A state-changing call needs the session's CSRF token in a header and the site's own Origin."""
        self.check_origin(origin, referer)
        if not csrf_header or not hmac.compare_digest(csrf_header.encode(), session.csrf_token.encode()):
            raise AuthError(AuthFailure.CSRF_TOKEN_INVALID, "This request is missing its security token. Reload the page and try again.")

    def check_origin(self, origin: str, referer: str = "") -> None:
        expected = _origin_of(self._site_origin())
        actual = _origin_of(origin) if origin else _origin_of(referer)
        if not actual or actual != expected:
            raise AuthError(
                AuthFailure.ORIGIN_MISMATCH, "This request didn't come from the portal's own pages. Open the admin page and try again."
            )

    def logout(self, session: AdminSession) -> None:
        self._sessions.revoke(session.id)

    def second_factor_enabled(self) -> bool:
        return self._accounts.second_factor(self._admin_username).enabled

    # -- second factor enrolment ------------------------------------------------

    def start_totp_enrolment(self, session: AdminSession) -> TotpEnrolment:
        state = self._accounts.second_factor(session.username)
        secret = totp.new_secret()
        self._accounts.save(session.username, replace(state, pending_secret=secret))
        uri = totp.provisioning_uri(secret, session.username, TOTP_ISSUER)
        return TotpEnrolment(secret, uri, totp.qr_svg(uri))

    def confirm_totp_enrolment(self, session: AdminSession, code: str) -> list[str]:
        state = self._accounts.second_factor(session.username)
        step = totp.matching_step(state.pending_secret, code, self._clock()) if state.pending_secret else None
        if step is None:
            raise AuthError(
                AuthFailure.INVALID_SECOND_FACTOR,
                "That code doesn't match. Scan the QR code again and enter the current code.",
                field="code",
            )
        recovery_codes = totp.new_recovery_codes()
        self._accounts.save(
            session.username,
            SecondFactor(
                enabled=True,
                secret=state.pending_secret,
                last_step=step,
                recovery_code_hashes=tuple(totp.recovery_code_hash(c) for c in recovery_codes),
                etag=state.etag,
            ),
        )
        return recovery_codes

    def disable_totp(self, session: AdminSession, code: str) -> None:
        state = self._accounts.second_factor(session.username)
        if not state.enabled or self._use_second_factor(state, LoginAttempt("", "", totp_code=code)) is None:
            raise AuthError(AuthFailure.INVALID_SECOND_FACTOR, "That code isn't valid, so two-step sign-in stays on.", field="code")
        self._accounts.save(session.username, SecondFactor(etag=None))


def _origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _wait_message(seconds: float) -> str:
    minutes = int(seconds // 60)
    when = f"{minutes} minute{'s' * (minutes != 1)}" if minutes else f"{max(1, int(seconds))} seconds"
    return f"Too many failed sign-in attempts. Try again in {when}."
