"""Everyone who has access to the server: the people the portal let in (their grants) and the shares the owner made
before or beside it (unmanaged), searched, filtered, sorted and paged here so a list of thousands stays quick, and
adopting an unmanaged share (a tier and an end date, without inviting again)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shared.access.grants import Grant, GrantStatus, GrantStore
from shared.access.shares import ShareSnapshots, share_for
from shared.access.tiers import Tier, TierStore
from shared.access.users import UserAccessError, check_end
from shared.errors import ErrorKind
from shared.plex.gateway import PlexGateway, PlexShare

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
ENDING_SOON_DAYS = 7
UNMANAGED = "unmanaged"
DELETED_TIER = "(deleted tier)"


class SortKey(StrEnum):
    NAME = "name"
    TIER = "tier"
    STATUS = "status"
    EXPIRES = "expires"
    GRANTED = "granted"


@dataclass(frozen=True)
class UserQuery:
    search: str = ""
    tier_id: str = ""
    # "active", "ended" (expired or revoked), "unmanaged" (a share the portal doesn't manage), or "" for all.
    status: str = ""
    plex_status: str = ""  # "pending", "accepted", "missing", "unknown", or "" for all
    ending_soon: bool = False  # active access that ends within ENDING_SOON_DAYS
    more_time: bool = False  # only people with an open request for more time
    sort: SortKey = SortKey.GRANTED
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    snapshot: str = ""  # the share list read for an earlier page, reused while fresh
    search_codes: bool = True  # whether the search also matches the invite link a person came with


@dataclass(frozen=True)
class Person:
    identifier: str
    grant: Grant | None  # None: a share the portal doesn't manage
    share: PlexShare | None
    tier_name: str
    # "pending" or "accepted" on plex.tv; "missing" when an active grant's share is gone; "unknown" when plex.tv
    # couldn't be read; "" once access ended.
    plex_status: str
    more_time_requested_at: datetime | None = None

    @property
    def managed(self) -> bool:
        return self.grant is not None

    @property
    def status(self) -> str:
        return str(self.grant.status) if self.grant is not None else UNMANAGED


@dataclass(frozen=True)
class UserPage:
    items: list[Person]
    total: int  # matching the query, over every page
    page: int
    page_size: int
    snapshot: str
    plex_error: str = ""
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


OpenRequests = Callable[[Iterable[Grant]], dict[str, datetime]]


class Directory:
    def __init__(
        self,
        grants: GrantStore,
        tiers: TierStore,
        gateway: Callable[[], PlexGateway],
        snapshots: ShareSnapshots,
        open_requests: OpenRequests,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._grants = grants
        self._tiers = tiers
        self._gateway = gateway
        self._snapshots = snapshots
        self._open_requests = open_requests
        self._clock = clock

    def query(self, query: UserQuery) -> UserPage:
        """One partition query for the grants, one for the tiers, one for the open requests, and plex.tv's share
        list only when the query names no fresh snapshot. People are listed from storage when plex.tv can't be read."""
        snapshot = self._snapshots.read(query.snapshot)
        people = self.everyone(self._grants.all(), snapshot.shares, self._tiers.list(), self._open_requests)
        now = self._clock()
        facets = _facets(people, now)
        chosen = [p for p in people if _matches(p, query, now)]
        chosen.sort(key=lambda p: _sort_value(p, query.sort), reverse=query.descending)
        size = min(max(query.page_size, 1), MAX_PAGE_SIZE)
        page = max(query.page, 1)
        items = chosen[(page - 1) * size : page * size]
        return UserPage(items, len(chosen), page, size, snapshot.id, snapshot.error, facets)

    @staticmethod
    def everyone(
        grants: Sequence[Grant], shares: Sequence[PlexShare] | None, tiers: Sequence[Tier], open_requests: OpenRequests | None = None
    ) -> list[Person]:
        """Each grant with its share, then each share no active grant claims. A share that matches only an ended
        grant stands in for it: the owner shared again by hand, and it is the share that gives access now."""
        tier_names = {tier.id: tier.name for tier in tiers}
        asked = open_requests(grants) if open_requests else {}
        by_name = {name: share for share in reversed(shares or ()) for name in share.names}  # the first share wins, as share_for
        claimed: set[int] = set()
        people: dict[str, Person] = {}
        for grant in grants:
            share = by_name.get(grant.identifier)
            if grant.status is GrantStatus.ACTIVE or grant.status is GrantStatus.REMOVING:
                status = "unknown" if shares is None else _plex_status(share)
                if share is not None:
                    claimed.add(share.id)
            else:
                status, share = "", None
            people[grant.identifier] = Person(
                grant.identifier, grant, share, tier_names.get(grant.tier_id, DELETED_TIER), status, asked.get(grant.identifier)
            )
        for share in shares or ():
            if share.id in claimed:
                continue
            identifier = unmanaged_identifier(share)
            people[identifier] = Person(identifier, None, share, "", _plex_status(share))
        return list(people.values())

    def adopt(self, identifier: str, tier_id: str, expires_at: datetime | None, shares: Sequence[PlexShare] | None = None) -> Grant:
        """Gives an unmanaged share a tier and, optionally, an end date. The share's libraries change only when they
        differ from the tier's. `shares`: the share list as just read (a bulk change reads it once)."""
        wanted = identifier.strip().lower()
        now = self._clock()
        check_end(expires_at, now)
        existing = self._grants.get(wanted)
        if existing is not None and existing.status is not GrantStatus.EXPIRED and existing.status is not GrantStatus.REVOKED:
            raise UserAccessError("already_managed", "The portal already manages this person's access. Reload the list.")
        tier = self._tiers.get(tier_id)
        share = share_for(self._snapshots.fresh() if shares is None else shares, wanted)
        if share is None:
            message = "Plex has no share for this person, so there is nothing to adopt. Reload the list."
            raise UserAccessError("share_missing", message, kind=ErrorKind.NOT_FOUND)
        gateway = self._gateway()
        wanted_ids = set(tier.section_ids) or {library.section_id for library in gateway.libraries()}
        if set(share.section_ids) != wanted_ids:
            self._snapshots.forget()
            gateway.update_share(share.id, tier.section_ids, tier.permissions)
        grant = Grant(
            identifier=wanted,
            tier_id=tier.id,
            invite_code="",
            granted_at=now,
            expires_at=expires_at,
            status=GrantStatus.ACTIVE,
        )
        self._snapshots.forget()
        if existing is None:
            return self._grants.add(grant)
        return self._grants.update(replace(grant, etag=existing.etag, row_key=existing.row_key))


