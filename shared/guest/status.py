"""A returning guest's own access: pending or accepted, their tier's libraries, when access ends, and asking for
more time.

A guest proves who they are with their Plex username or email plus the invite code their access was granted with
(the code is recorded on the grant). An unknown identifier, a wrong code and a grant made without any code get the
same answer, after the same constant-time comparison, so the page tells a stranger nothing about anyone. Every
check is counted against the client address's limits first (as tightly as an invite).

A guest who signs in with Plex on the status page proves who they are with that account instead: the grant is found
by the account's email or username, and the page gets a short-lived signed proof naming the grant (an HttpOnly
cookie) that stands in for identifier + code when they ask for more time. The guest's Plex token is never kept.
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
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.access.grants import Grant, GrantStatus, GrantStore
from shared.access.more_time import MoreTimeRequest, MoreTimeRequests
from shared.access.tiers import DEFAULT_TIER_ID, Tier, TierError, TierStore
from shared.errors import DomainError, ErrorKind
from shared.invites.links import InviteLinks
from shared.invites.plex_sign_in import PlexSignIn, SignInError
from shared.invites.validation import InvalidInput, parse_identifier, parse_invite_code
from shared.limits.request_limits import RequestLimits
from shared.notify.events import Event, EventKind, stable_id
from shared.notify.publisher import Publisher
from shared.plex.errors import PlexError
from shared.plex.gateway import PlexGateway

log = logging.getLogger(__name__)

# Compared against when there is no grant (or it has no code), so every answer costs the same comparison.
_DECOY = secrets.token_urlsafe(24).encode()


class AccessNotFound(DomainError):
    """One answer for an unknown identifier, a wrong code and access granted without a code."""

    default_kind = ErrorKind.FORBIDDEN

    def __init__(self) -> None:
        super().__init__(
            "access_not_found",
            "No access was found for that Plex account and invite code. Check both against your invitation.",
            field="inviteCode",
        )


class NoAccessForAccount(SignInError):
    """One answer for every Plex account without access here; the sign-in is over (its cookie is cleared)."""

    def __init__(self) -> None:
        super().__init__(
            "access_not_found",
            "No access was found for the Plex account you signed in with. If you were invited with another account, "
            "check with that one, or ask the person who invited you.",
            kind=ErrorKind.FORBIDDEN,
        )


class ProofExpired(DomainError):
    default_kind = ErrorKind.FORBIDDEN

    def __init__(self) -> None:
        super().__init__("status_sign_in_expired", "Your check with Plex on this page has expired. Press Check with Plex again.")


# How long a guest who signed in with Plex may ask for more time without signing in again.
PROOF_SECONDS = 15 * 60
_PROOF_VERSION = "1"


class MoreTimeRefused(DomainError):
    default_kind = ErrorKind.CONFLICT


@dataclass(frozen=True)
class SignedInStatus:
    status: GuestStatus
    proof: str  # signed, names the grant; the handler sets it as an HttpOnly cookie for PROOF_SECONDS


@dataclass(frozen=True)
class GuestStatus:
    identifier: str
    # "pending" or "accepted" on plex.tv; "missing" when plex.tv has no share for them; "unknown" when plex.tv
    # couldn't be read; "ended" once the access was revoked or expired.
    status: str
    tier: str
    libraries: tuple[str, ...]
    expires_at: datetime | None
    more_time_requested_at: datetime | None
    tier_id: str = ""  # the tier the name stands for: its Start watching page overrides apply

    @property
    def can_request_more_time(self) -> bool:
        return self.status != "ended" and self.expires_at is not None and self.more_time_requested_at is None


class GuestStatusService:
    def __init__(
        self,
        *,
        grants: GrantStore,
        tiers: TierStore,
        gateway: Callable[[], PlexGateway],
        limits: RequestLimits,
        more_time: MoreTimeRequests,
        links: InviteLinks,
        notifications: Publisher | None = None,
        sign_in: Callable[[], PlexSignIn] | None = None,
        signing_key: Callable[[], str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        proof_clock: Callable[[], float] = time.time,
    ) -> None:
        self._grants = grants
        self._tiers = tiers
        self._gateway = gateway
        self._limits = limits
        self._more_time = more_time
        self._links = links
        self._notifications = notifications or Publisher()
        self._sign_in = sign_in
        self._signing_key = signing_key
        self._clock = clock
        self._proof_clock = proof_clock

    def status(self, identifier: object, invite_code: object, client_ip: str) -> GuestStatus:
        """Two plex.tv requests on a warm instance (the owner's pending and accepted shares); none once access ended."""
        return self._status_of(self._verified(identifier, invite_code, client_ip))

    def status_signed_in(self, pin_cookie: str, client_ip: str) -> SignedInStatus:
        """The status of the account the guest just signed in to Plex with (a status-page PIN), and a proof for asking
        for more time. Every account without access here gets the same NoAccessForAccount; nobody is invited."""
        self._limits.check_status_address(client_ip)
        if self._sign_in is None:
            raise NoAccessForAccount()
        account = self._sign_in().verified_account(pin_cookie)
        grant = self._grant_for(account.email, account.username)
        if grant is None:
            raise NoAccessForAccount()
        return SignedInStatus(self._status_of(grant), self._sign_proof(grant.identifier))

    def request_more_time_with_proof(self, proof: str, client_ip: str) -> MoreTimeRequest:
        """As request_more_time, for a guest who checked with Plex on this page within PROOF_SECONDS."""
        self._limits.check_status_address(client_ip)
        grant = self._grants.get(self._verify_proof(proof))
        if grant is None:
            raise ProofExpired()
        return self._more_time_for(grant)

    def _grant_for(self, *names: str) -> Grant | None:
        """Grants are keyed by the normalised identifier: a signed-in invite records the email, a typed one either."""
        for name in names:
            if not name:
                continue
            try:
                normalized = parse_identifier(name).normalized
            except InvalidInput:
                continue
            grant = self._grants.get(normalized)
            if grant is not None:
                return grant
        return None

    def _status_of(self, grant: Grant) -> GuestStatus:
        tier = self._tier(grant.tier_id)
        requested = self._more_time.open_request(grant)
        if grant.status is not GrantStatus.ACTIVE:
            return GuestStatus(grant.identifier, "ended", tier.name, (), grant.expires_at, None, tier.id)
        state = "unknown"
        libraries: tuple[str, ...] = ()
        try:
            gateway = self._gateway()
            share = gateway.find_share(grant.identifier)
            state = "missing" if share is None else "pending" if share.pending else "accepted"
            libraries = gateway.library_titles(tier.section_ids)
        except PlexError as error:
            log.warning("Guest status without plex.tv: %s", error.kind)
        return GuestStatus(grant.identifier, state, tier.name, libraries, grant.expires_at, requested, tier.id)

    def request_more_time(self, identifier: object, invite_code: object, client_ip: str) -> MoreTimeRequest:
        """Records one open request per grant; the owner hears of it once (MORE_TIME_REQUESTED)."""
        return self._more_time_for(self._verified(identifier, invite_code, client_ip))

    def _more_time_for(self, grant: Grant) -> MoreTimeRequest:
        if grant.status is not GrantStatus.ACTIVE:
            raise MoreTimeRefused("no_active_access", "Your access has ended. Ask the person who invited you for a new invite.")
        if grant.expires_at is None:
            raise MoreTimeRefused("no_end_date", "Your access has no end date, so there is no need to ask for more time.")
        request = self._more_time.request(grant)
        if request.new:
            facts: dict[str, str | int | list[str]] = {
                "identifier": grant.identifier,
                "tier": self._tier(grant.tier_id).name,
                "expires_at": grant.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            }
            event_id = stable_id(f"more_time_requested-{grant.row_key or grant.identifier}-{int(request.requested_at.timestamp())}")
            self._notifications.publish(Event.create(EventKind.MORE_TIME_REQUESTED, facts, event_id=event_id))
        return request

    def _verified(self, identifier: object, invite_code: object, client_ip: str) -> Grant:
        parsed = parse_identifier(identifier)
        code = parse_invite_code(invite_code)
        self._limits.check_status_address(client_ip)
        grant = self._grants.get(parsed.normalized)
        recorded = grant.invite_code.encode() if grant is not None and grant.invite_code else _DECOY
        # Invite link codes are stored upper-case and typed in any case; the global code is compared as it is.
        matches = hmac.compare_digest(code.encode(), recorded) | hmac.compare_digest(code.upper().encode(), recorded)
        if grant is None or not grant.invite_code or not code or not matches or not self._personal(grant.invite_code):
            raise AccessNotFound()
        return grant

    # -- the signed-in guest's proof -------------------------------------------------------------------------------

    def _key(self) -> bytes:
        if self._signing_key is None:
            raise ProofExpired()
        # Its own key, derived from the session signing key: a proof never passes as a session or a PIN cookie.
        return hmac.new(self._signing_key().encode(), b"helpr guest status proof", hashlib.sha256).digest()

    def _mac(self, body: str) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key(), body.encode(), hashlib.sha256).digest()).decode().rstrip("=")

    def _sign_proof(self, identifier: str) -> str:
        expires = int(self._proof_clock() + PROOF_SECONDS)
        payload = json.dumps({"v": _PROOF_VERSION, "g": identifier, "e": expires, "n": secrets.token_hex(8)}, separators=(",", ":"))
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{body}.{self._mac(body)}"

    def _verify_proof(self, value: str) -> str:
        body, _, signature = value.partition(".")
        if not body or not signature or not hmac.compare_digest(self._mac(body), signature):
            raise ProofExpired()
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            identifier, expires = str(data["g"]), float(data["e"])
        except (ValueError, KeyError, TypeError):
            raise ProofExpired() from None
        if data.get("v") != _PROOF_VERSION or expires <= self._proof_clock() or not identifier:
            raise ProofExpired()
        return identifier

    def _personal(self, code: str) -> bool:
        """Only a single-use invite link's code stands for one guest. A code many people share (the global
        code, a link with room for several) would let each of them look up the others by name."""
        link = self._links.get(code)
        return link is not None and link.max_uses == 1

    def _tier(self, tier_id: str) -> Tier:
        try:
            return self._tiers.get(tier_id)
        except TierError:
            return self._tiers.get(DEFAULT_TIER_ID)
