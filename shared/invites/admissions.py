"""What a guest's invite code admits them to: an admin-created invite (with its tier and cap),
the global INVITE_CODE (the built-in invite), or, when no code is required, the default tier."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shared.access.tiers import DEFAULT_TIER_ID, Tier, TierError, TierStore
from shared.config.runtime_settings import RuntimeSettings
from shared.invites.links import InviteLink, InviteLinkError, InviteLinks
from shared.storage.side_by_side import SideBySide


class InviteCodeRejected(Exception):
    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


# What the log and a grant record for the global INVITE_CODE: never the secret itself, which a read-only API key
# could otherwise read back from the Users list and use to invite anyone. A link's code can't hold parentheses.
GLOBAL_CODE_MARK = "(global code)"


@dataclass(frozen=True)
class Admission:
    tier: Tier
    code: str = ""  # as recorded in the log: a link's code, GLOBAL_CODE_MARK, or "" for none
    link: InviteLink | None = None
    claimed: bool = False


class Admissions:
    def __init__(
        self,
        links: InviteLinks,
        tiers: TierStore,
        runtime_settings: RuntimeSettings,
        global_code: Callable[[], str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        side_by_side: SideBySide | None = None,
    ) -> None:
        self._clock = clock
        self._side_by_side = side_by_side or SideBySide(None)
        self._links = links
        self._tiers = tiers
        self._runtime = runtime_settings
        self._global_code = global_code

    def code_required(self) -> bool:
        return bool(self._global_code()) or self._runtime.invite_code_required()

    def is_global_code(self, code: str) -> bool:
        """Whether the code is the global INVITE_CODE: known in memory, before any lookup. Read on every check (a
        cached secret), so a code rotated in Key Vault applies without a restart."""
        global_code = self._global_code()
        return bool(code and global_code) and hmac.compare_digest(code.encode(), global_code.encode())

    def check(self, code: str) -> Admission:
        """Which invite the code stands for, without using it up. Raises InviteCodeRejected.

        The default tier (what a global code or no code admits to) is read side by side with the code's own
        lookups, so a typical check costs one round trip to storage."""
        default_tier = self._side_by_side.start(lambda: self._tier(DEFAULT_TIER_ID))
        if not code:
            if self.code_required():
                raise InviteCodeRejected("invite_code_required", "This server needs an invite code. Enter the code from your invitation.")
            return Admission(default_tier.result())
        # The global code first: known in memory, so the usual invite skips the link lookup. A link can't be given
        # the global code (InviteLinks.create refuses it).
        if self.is_global_code(code):
            return Admission(default_tier.result(), GLOBAL_CODE_MARK)
        link = self._links.get(code)
        if link is not None:
            if link.used_up:
                raise InviteCodeRejected("invite_used_up", "This invite is used up. Ask the person who sent it for a new one.")
            if link.expires_at is not None and link.expired_at(self._clock()):
                raise InviteCodeRejected("invite_expired", "This invite has expired. Ask the person who sent it for a new one.")
            tier = default_tier.result() if link.tier_id in ("", DEFAULT_TIER_ID) else self._tier(link.tier_id)
            return Admission(tier, link.code, link)
        raise InviteCodeRejected(
            "invalid_invite_code", "That invite code isn't valid. Check it against your invitation, or ask the person who invited you."
        )

    def claim(self, admission: Admission) -> Admission:
        """Counts one use of an admin invite, exactly across instances. Raises InviteCodeRejected if
        it was used up or expired meanwhile."""
        if admission.link is None:
            return admission
        try:
            claimed = self._links.claim_use(admission.link.code)
        except InviteLinkError as exc:
            raise InviteCodeRejected(exc.code, exc.message) from None
        if claimed is None:
            raise InviteCodeRejected("invalid_invite_code", "That invite was just withdrawn. Ask the person who invited you.")
        return replace(admission, link=claimed, claimed=True)

    def release(self, admission: Admission) -> None:
        if admission.link is not None and admission.claimed:
            self._links.release_use(admission.link.code)

    def _tier(self, tier_id: str) -> Tier:
        try:
            return self._tiers.get(tier_id)
        except TierError:
            # An invite whose tier was deleted falls back to the default libraries, never to another invite's.
            return self._tiers.get(DEFAULT_TIER_ID)