def unmanaged_identifier(share: PlexShare) -> str:
    """How a share the portal doesn't manage is named: the Plex username when there is one, else the email."""
    return (share.username or share.email or next(iter(sorted(share.names)), "") or f"share-{share.id}").lower()


def ending_soon(person: Person, now: datetime) -> bool:
    grant = person.grant
    return (
        grant is not None
        and grant.status is GrantStatus.ACTIVE
        and grant.expires_at is not None
        and grant.expires_at <= now + timedelta(days=ENDING_SOON_DAYS)
    )


def _plex_status(share: PlexShare | None) -> str:
    if share is None:
        return "missing"
    return "pending" if share.pending else "accepted"


def _status_group(person: Person) -> str:
    if person.grant is None:
        return UNMANAGED
    return "active" if person.grant.status in (GrantStatus.ACTIVE, GrantStatus.REMOVING) else "ended"


def _matches(person: Person, query: UserQuery, now: datetime) -> bool:
    if query.status and _status_group(person) != query.status:
        return False
    if query.tier_id and (person.grant is None or person.grant.tier_id != query.tier_id):
        return False
    if query.plex_status and person.plex_status != query.plex_status:
        return False
    if query.ending_soon and not ending_soon(person, now):
        return False
    if query.more_time and person.more_time_requested_at is None:
        return False
    return not query.search or query.search.strip().lower() in _haystack(person, query.search_codes)


def _haystack(person: Person, with_code: bool) -> str:
    share, grant = person.share, person.grant
    parts = [person.identifier, person.tier_name]
    if share is not None:
        parts += [share.username, share.email, share.title]
    if grant is not None and with_code:
        parts.append(grant.invite_code)
    return "\n".join(parts).lower()


# The Plex status column sorted by what the owner acts on first; ended access (no status) last.
_PLEX_STATUS_ORDER = {"pending": 0, "missing": 1, "unknown": 2, "accepted": 3}
_NEVER = datetime.max.replace(tzinfo=UTC)
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _sort_value(person: Person, key: SortKey) -> tuple[object, ...]:
    grant = person.grant
    if key is SortKey.TIER:
        return (person.tier_name.lower(), person.identifier)
    if key is SortKey.STATUS:
        return (_PLEX_STATUS_ORDER.get(person.plex_status, len(_PLEX_STATUS_ORDER)), _status_group(person), person.identifier)
    if key is SortKey.EXPIRES:
        # No end date sorts after every date.
        return (grant.expires_at if grant is not None and grant.expires_at else _NEVER, person.identifier)
    if key is SortKey.GRANTED:
        return (grant.granted_at if grant is not None else _EPOCH, person.identifier)
    return (person.identifier,)


def _facets(people: Sequence[Person], now: datetime) -> dict[str, dict[str, int]]:
    """Counts over everyone, whatever the filter: what each filter choice would show."""
    tiers = Counter(p.grant.tier_id for p in people if p.grant is not None and _status_group(p) == "active")
    return {
        "status": dict(Counter(_status_group(p) for p in people)),
        "plexStatus": dict(Counter(p.plex_status for p in people if p.plex_status)),
        "tier": dict(tiers),
        "flags": {
            "endingSoon": sum(1 for p in people if ending_soon(p, now)),
            "moreTime": sum(1 for p in people if p.more_time_requested_at is not None),
        },
    }
