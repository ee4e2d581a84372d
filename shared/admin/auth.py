"""Admin sign-in: password (+ optional TOTP), throttling, sessions, CSRF and Origin checks."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import urlsplit

from shared.admin import totp
from shared.admin.accounts import AdminAccounts, SecondFactor, StaleSecondFactor
from shared.admin.devices import DeviceTokens
from shared.admin.passwords import UnsupportedHash, decoy_for, verify_password
from shared.admin.sessions import AdminSession, SessionStore
from shared.admin.throttle import LoginThrottle, login_subjects
from shared.config.settings import SetupRequired
from shared.errors import DomainError, ErrorKind
from shared.storage.side_by_side import SideBySide

TOTP_ISSUER = "Helpr"


class AuthFailure(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    INVALID_SECOND_FACTOR = "invalid_second_factor"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    NOT_AUTHENTICATED = "not_authenticated"
    ORIGIN_MISMATCH = "origin_mismatch"
    CSRF_TOKEN_INVALID = "csrf_token_invalid"


_KIND_BY_FAILURE = {
    AuthFailure.INVALID_CREDENTIALS: ErrorKind.UNAUTHENTICATED,
    AuthFailure.SECOND_FACTOR_REQUIRED: ErrorKind.UNAUTHENTICATED,
    AuthFailure.INVALID_SECOND_FACTOR: ErrorKind.UNAUTHENTICATED,
    AuthFailure.NOT_AUTHENTICATED: ErrorKind.UNAUTHENTICATED,
    AuthFailure.TOO_MANY_ATTEMPTS: ErrorKind.RATE_LIMITED,
    AuthFailure.ORIGIN_MISMATCH: ErrorKind.FORBIDDEN,
    AuthFailure.CSRF_TOKEN_INVALID: ErrorKind.FORBIDDEN,
}


class AuthError(DomainError):
    def __init__(
        self,
        failure: AuthFailure,
        message: str,
        *,
        retry_after: float | None = None,
        field: str | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(str(failure), message, kind=kind or _KIND_BY_FAILURE[failure], field=field, retry_after=retry_after)
        self.failure = failure


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    password: str
    totp_code: str = ""
    recovery_code: str = ""
    client_ip: str = ""
    # The signed-in-before cookie, if the browser sent one.
    device_token: str = ""


@dataclass(frozen=True)
class SignedIn:
    session: AdminSession
    session_token: str
    second_factor: SecondFactor
    # A new device cookie to set, when the browser had none that was valid.
    device_token: str = ""


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
        devices: DeviceTokens,
        clock: Callable[[], float] = time.time,
        side_by_side: SideBySide | None = None,
    ) -> None:
        self._side_by_side = side_by_side or SideBySide(None)
        self._devices = devices
        self._admin_username = admin_username
        self._password_hash = password_hash
        self._site_origin = site_origin
        self._sessions = sessions
        self._throttle = throttle
        self._accounts = accounts
        self._clock = clock

    # -- sign-in -------------------------------------------------------------

    def login(self, attempt: LoginAttempt, origin: str, referer: str = "") -> SignedIn:
        self.check_origin(origin, referer)
        stored_hash = self._stored_hash()
        device_id = self._devices.device_id(attempt.device_token, attempt.username) if attempt.device_token else ""
        subjects = login_subjects(attempt.username, attempt.client_ip, device_id)
        # Counted before the password is checked: a burst of guesses gets no more checks than the limit.
        wait = self._throttle.begin(subjects)
        if wait is not None:
            raise AuthError(AuthFailure.TOO_MANY_ATTEMPTS, _wait_message(wait), retry_after=wait)

        if not self._password_matches(attempt.username, attempt.password, stored_hash):
            raise AuthError(AuthFailure.INVALID_CREDENTIALS, "That username and password don't match. Check them and try again.")

        second_factor = self._accounts.second_factor(self._admin_username)
        if second_factor.enabled:
            if not attempt.totp_code and not attempt.recovery_code:
                raise AuthError(
                    AuthFailure.SECOND_FACTOR_REQUIRED,
                    "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
                    field="totpCode",
                )
            used = self._use_second_factor(second_factor, attempt.totp_code, attempt.recovery_code)
            if used is None:
                raise AuthError(
                    AuthFailure.INVALID_SECOND_FACTOR,
                    "That code isn't valid. Codes change every 30 seconds; each can be used once.",
                    field="totpCode",
                )
            second_factor = used
        self._throttle.succeeded(subjects)
        session, token = self._sessions.create(self._admin_username, self._credential_version(stored_hash, second_factor))
        new_device = "" if device_id else self._devices.issue(self._admin_username)
        return SignedIn(session, token, second_factor, new_device)

    def _stored_hash(self) -> str:
        stored_hash = self._password_hash()
        if not stored_hash:
            raise SetupRequired(
                ["ADMIN_PASSWORD_HASH"],
                "No admin password is set. Create a hash with `python -m devtools.hash_password` and store it as "
                "ADMIN_PASSWORD_HASH (or the Key Vault secret admin-password-hash).",
            )
        return stored_hash

    @staticmethod
    def _credential_version(stored_hash: str, second_factor: SecondFactor) -> str:
        """Changes when the password hash changes or every session must end; never reveals the hash."""
        return hashlib.sha256(f"{stored_hash}|{second_factor.session_epoch}".encode()).hexdigest()[:24]

    def _password_matches(self, username: str, password: str, stored_hash: str) -> bool:
        name_ok = hmac.compare_digest(username.strip().lower().encode(), self._admin_username.strip().lower().encode())
        try:
            # A wrong name is checked against a decoy of the same method and cost: it takes as long.
            password_ok = verify_password(stored_hash if name_ok else decoy_for(stored_hash), password)
        except UnsupportedHash as exc:
            raise SetupRequired(["ADMIN_PASSWORD_HASH"], f"ADMIN_PASSWORD_HASH can't be used: {exc}.") from None
        return name_ok and password_ok

    def _use_second_factor(self, state: SecondFactor, totp_code: str, recovery_code: str) -> SecondFactor | None:
        """Uses up a current code or a recovery code (each works once); None when neither is right."""
        if totp_code:
            step = totp.matching_step(state.secret, totp_code, self._clock(), after_step=state.last_step)
            if step is None:
                return None
            updated = replace(state, last_step=step)
        else:
            if not recovery_code:
                return None
            matched = self._accounts.matching_recovery_hash(state, recovery_code)
            if matched is None:
                return None
            remaining = tuple(h for h in state.recovery_code_hashes if h != matched)
            updated = replace(state, recovery_code_hashes=remaining)
        try:
            return self._accounts.save(self._admin_username, updated)
        except StaleSecondFactor:
            return None  # a racing request used the same code first

    # -- requests after sign-in --------------------------------------------

    def authenticate(self, token: str) -> AdminSession:
        # A signed token's session and the admin's second factor are read side by side (one round trip).
        admin_factor = (
            self._side_by_side.start(lambda: self._accounts.second_factor(self._admin_username))
            if token and self._sessions.signed(token)
            else None
        )
        session = self._sessions.resolve(token) if token else None
        if session is not None:
            factor = (
                admin_factor.result()
                if admin_factor is not None and session.username == self._admin_username
                else self._accounts.second_factor(session.username)
            )
            current = self._credential_version(self._stored_hash(), factor)
            if not hmac.compare_digest(session.credential_version, current):
                session = None  # signed in before the password or second factor changed
        if session is None:
            raise AuthError(
                AuthFailure.NOT_AUTHENTICATED,
                "You're not signed in, or your session has ended. Sign in again (a script sends its API key in the X-Api-Key header).",
            )
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

    def sign_out_everywhere(self, session: AdminSession) -> None:
        """Ends every session, on every browser, this one included."""
        self._end_other_sessions(session)
        self._sessions.revoke(session.id)

    def second_factor_enabled(self) -> bool:
        return self._accounts.second_factor(self._admin_username).enabled

    # -- second factor enrolment ------------------------------------------------

    def start_totp_enrolment(self, session: AdminSession, current_code: str = "") -> TotpEnrolment:
        """While two-step sign-in is on, a new authenticator needs a current code or a recovery code:
        a stolen session must not be able to swap the second factor."""
        state = self._accounts.second_factor(session.username)
        if state.enabled:
            proven = self._use_second_factor(state, *_code_kinds(current_code))
            if proven is None:
                raise AuthError(
                    AuthFailure.INVALID_SECOND_FACTOR,
                    "Enter a current code from your authenticator app, or a recovery code, to set up a new one.",
                    field="code",
                    kind=ErrorKind.INVALID,  # a form error while signed in, not a lost session
                )
            state = proven
        secret = totp.new_secret()
        self._accounts.save(session.username, replace(state, pending_secret=secret))
        uri = totp.provisioning_uri(secret, session.username, TOTP_ISSUER)
        return TotpEnrolment(secret, uri, totp.qr_svg(uri))

    def confirm_totp_enrolment(self, session: AdminSession, code: str) -> tuple[list[str], AdminSession]:
        """Turns the new authenticator on, ends every other session, and keeps this one."""
        state = self._accounts.second_factor(session.username)
        step = totp.matching_step(state.pending_secret, code, self._clock()) if state.pending_secret else None
        if step is None:
            raise AuthError(
                AuthFailure.INVALID_SECOND_FACTOR,
                "That code doesn't match. Scan the QR code again and enter the current code.",
                field="code",
                kind=ErrorKind.INVALID,
            )
        recovery_codes = totp.new_recovery_codes()
        saved = self._accounts.save(
            session.username,
            SecondFactor(
                enabled=True,
                secret=state.pending_secret,
                last_step=step,
                recovery_code_hashes=self._accounts.hash_recovery_codes(recovery_codes),
                session_epoch=state.session_epoch + 1,
                etag=state.etag,
            ),
        )
        return recovery_codes, self._sessions.rebind(session, self._credential_version(self._stored_hash(), saved))

    def disable_totp(self, session: AdminSession, code: str) -> AdminSession:
        state = self._accounts.second_factor(session.username)
        used = self._use_second_factor(state, *_code_kinds(code)) if state.enabled else None
        if used is None:
            raise AuthError(
                AuthFailure.INVALID_SECOND_FACTOR,
                "That code isn't valid, so two-step sign-in stays on.",
                field="code",
                kind=ErrorKind.INVALID,
            )
        saved = self._accounts.save(session.username, SecondFactor(session_epoch=used.session_epoch + 1, etag=used.etag))
        return self._sessions.rebind(session, self._credential_version(self._stored_hash(), saved))

    def _end_other_sessions(self, session: AdminSession) -> None:
        for _ in range(10):
            state = self._accounts.second_factor(session.username)
            try:
                self._accounts.save(session.username, replace(state, session_epoch=state.session_epoch + 1))
                return
            except StaleSecondFactor:
                continue
        raise AuthError(AuthFailure.TOO_MANY_ATTEMPTS, "Someone else is changing the sign-in settings right now. Try again.", retry_after=2)


def _code_kinds(code: str) -> tuple[str, str]:
    """A 6-digit code is an authenticator code; anything else is tried as a recovery code."""
    cleaned = code.strip().replace(" ", "")
    return (cleaned, "") if cleaned.isascii() and cleaned.isdigit() and len(cleaned) == 6 else ("", code)


def _origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _wait_message(seconds: float) -> str:
    minutes = int(seconds // 60)
    when = f"{minutes} minute{'s' * (minutes != 1)}" if minutes else f"{max(1, int(seconds))} seconds"
    return f"Too many failed sign-in attempts. Try again in {when}."
