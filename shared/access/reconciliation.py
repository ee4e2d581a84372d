"""What differs between the portal's records and plex.tv, and the one-click fix for each difference.

- share_removed: an active grant whose share is gone (ended in Plex's own apps). Fix: forget (end the record, plex.tv
  untouched) or resend (invite again with the tier).
- libraries_differ: a share whose libraries are no longer its tier's. Fix: reapply the tier.
- pending_stale: an invite not accepted after N days. Fix: resend (remove the pending share, invite again with the
  tier) or withdraw (remove it, end the record, and give the invite link's use back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shared.access.grants import Grant, GrantStatus, GrantStore
from shared.access.shares import ShareSnapshots, share_for
from shared.access.tiers import Tier, TierError, TierStore
from shared.access.users import UserAccessError
from shared.errors import ErrorKind
from shared.plex.gateway import PlexGateway, PlexShare

DEFAULT_STALE_DAYS = 14
MAX_STALE_DAYS = 365


class FindingKind(StrEnum):
    SHARE_REMOVED = "share_removed"
    LIBRARIES_DIFFER = "libraries_differ"
    PENDING_STALE = "pending_stale"


class Fix(StrEnum):
    REAPPLY = "reapply"
    FORGET = "forget"
    RESEND = "resend"
    WITHDRAW = "withdraw"


FIXES: dict[FindingKind, tuple[Fix, ...]] = {
    FindingKind.SHARE_REMOVED: (Fix.FORGET, Fix.RESEND),
    FindingKind.LIBRARIES_DIFFER: (Fix.REAPPLY,),
    FindingKind.PENDING_STALE: (Fix.RESEND, Fix.WITHDRAW),
}


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    grant: Grant
    tier_name: str
    detail: str  # what differs, in the owner's words

    @property
    def fixes(self) -> tuple[Fix, ...]:
        return FIXES[self.kind]


@dataclass(frozen=True)
class FixResult:
    identifier: str
    fix: Fix
    message: str
    grant: Grant


# Gives an invite link's use back; False when the code is no link's (the global code, an adopted share).
ReturnUse = Callable[[str], bool]


class Reconciliation:
    def __init__(
        self,
        grants: GrantStore,
        tiers: TierStore,
        gateway: Callable[[], PlexGateway],
        snapshots: ShareSnapshots,
        return_use: ReturnUse,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._grants = grants
        self._tiers = tiers
        self._gateway = gateway
        self._snapshots = snapshots
        self._return_use = return_use
        self._clock = clock

    def findings(self, stale_days: int = DEFAULT_STALE_DAYS) -> list[Finding]:
        """Always a new read of plex.tv (this is the check against it); raises PlexError when it can't be read."""
        if not 1 <= stale_days <= MAX_STALE_DAYS:
            raise UserAccessError("invalid_days", f"Count pending invites as old after 1 to {MAX_STALE_DAYS} days.", field="staleDays")
        shares = self._snapshots.fresh()
        tiers = {tier.id: tier for tier in self._tiers.list()}
        all_ids = frozenset(library.section_id for library in self._gateway().libraries())
        cutoff = self._clock() - timedelta(days=stale_days)
        found = []
        for grant in self._grants.all():
            if grant.status is not GrantStatus.ACTIVE:
                continue
            tier = tiers.get(grant.tier_id)
            name = tier.name if tier else "(deleted tier)"
            share = share_for(shares, grant.identifier)
            if share is None:
                found.append(Finding(FindingKind.SHARE_REMOVED, grant, name, "Plex has no share for them any more."))
            elif share.pending and grant.granted_at <= cutoff:
                days = (self._clock() - grant.granted_at).days
                found.append(Finding(FindingKind.PENDING_STALE, grant, name, f"Invited {days} days ago and not accepted yet."))
            elif tier is not None and set(share.section_ids) != _tier_ids(tier, all_ids):
                shared = ", ".join(share.library_titles) or f"{len(share.section_ids)} libraries"
                found.append(Finding(FindingKind.LIBRARIES_DIFFER, grant, name, f"Plex shares {shared}, not the tier's libraries."))
        return found

    def fix(self, fix: Fix, identifier: str) -> FixResult:
        grant = self._grants.get(identifier.strip().lower())
        if grant is None or grant.status is not GrantStatus.ACTIVE:
            raise UserAccessError("no_active_access", "That person has no active access through the portal. Reload the findings.")
        shares = self._snapshots.fresh()
        share = share_for(shares, grant.identifier)
        if fix is Fix.REAPPLY:
            return self._reapply(grant, share)
        if fix is Fix.FORGET:
            return self._forget(grant, share)
        if fix is Fix.RESEND:
            return self._resend(grant, share)
        return self._withdraw(grant, share)

    def _tier(self, grant: Grant) -> Tier:
        try:
            return self._tiers.get(grant.tier_id)
        except TierError:
            raise UserAccessError("unknown_tier", "Their tier was deleted. Change their tier in the Users list first.") from None

    def _reapply(self, grant: Grant, share: PlexShare | None) -> FixResult:
        if share is None:
            raise UserAccessError("share_missing", "Plex has no share for this person any more. Forget or re-send instead.")
        tier = self._tier(grant)
        self._snapshots.forget()
        titles = self._gateway().update_share(share.id, tier.section_ids, tier.permissions)
        return FixResult(grant.identifier, Fix.REAPPLY, f"Plex shares the tier's libraries again: {', '.join(titles)}.", grant)

    def _forget(self, grant: Grant, share: PlexShare | None) -> FixResult:
        if share is not None:
            raise UserAccessError("share_exists", "Plex still shares with this person: revoke their access instead.")
        ended = self._end(grant, "share removed outside the portal")
        return FixResult(grant.identifier, Fix.FORGET, f"Forgot {grant.identifier}: Plex had no share for them.", ended)

    def _resend(self, grant: Grant, share: PlexShare | None) -> FixResult:
        if share is not None and not share.pending:
            raise UserAccessError("already_accepted", "They accepted the invite meanwhile: nothing to re-send.")
        tier = self._tier(grant)
        gateway = self._gateway()
        self._snapshots.forget()
        if share is not None:
            gateway.remove_share(share.id)
        gateway.invite(grant.identifier, tier.section_ids, tier.permissions)
        # A new invite starts now, so it counts as stale only N days from now.
        updated = self._grants.update(replace(grant, granted_at=self._clock()))
        return FixResult(grant.identifier, Fix.RESEND, f"Sent a new invite to {grant.identifier}.", updated)

    def _withdraw(self, grant: Grant, share: PlexShare | None) -> FixResult:
        if share is not None and not share.pending:
            raise UserAccessError("already_accepted", "They accepted the invite meanwhile: revoke their access instead.")
        if share is not None:
            self._snapshots.forget()
            self._gateway().remove_share(share.id)
        ended = self._end(grant, "invite withdrawn")
        given_back = bool(grant.invite_code) and self._return_use(grant.invite_code)
        use = f" The invite link {grant.invite_code} has its use back." if given_back else ""
        return FixResult(grant.identifier, Fix.WITHDRAW, f"Withdrew the invite to {grant.identifier}.{use}", ended)

    def _end(self, grant: Grant, note: str) -> Grant:
        return self._grants.update(replace(grant, status=GrantStatus.REVOKED, removed_at=self._clock(), removal_note=note))


def _tier_ids(tier: Tier, all_ids: frozenset[int]) -> set[int]:
    return set(tier.section_ids) or set(all_ids)


def parse_fix(value: str) -> Fix:
    try:
        return Fix(value)
    except ValueError:
        choices = ", ".join(str(f) for f in Fix)
        raise UserAccessError("invalid_fix", f"kind must be one of: {choices}.", kind=ErrorKind.INVALID, field="kind") from None
