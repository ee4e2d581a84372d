"""Changing one person's access: revoking it, changing tier, extending it, and removing expired shares on a timer.
Each change that touches plex.tv drops the share snapshot, so the next list shows it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from shared.access.grants import Grant, GrantConflict, GrantStatus, GrantStore
from shared.access.shares import ShareSnapshots, share_for
from shared.access.tiers import TierStore
from shared.errors import DomainError, ErrorKind
from shared.notify.events import Event, EventKind, stable_id
from shared.notify.publisher import Publisher
from shared.plex.errors import PlexError
from shared.plex.gateway import PlexGateway, PlexShare

log = logging.getLogger(__name__)


class UserAccessError(DomainError):
    """What can't be done to a person's access now (no active access, no share left)."""

    default_kind = ErrorKind.CONFLICT


@dataclass(frozen=True)
class ExpiryRun:
    removed: list[str]
    failed: list[str]


MAX_ACCESS_DAYS = 3650


def check_end(at: datetime | None, now: datetime) -> None:
    """An end for someone's access: in the future, and within MAX_ACCESS_DAYS (None: access that doesn't end)."""
    if at is None:
        return
    if at <= now:
        raise UserAccessError("invalid_end", "Choose an end date in the future, or none.", kind=ErrorKind.INVALID, field="expiresAt")
    if at > now + timedelta(days=MAX_ACCESS_DAYS):
        message = f"Choose an end within {MAX_ACCESS_DAYS} days (about 10 years), or none for access that doesn't end."
        raise UserAccessError("invalid_end", message, kind=ErrorKind.INVALID, field="expiresAt")


@dataclass(frozen=True)
class EndDate:
    """When access is to end: `at` None means never."""

    at: datetime | None


class UserAccess:
    def __init__(
        self,
        grants: GrantStore,
        tiers: TierStore,
        gateway: Callable[[], PlexGateway],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        notifications: Publisher | None = None,
        snapshots: ShareSnapshots | None = None,
    ) -> None:
        self._notifications = notifications or Publisher()
        self._snapshots = snapshots or ShareSnapshots(gateway)
        self._grants = grants
        self._tiers = tiers
        self._gateway = gateway
        self._clock = clock

    def revoke(self, identifier: str, shares: Sequence[PlexShare] | None = None) -> Grant:
        """`shares`: the share list as just read (a bulk change reads it once); read here when not given."""
        return self._remove(self._active(identifier), GrantStatus.REVOKED, "revoked by the admin", shares)

    def change_tier(self, identifier: str, tier_id: str, shares: Sequence[PlexShare] | None = None) -> Grant:
        grant = self._active(identifier)
        tier = self._tiers.get(tier_id)
        gateway = self._gateway()
        share = gateway.find_share(identifier) if shares is None else share_for(shares, identifier)
        if share is None:
            raise UserAccessError("share_missing", "Plex has no share for this person any more, so there is nothing to change.")
        self._snapshots.forget()
        gateway.update_share(share.id, tier.section_ids, tier.permissions)
        return self._grants.update(replace(grant, tier_id=tier.id))

    def extend(self, identifier: str, days: int) -> Grant:
        return self._grants.update(self._extended(self._active(identifier), days))

    def change(self, identifier: str, *, tier_id: str | None = None, extend_days: int | None = None, ends: EndDate | None = None) -> Grant:
        """A new tier, and more days or a new end date. Everything is checked before anything is changed, so an end
        that would be refused never leaves the tier changed on Plex."""
        if extend_days is not None and ends is not None:
            raise UserAccessError("extend_or_end", "Send extendDays or expiresAt, not both.", kind=ErrorKind.INVALID)
        if extend_days is not None:
            self._extended(self._active(identifier), extend_days)
        if ends is not None:
            self._ended(self._active(identifier), ends.at)
        grant = self.change_tier(identifier, tier_id) if tier_id is not None else None
        if extend_days is not None:
            grant = self.extend(identifier, extend_days)
        elif ends is not None:
            grant = self._grants.update(self._ended(self._active(identifier), ends.at))
        if grant is None:
            raise UserAccessError("nothing_to_change", "Send tierId, extendDays or expiresAt.", kind=ErrorKind.INVALID)
        return grant

    def _ended(self, grant: Grant, at: datetime | None) -> Grant:
        check_end(at, self._clock())
        return replace(grant, expires_at=at)

    def _extended(self, grant: Grant, days: int) -> Grant:
        if not 1 <= days <= MAX_ACCESS_DAYS:
            raise UserAccessError("invalid_days", f"Extend by 1 to {MAX_ACCESS_DAYS} days.", kind=ErrorKind.INVALID, field="extendDays")
        if grant.expires_at is None:
            # Extending would give an end to access that has none, and the expiry timer would then remove it.
            raise UserAccessError(
                "no_end_date", "This person's access doesn't end, so there is nothing to extend. Set an end date for them instead."
            )
        base = max(grant.expires_at, self._clock())
        ends = base + timedelta(days=days)
        check_end(ends, self._clock())
        return replace(grant, expires_at=ends)

    def expire_due(self) -> ExpiryRun:
        """Removes every share whose access has ended. Safe to run on several instances at once:
        each grant is claimed with compare-and-set before its share is removed."""
        now = self._clock()
        removed, failed = [], []
        shares: tuple[PlexShare, ...] | None = None  # read once, when something is due
        for grant in self._grants.due(now):
            try:
                shares = self._snapshots.fresh() if shares is None else shares
                self._remove(grant, GrantStatus.EXPIRED, f"access ended {grant.expires_at:%Y-%m-%d %H:%M} UTC", shares)
                removed.append(grant.identifier)
            except GrantConflict:
                continue  # another run has it
            except PlexError as error:
                failed.append(grant.identifier)
                log.warning("Could not remove an expired share (%s); the next run retries", error.kind)
        return ExpiryRun(removed, failed)

    def _active(self, identifier: str) -> Grant:
        grant = self._grants.get(identifier.strip().lower())
        if grant is None or grant.status is not GrantStatus.ACTIVE:
            raise UserAccessError(
                "no_active_access",
                "That person has no active access through the portal. If Plex shares with them, adopt their share first.",
            )
        return grant

    def _remove(self, grant: Grant, final: GrantStatus, note: str, shares: Sequence[PlexShare] | None = None) -> Grant:
        claimed = self._grants.update(replace(grant, status=GrantStatus.REMOVING))
        try:
            gateway = self._gateway()
            share = gateway.find_share(grant.identifier) if shares is None else share_for(shares, grant.identifier)
            if share is not None:
                self._snapshots.forget()
                gateway.remove_share(share.id)
        except PlexError:
            self._grants.update(replace(claimed, status=GrantStatus.ACTIVE))  # try again later
            raise
        done = replace(claimed, status=final, removed_at=self._clock(), removal_note=note)
        log.info("Access removed: %s", note)
        stored = self._grants.update(done)
        reason = "expired" if final is GrantStatus.EXPIRED else "revoked by the owner"
        facts: dict[str, str | int | list[str]] = {"identifier": grant.identifier, "reason": reason, "invite_code": grant.invite_code}
        event_id = f"access_ended-{grant.row_key or grant.identifier}-{int(grant.granted_at.timestamp())}"
        self._notifications.publish(Event.create(EventKind.ACCESS_ENDED, facts, event_id=stable_id(event_id)))
        return stored
