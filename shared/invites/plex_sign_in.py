"""Guests sign in with Plex: a PIN, the app.plex.tv auth page, then the verified account (and no other) is invited through
the same admission rules as a typed one, and the new share is accepted for them with their token.

The guest's Plex token lives only inside `complete()`: it is used for this request and signed out, never stored,
logged, returned or put in a URL. The PIN id lives in a short-lived, signed, HttpOnly cookie bound to the browser
that asked for it (only that browser holds the cookie; the code in the auth URL is useless without it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from shared.access.tiers import TierStore
from shared.config.runtime_settings import RuntimeSettings
from shared.errors import DomainError, ErrorKind
from shared.invites.admissions import Admissions, InviteCodeRejected
from shared.invites.log import InviteOutcome
from shared.invites.service import InviteResult, InviteService, InviteSubmission
from shared.invites.validation import parse_invite_code
from shared.limits.request_limits import RequestLimits
from shared.plex.errors import PlexError
from shared.plex.gateway import PlexGateway
from shared.plex.guest import GuestAccount, GuestFailureKind, GuestPlex, GuestPlexFailure, auth_url

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long a started sign-in may take; the cookie ends with it (plex.tv's strong PINs live longer).
SIGN_IN_SECONDS = 15 * 60
_COOKIE_VERSION = "1"
# What a sign-in is for, kept in the signed cookie (never the URL): joining the server, or a returning guest's status
# page (shared.guest.status), which invites nobody. A PIN started for one purpose can't finish the other.
PURPOSE_INVITE = "invite"
PURPOSE_STATUS = "status"


class SignInError(DomainError):
    """What the guest is told when signing in with Plex can't go on; nothing was shared."""

    @property
    def ends_sign_in(self) -> bool:
        """False only while the guest may still finish signing in: the browser's PIN cookie then stays."""
        return self.code != "sign_in_pending"


@dataclass(frozen=True)
class SignInStart:
    auth_url: str
    cookie_value: str  # signed; the handler sets it HttpOnly


@dataclass(frozen=True)
class SignInResult:
    invite: InviteResult
    username: str
    # True when the share is accepted (by us now, or already before); False when the guest must accept by hand.
    accepted: bool


@dataclass(frozen=True)
class _PinCookie:
    pin_id: int
    invite_code: str
    expires_at: float
    purpose: str = PURPOSE_INVITE


@dataclass(frozen=True)
class PlexSignInConfig:
    client_identifier: str
    product: str
    auth_base_url: str


class PlexSignIn:
    def __init__(
        self,
        *,
        config: PlexSignInConfig,
        guest: Callable[[], GuestPlex],
        gateway: Callable[[], PlexGateway],
        invites: InviteService,
        admissions: Admissions,
        runtime_settings: RuntimeSettings,
        tiers: TierStore,
        limits: RequestLimits,
        signing_key: Callable[[], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._guest = guest
        self._gateway = gateway
        self._invites = invites
        self._admissions = admissions
        self._runtime = runtime_settings
        self._tiers = tiers
        self._limits = limits
        self._signing_key = signing_key
        self._clock = clock

    def start(self, invite_code: object, client_ip: str, forward_url: str, purpose: str = PURPOSE_INVITE) -> SignInStart:
        """Checks the mode and the code, then creates a PIN (one anonymous plex.tv request, rate-limited like an invite).
        For the status page (PURPOSE_STATUS) there is no code or mode to check, and it is limited like a status check."""
        if purpose == PURPOSE_STATUS:
            self._gateway().ensure_configured()
            self._limits.check_status_address(client_ip)
            pin = self._call(lambda guest: guest.create_pin())
            cookie = self._sign(_PinCookie(pin.id, "", self._clock() + SIGN_IN_SECONDS, PURPOSE_STATUS))
            url = auth_url(self._config.auth_base_url, self._config.client_identifier, pin.code, forward_url, self._config.product)
            return SignInStart(url, cookie)
        if not self._runtime.sign_in_mode().allows_sign_in:
            raise SignInError("sign_in_disabled", "Signing in with Plex is turned off here. Enter your Plex username or email instead.")
        code = parse_invite_code(invite_code)
        self._gateway().ensure_configured()
        self._limits.check_invite_address(client_ip)
        try:
            self._admissions.check(code)  # a wrong code is refused before plex.tv is asked for anything
        except InviteCodeRejected as rejected:
            message = rejected.message if rejected.error_code == "invite_code_required" else _UNUSABLE_CODE
            raise SignInError(rejected.error_code, message, kind=ErrorKind.FORBIDDEN, field="inviteCode") from None
        pin = self._call(lambda guest: guest.create_pin())
        cookie = self._sign(_PinCookie(pin.id, code, self._clock() + SIGN_IN_SECONDS))
        url = auth_url(self._config.auth_base_url, self._config.client_identifier, pin.code, forward_url, self._config.product)
        return SignInStart(url, cookie)

    def complete(self, cookie_value: str, client_ip: str) -> SignInResult:
        """Reads the PIN once: no token yet raises sign_in_pending (the page asks again, then says the sign-in wasn't
        finished); with the token, invites the account plex.tv names and accepts the share for it."""
        pin_cookie = self._verify(cookie_value, PURPOSE_INVITE)
        self._limits.check_api_call(client_ip)
        guest = self._guest()
        token = self._call(lambda g: g.pin_token(pin_cookie.pin_id))
        if not token:
            raise SignInError("sign_in_pending", "You haven't finished signing in with Plex yet.", kind=ErrorKind.CONFLICT, retry_after=2.0)
        try:
            account = self._call(lambda g: g.account(token))
            result = self._invites.submit(
                InviteSubmission(account.email or account.username, pin_cookie.invite_code, client_ip, verified=True)
            )
            accepted = False
            if result.outcome.succeeded:
                accepted = self._accept(guest, token, account, result)
                if accepted:
                    self._account_settings(guest, token, account, result.tier_id)
            return SignInResult(_with_acceptance(result, accepted, account), account.username or account.email, accepted)
        finally:
            try:
                guest.sign_out(token)
            except GuestPlexFailure as failure:
                log.warning("Could not sign the guest's Plex token out: %s", failure.kind)

    def verified_account(self, cookie_value: str) -> GuestAccount:
        """Who signed in for the status page (a PURPOSE_STATUS PIN): reads the PIN and the account, then signs the
        token out at once. Nothing is invited; the token never leaves this method. The caller limits the address."""
        pin_cookie = self._verify(cookie_value, PURPOSE_STATUS)
        guest = self._guest()
        token = self._call(lambda g: g.pin_token(pin_cookie.pin_id))
        if not token:
            raise SignInError("sign_in_pending", "You haven't finished signing in with Plex yet.", kind=ErrorKind.CONFLICT, retry_after=2.0)
        try:
            return self._call(lambda g: g.account(token))
        finally:
            try:
                guest.sign_out(token)
            except GuestPlexFailure as failure:
                log.warning("Could not sign the guest's Plex token out: %s", failure.kind)

    # -- after the invite ------------------------------------------------------------------------------------------

    def _accept(self, guest: GuestPlex, token: str, account: GuestAccount, result: InviteResult) -> bool:
        share_id = result.share_id
        if share_id is None:
            # Already shared, or an invite settled after a retry: find the share in the owner's lists.
            try:
                gateway = self._gateway()
                share = next((s for name in (account.email, account.username) if name for s in [gateway.find_share(name)] if s), None)
            except PlexError as error:
                log.warning("Could not find the guest's share to accept it: %s", error.kind)
                return False
            if share is None:
                log.warning("No share found to accept for a signed-in guest")
                return False
            if not share.pending:
                return True
            share_id = share.id
        try:
            guest.accept_share(token, share_id)
        except GuestPlexFailure as failure:
            log.warning("Accepting the share for the guest failed (%s, status %s); they must accept by hand", failure.kind, failure.status)
            return False
        log.info("Share accepted for a signed-in guest")
        return True

    def _account_settings(self, guest: GuestPlex, token: str, account: GuestAccount, tier_id: str) -> None:
        """The tier's optional settings on the guest's account; a failure is logged and never fails the invite."""
        try:
            tier = self._tiers.get(tier_id)
        except Exception as exc:  # noqa: BLE001 - optional settings never fail the invite
            log.warning("Could not read the tier for the guest's account settings: %s", type(exc).__name__)
            return
        if tier.sync_watch_state:
            try:
                guest.enable_view_state_sync(token)
            except GuestPlexFailure as failure:
                log.warning("Could not turn on watch-state sync for the guest: %s (status %s)", failure.kind, failure.status)
        if tier.opt_out_online_media:
            try:
                guest.opt_out_online_media(token, account.uuid)
            except GuestPlexFailure as failure:
                log.warning("Could not opt the guest out of online media sources: %s (status %s)", failure.kind, failure.status)

    # -- plex.tv failures --------------------------------------------------------------------------------------------

    def _call(self, operation: Callable[[GuestPlex], T]) -> T:
        try:
            return operation(self._guest())
        except GuestPlexFailure as failure:
            if failure.kind is GuestFailureKind.PIN_EXPIRED:
                raise SignInError(
                    "sign_in_expired",
                    "Your Plex sign-in took too long and expired. Start again with Sign in with Plex.",
                    kind=ErrorKind.CONFLICT,
                ) from None
            log.warning("plex.tv failed during a guest sign-in: %s", failure.detail)
            if failure.kind is GuestFailureKind.REFUSED:
                raise SignInError(
                    "plex_sign_in_failed", "Plex didn't accept the sign-in. Start again with Sign in with Plex.", kind=ErrorKind.CONFLICT
                ) from None
            raise SignInError(
                "plex_unavailable",
                "Plex isn't responding right now, so nothing was shared. Please try again in a few minutes.",
                kind=ErrorKind.UNAVAILABLE,
                retry_after=60,
            ) from None

    # -- the cookie ---------------------------------------------------------------------------------------------------

    def _key(self) -> bytes:
        # Its own key, derived from the session signing key: a PIN cookie can never pass as an admin session.
        return hmac.new(self._signing_key().encode(), b"helpr plex sign-in cookie", hashlib.sha256).digest()

    def _sign(self, cookie: _PinCookie) -> str:
        payload = json.dumps(
            {
                "v": _COOKIE_VERSION,
                "p": cookie.pin_id,
                "c": cookie.invite_code,
                "e": int(cookie.expires_at),
                "u": cookie.purpose,
                "n": secrets.token_hex(8),
            },
            separators=(",", ":"),
        ).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        signature = base64.urlsafe_b64encode(hmac.new(self._key(), body.encode(), hashlib.sha256).digest()).decode().rstrip("=")
        return f"{body}.{signature}"

    def _verify(self, value: str, purpose: str) -> _PinCookie:
        missing = SignInError(
            "sign_in_not_started",
            "This browser has no Plex sign-in in progress (it may have expired). Start again with Sign in with Plex.",
            kind=ErrorKind.CONFLICT,
        )
        body, _, signature = value.partition(".")
        if not body or not signature:
            raise missing
        expected = base64.urlsafe_b64encode(hmac.new(self._key(), body.encode(), hashlib.sha256).digest()).decode().rstrip("=")
        if not hmac.compare_digest(expected, signature):
            raise missing
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            cookie = _PinCookie(int(data["p"]), str(data["c"]), float(data["e"]), str(data.get("u") or PURPOSE_INVITE))
        except (ValueError, KeyError, TypeError):
            raise missing from None
        # A status page's PIN never invites anyone (it skipped the mode and code checks), nor the other way round.
        if data.get("v") != _COOKIE_VERSION or cookie.expires_at <= self._clock() or cookie.purpose != purpose:
            raise missing
        return cookie


_UNUSABLE_CODE = (
    "That invite code isn't valid. Check it against your invitation; if it's right, it may have been used up "
    "or have expired, so ask the person who invited you for a new one."
)


def _with_acceptance(result: InviteResult, accepted: bool, account: GuestAccount) -> InviteResult:
    """The guest's message: in and accepted, or invited and how to accept by hand."""
    name = account.username or account.email
    if result.outcome is InviteOutcome.USER_NOT_FOUND:
        message = (
            f"Plex couldn't invite your account ({name}). If you just created it, verify your email with Plex first "
            "(check your inbox for Plex's message), then sign in here again."
        )
        return replace(result, message=message, field=None)
    if not result.outcome.succeeded:
        return result
    if accepted:
        if result.outcome is InviteOutcome.ALREADY_SHARED:
            message = f"You already have access, {name}. Open Plex to start watching."
        else:
            message = f"You're in, {name}! The server is shared with your Plex account and already accepted. Open Plex to start watching."
    else:
        message = (
            f"You're invited, {name}, but Plex didn't let us accept the invite for you. Open app.plex.tv signed in as {name}, "
            "go to Settings → Manage Library Access (or the pending invites), and accept it. Plex also emails you the invite."
        )
    return replace(result, message=message)
