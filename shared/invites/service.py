"""Handling one guest submission: validate, limit, check the invite code, share libraries, log the attempt."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import AzureError

from shared.access.grants import Grant, GrantStatus, GrantStore
from shared.access.tiers import Tier
from shared.config.runtime_settings import RuntimeSettings
from shared.errors import DomainError, ErrorKind
from shared.invites.admissions import Admission, Admissions, InviteCodeRejected
from shared.invites.counters import CounterContention, InviteCounters
from shared.invites.idempotency import Claim, IdempotencyStore, Replay
from shared.invites.log import InviteLog, InviteOutcome, InviteRecord, row_key_for
from shared.invites.validation import Identifier, InvalidInput, parse_identifier, parse_invite_code
from shared.limits.request_limits import PersonAttempt, RequestLimits
from shared.notify.events import Event, EventKind
from shared.notify.publisher import Publisher
from shared.plex.errors import PlexError, PlexErrorKind
from shared.plex.gateway import PlexGateway
from shared.plex.retry import RetryingInviter
from shared.plex.status import PlexStatusMonitor
from shared.storage import registry
from shared.storage.side_by_side import SideBySide

log = logging.getLogger(__name__)

_OUTCOME_BY_PLEX_ERROR = {
    PlexErrorKind.INVALID_TOKEN: InviteOutcome.INVALID_OWNER_TOKEN,
    PlexErrorKind.USER_NOT_FOUND: InviteOutcome.USER_NOT_FOUND,
    PlexErrorKind.SHARE_LIMIT: InviteOutcome.SHARE_LIMIT,
    PlexErrorKind.RATE_LIMITED: InviteOutcome.PLEX_RATE_LIMITED,
    PlexErrorKind.UNAVAILABLE: InviteOutcome.PLEX_UNAVAILABLE,
    PlexErrorKind.UNEXPECTED: InviteOutcome.PLEX_ERROR,
}
# A failure is replayed only long enough to absorb a double click, so a fixed problem can be retried.
FAILURE_REPLAY_SECONDS = 15.0


@dataclass(frozen=True)
class InviteSubmission:
    identifier: object
    invite_code: object
    client_ip: str
    idempotency_key: str = ""
    # True when plex.tv said who the guest is (Plex sign-in); False for a typed username or email.
    verified: bool = False


@dataclass(frozen=True)
class InviteResult:
    outcome: InviteOutcome
    message: str
    libraries: tuple[str, ...] = ()
    retry_after: float | None = None
    # Which form field the guest must fix, if any.
    field: str | None = None
    error_code: str = ""
    # What went wrong, for the owner's log; never shown to the guest.
    detail: str = ""
    # The log's error code when it says more than the guest is told (why a code was refused).
    log_code: str = ""
    # True when this is the stored answer to an earlier, identical submission.
    replayed: bool = False
    # The share the invite created, when plex.tv said (its id is what accepting needs), and the tier it used.
    share_id: int | None = None
    tier_id: str = ""


@dataclass(frozen=True)
class OwnerInvitation:
    identifier: str
    tier: Tier
    access_days: int
    idempotency_key: str
    earlier_try_unknown: bool = False


class SignInRequired(DomainError):
    default_kind = ErrorKind.FORBIDDEN

    def __init__(self) -> None:
        super().__init__(
            "sign_in_required",
            "This invite needs you to sign in with Plex, so typing a username or email isn't enough. Use the Sign in with Plex button.",
        )


class IdempotencyKeyReused(InvalidInput):
    default_kind = ErrorKind.UNPROCESSABLE

    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key",
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different submission. Send a new key.",
        )


@dataclass
class InviteDependencies:
    gateway: Callable[[], PlexGateway]
    inviter: RetryingInviter
    invite_log: InviteLog
    counters: InviteCounters
    runtime_settings: RuntimeSettings
    limits: RequestLimits
    idempotency: IdempotencyStore
    plex_status: PlexStatusMonitor
    admissions: Admissions
    grants: GrantStore
    side_by_side: SideBySide
    notifications: Publisher = field(default_factory=Publisher)


class InviteService:
    def __init__(
        self,
        deps: InviteDependencies,
        *,
        idempotency_window_seconds: float = 600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._deps = deps
        self._window = idempotency_window_seconds
        self._clock = clock
        # Log entries whose write failed even after retries; written on a later submission.
        self._outbox: list[InviteRecord] = []
        self._outbox_lock = threading.Lock()

    def invite_code_required(self) -> bool:
        return self._deps.admissions.code_required()

    @property
    def dependencies(self) -> InviteDependencies:
        """What the service was built with (the benchmark times each one's calls)."""
        return self._deps

    @property
    def pending_log_entries(self) -> int:
        return len(self._outbox)

    def submit(self, submission: InviteSubmission) -> InviteResult:
        """Raises InvalidInput (nothing written) for bad input, RateLimited when over a limit,
        SetupRequired when Plex isn't configured, and AzureError when storage is down before Plex was asked.

        Storage is asked in one round before plex.tv and one after: the address limit, the claim on repeats,
        whether invites are paused and how guests may sign in (and the account's limit, for the global code) are
        asked side by side while the code is looked at (a refusal gives back what was counted or claimed ahead of
        it; a link's code counts the account only once it is accepted), and the log entry, the totals, the stored
        answer for repeats and the new access are written side by side once Plex has answered."""
        deps = self._deps
        side_by_side = deps.side_by_side
        identifier = parse_identifier(submission.identifier)
        code = parse_invite_code(submission.invite_code)
        gateway = deps.gateway()
        gateway.ensure_configured()
        self._flush_outbox()
        fingerprint = gateway.token_fingerprint
        key = IdempotencyStore.key_for("key", submission.idempotency_key) if submission.idempotency_key else ""
        address_checked = side_by_side.start(lambda: deps.limits.check_invite_address(submission.client_ip))
        # The account's attempt counts only once the code is accepted, so wrong codes can't use up someone else's
        # daily limit: ahead of the checks (side by side) only for the global code, which is known in memory.
        person: Future[PersonAttempt] | None = None
        if deps.admissions.is_global_code(code):
            person = side_by_side.start(lambda: deps.limits.count_invite_person(identifier.normalized))
        key = key or IdempotencyStore.key_for("identifier", identifier.normalized)
        # One try on the pool; waiting for an earlier request with the same key is done on this thread (below).
        claim = side_by_side.start(lambda: deps.idempotency.try_claim(key))
        ip_hash = self._hash_ip(submission.client_ip)

        admitted = False
        try:
            rejected: InviteCodeRejected | None = None
            # The settings this check reads (Plex status, sign-in mode, the default tier's libraries, whether a
            # code is required) come from one query of their partition.
            with deps.runtime_settings.prefetched(*_SETTINGS_READ):
                paused = side_by_side.start(lambda: deps.plex_status.invites_paused(fingerprint))
                typed_allowed = (
                    None if submission.verified else side_by_side.start(lambda: deps.runtime_settings.sign_in_mode().allows_typed)
                )
                try:
                    admission = deps.admissions.check(code)
                except InviteCodeRejected as exc:
                    rejected = exc
            address_checked.result()
            if rejected is not None:
                return self._record(identifier, _code_rejection(rejected), ip_hash, code="")
            if typed_allowed is not None and (
                not typed_allowed.result() or (admission.link is not None and admission.link.requires_sign_in)
            ):
                raise SignInRequired  # what was counted or claimed ahead is given back below
            if person is None:
                person = side_by_side.start(lambda: deps.limits.count_invite_person(identifier.normalized))
            person.result()
            claimed = claim.result() or deps.idempotency.claim(key)
            admitted = True
        finally:
            if not admitted:
                self._give_back(person, claim)
        if isinstance(claimed, Replay):
            return self._replay(claimed, identifier)
        try:
            result, record_access = self._admit(gateway, identifier, admission, paused.result())
            used_code = admission.code if result.outcome.succeeded else ""
            # The log entry, the stored answer for repeats and the new access are independent writes.
            writes: list[Callable[[], object]] = [
                lambda: self._record(identifier, result, ip_hash, code=used_code),
                lambda: self._remember(claimed, identifier, result),
            ]
            if record_access is not None:
                writes.append(record_access)
            recorded: InviteResult = side_by_side.run(*writes)[0]
        except BaseException:
            deps.idempotency.release(claimed)
            raise
        return recorded

    def _give_back(self, person: Future[PersonAttempt] | None, claim: Future[Claim | Replay | None]) -> None:
        """Undoes what was done ahead of a check that then turned the request away: the account's counted attempt
        and the claim on repeats. Waits for both to finish first (a claim may be waiting on an earlier request)."""
        deps = self._deps
        attempt = person.result() if person is not None and person.exception() is None else None
        claimed = claim.result() if claim.exception() is None else None
        try:
            if attempt is not None:
                deps.limits.give_back(attempt)
            if isinstance(claimed, Claim):
                deps.idempotency.release(claimed)
        except (AzureError, DomainError) as exc:
            log.warning("Could not give back what a turned-away invite counted: %s", type(exc).__name__)

    def invite_for_owner(self, invitation: OwnerInvitation) -> InviteResult:
        """An invite the owner sends (a row of a batch): the owner's tier and days, no invite code, no guest limits.
        The key makes a repeat answer the first result; `earlier_try_unknown` says an earlier try may have reached
        plex.tv (its instance died), so the share list is read before anything is sent."""
        deps = self._deps
        identifier = parse_identifier(invitation.identifier)
        gateway = deps.gateway()
        gateway.ensure_configured()
        self._flush_outbox()
        claimed = deps.idempotency.claim(IdempotencyStore.key_for("owner", invitation.idempotency_key))
        if isinstance(claimed, Replay):
            return self._replay(claimed, identifier)
        try:
            if invitation.earlier_try_unknown and gateway.share_exists(identifier.normalized):
                name = identifier.submitted.strip()
                libraries = gateway.library_titles(invitation.tier.section_ids)
                result = InviteResult(InviteOutcome.INVITED, f"Invite sent to {name}.", libraries=libraries, tier_id=invitation.tier.id)
            else:
                paused = deps.plex_status.invites_paused(gateway.token_fingerprint)
                result = replace(self._invite(gateway, identifier, invitation.tier, paused), tier_id=invitation.tier.id)
            if result.outcome is InviteOutcome.INVITED:
                now = self._clock()
                expires = now + timedelta(days=invitation.access_days) if invitation.access_days else None
                grant = Grant(identifier.normalized, invitation.tier.id, "", now, expires, GrantStatus.ACTIVE)
                try:
                    deps.grants.record(grant)
                except AzureError as exc:
                    log.error("Could not record the owner's invite: %s", type(exc).__name__)
                    if expires is not None:
                        result = self._withdraw(gateway, identifier, result)
            recorded, _ = deps.side_by_side.pair(
                lambda: self._record(identifier, result, "", code="", announce=False),
                lambda: self._remember(claimed, identifier, result),
            )
        except BaseException:
            deps.idempotency.release(claimed)
            raise
        return recorded

    def _admit(
        self, gateway: PlexGateway, identifier: Identifier, admission: Admission, paused: bool
    ) -> tuple[InviteResult, Callable[[], None] | None]:
        """Uses the invite (exactly, across instances), shares the tier's libraries, records who got
        access, and gives the use back unless someone new was really invited. Access that doesn't end is
        returned as a write for the caller to make beside the log entry (a failure there changes nothing the
        guest is told); time-limited access is recorded here, since a failure withdraws the share."""
        deps = self._deps
        try:
            admission = deps.admissions.claim(admission)
        except InviteCodeRejected as rejected:
            return _code_rejection(rejected), None
        result = replace(self._invite(gateway, identifier, admission.tier, paused), tier_id=admission.tier.id)
        if result.outcome is not InviteOutcome.INVITED:
            deps.admissions.release(admission)
            return result, None
        link = admission.link
        if link is not None and link.used_up:
            facts: dict[str, str | int | list[str]] = {"invite_code": link.code, "name": link.note[:80], "max_uses": link.max_uses}
            deps.notifications.publish(
                Event.create(EventKind.LINK_USED_UP, facts, event_id=f"link_used_up-{link.code}-{int(link.created_at.timestamp())}")
            )
        grant = self._grant_for(identifier, admission)
        if grant.expires_at is None:
            return result, lambda: self._record_access(grant)
        try:
            deps.grants.record(grant)
        except AzureError as exc:
            # Time-limited access nobody could end: take the share back rather than leave it in place.
            log.error("Could not record time-limited access, so the share is withdrawn: %s", type(exc).__name__)
            deps.admissions.release(admission)
            return self._withdraw(gateway, identifier, result), None
        return result, None

    def _record_access(self, grant: Grant) -> None:
        try:
            self._deps.grants.record(grant)
        except AzureError as exc:
            log.error("Could not record the new user's access: %s", type(exc).__name__)

    def _grant_for(self, identifier: Identifier, admission: Admission) -> Grant:
        now = self._clock()
        days = admission.link.access_days if admission.link is not None else 0
        return Grant(
            identifier=identifier.normalized,
            tier_id=admission.tier.id,
            invite_code=admission.code,
            granted_at=now,
            expires_at=now + timedelta(days=days) if days else None,
            status=GrantStatus.ACTIVE,
        )

    def _withdraw(self, gateway: PlexGateway, identifier: Identifier, invited: InviteResult) -> InviteResult:
        try:
            share = gateway.find_share(identifier.normalized)
            if share is not None:
                gateway.remove_share(share.id)
        except PlexError as error:
            log.error("The unrecorded time-limited share could not be withdrawn (%s); it stays until removed by hand", error.kind)
            return replace(invited, detail="time-limited access could not be recorded and the share could not be withdrawn")
        return InviteResult(
            InviteOutcome.NOT_RECORDED,
            "We couldn't set up your access just now, so nothing was shared. Please try again in a few minutes.",
            retry_after=60,
            error_code=str(InviteOutcome.NOT_RECORDED),
            detail="time-limited access could not be recorded; the share was withdrawn",
        )

    def _invite(self, gateway: PlexGateway, identifier: Identifier, tier: Tier, paused: bool) -> InviteResult:
        deps = self._deps
        fingerprint = gateway.token_fingerprint
        if paused:
            # Circuit open: plex.tv already said this token is invalid; don't ask again yet.
            return _failure_result(PlexError(PlexErrorKind.INVALID_TOKEN, "invites paused: plex.tv rejected the owner token"), identifier)
        try:
            share = deps.inviter.invite(identifier.normalized, tier.section_ids, tier.permissions)
        except PlexError as error:
            if error.kind is PlexErrorKind.INVALID_TOKEN:
                deps.plex_status.record_failure(error, fingerprint)  # keeps the breaker open, for every instance
            if error.invite_may_exist:
                return _unconfirmed_result(error, identifier)
            return _failure_result(error, identifier)
        name = identifier.submitted.strip()
        if share.already_shared:
            return InviteResult(
                InviteOutcome.ALREADY_SHARED,
                f"You already have access to this server. Open app.plex.tv (or any Plex app) signed in as {name}; "
                "if you haven't yet, accept the pending invite there.",
                libraries=share.libraries,
            )
        return InviteResult(
            InviteOutcome.INVITED,
            f"Invite sent to {name}. Plex emails you an invitation: accept it, or open app.plex.tv and accept the "
            "pending invite. New Plex accounts must verify their email first.",
            libraries=share.libraries,
            share_id=share.share_id,
        )

    def _replay(self, replay: Replay, identifier: Identifier) -> InviteResult:
        payload = dict(replay.payload)
        if payload.pop("identifier", None) != identifier.normalized:
            raise IdempotencyKeyReused
        payload["outcome"] = InviteOutcome(payload["outcome"])
        payload["libraries"] = tuple(payload.get("libraries", ()))
        payload["replayed"] = True
        return InviteResult(**payload)

    def _remember(self, claim: Claim, identifier: Identifier, result: InviteResult) -> None:
        transient = result.outcome in (
            InviteOutcome.PLEX_UNAVAILABLE,
            InviteOutcome.PLEX_RATE_LIMITED,
            InviteOutcome.PLEX_UNCONFIRMED,
            InviteOutcome.NOT_RECORDED,
        )
        try:
            if transient:
                self._deps.idempotency.release(claim)  # the next try should really try again
            else:
                keep = self._window if result.outcome.succeeded else FAILURE_REPLAY_SECONDS
                payload = asdict(result) | {"outcome": str(result.outcome), "identifier": identifier.normalized, "detail": ""}
                self._deps.idempotency.complete(claim, payload, keep)
        except AzureError as exc:
            log.warning("Could not store the result for repeats: %s", type(exc).__name__)

    def _record(self, identifier: Identifier, result: InviteResult, ip_hash: str, *, code: str, announce: bool = True) -> InviteResult:
        """Writes the log entry and totals. Once Plex has acted the guest gets the truth even if storage
        fails: the entry then waits in the outbox for the next submission."""
        now = self._clock()
        record = InviteRecord(
            id=row_key_for(now),  # fixed now, so a retried write can't make a second row
            created_at=now,
            identifier_submitted=identifier.submitted,
            identifier_normalized=identifier.normalized,
            identifier_kind=str(identifier.kind),
            outcome=result.outcome,
            error_code=result.log_code or result.error_code,
            error_message=result.detail or ("" if result.outcome.succeeded else result.message),
            client_ip_hash=ip_hash,
            invite_code=code,
            libraries=result.libraries,
        )
        try:
            self._write(record)
        except (AzureError, CounterContention) as exc:
            if result.outcome is InviteOutcome.CODE_REJECTED:
                raise  # nothing happened yet: fail the request instead
            with self._outbox_lock:
                self._outbox.append(record)
            log.error("Invite log write deferred after Plex answered (outcome=%s): %s", result.outcome, type(exc).__name__)
        log.info("Invite submission: outcome=%s kind=%s", result.outcome, identifier.kind)
        if announce:
            self._announce(record, result)
        return result

    def _announce(self, record: InviteRecord, result: InviteResult) -> None:
        """The owner hears of every new guest, and of failures grouped per time window (a refused invite code is
        the guest's to fix and says nothing to the owner)."""
        notifications = self._deps.notifications
        if result.outcome is InviteOutcome.INVITED:
            facts: dict[str, str | int | list[str]] = {
                "identifier": record.identifier_submitted.strip()[:254],
                "libraries": ", ".join(record.libraries),
                "invite_code": record.invite_code,
            }
            notifications.publish(Event.create(EventKind.GUEST_INVITED, facts, at=record.created_at, event_id=f"guest_invited-{record.id}"))
        elif not result.outcome.succeeded and result.outcome is not InviteOutcome.CODE_REJECTED:
            notifications.invite_failed(str(result.outcome), result.detail[:160])

    def _write(self, record: InviteRecord) -> None:
        # The log entry and the three totals are independent writes: make them side by side.
        self._deps.side_by_side.run(
            lambda: self._deps.invite_log.append(record), *self._deps.counters.increments(record.outcome, record.created_at)
        )

    def _flush_outbox(self) -> None:
        with self._outbox_lock:
            waiting, self._outbox = self._outbox, []
        for index, record in enumerate(waiting):
            try:
                self._write(record)
            except (AzureError, CounterContention):
                with self._outbox_lock:
                    self._outbox[:0] = waiting[index:]
                return

    def _hash_ip(self, client_ip: str) -> str:
        if not client_ip:
            return ""
        return hmac.new(self._deps.runtime_settings.ip_hash_key(), client_ip.encode(), hashlib.sha256).hexdigest()[:32]


# The settings rows a submission reads before plex.tv, all in the settings partition.
_SETTINGS_READ = (registry.PLEX_STATUS.key, registry.SIGN_IN_MODE.key, registry.LIBRARY_SELECTION.key, registry.CODE_REQUIRED.key)

# A guest can't tell an unknown code from a used-up or expired one; the owner's log can.
_UNUSABLE_CODE_MESSAGE = (
    "That invite code isn't valid. Check it against your invitation; if it's right, it may have been used up "
    "or have expired, so ask the person who invited you for a new one."
)


def _code_rejection(rejected: InviteCodeRejected) -> InviteResult:
    if rejected.error_code == "invite_code_required":
        return InviteResult(InviteOutcome.CODE_REJECTED, rejected.message, field="inviteCode", error_code=rejected.error_code)
    return InviteResult(
        InviteOutcome.CODE_REJECTED,
        _UNUSABLE_CODE_MESSAGE,
        field="inviteCode",
        error_code="invalid_invite_code",
        log_code=rejected.error_code,
        detail=rejected.message,
    )


def _unconfirmed_result(error: PlexError, identifier: Identifier) -> InviteResult:
    name = identifier.submitted.strip()
    message = (
        f"Plex didn't confirm whether the invite for {name} went through. Check your email and app.plex.tv for a "
        "pending invite in a few minutes. If there is none, send this form again: that can't invite you twice."
    )
    return InviteResult(
        InviteOutcome.PLEX_UNCONFIRMED,
        message,
        retry_after=error.retry_after,
        error_code=str(InviteOutcome.PLEX_UNCONFIRMED),
        detail=f"unconfirmed: {error.detail}",
    )


def _failure_result(error: PlexError, identifier: Identifier) -> InviteResult:
    outcome = _OUTCOME_BY_PLEX_ERROR.get(error.kind, InviteOutcome.PLEX_ERROR)
    name = identifier.submitted.strip()
    messages = {
        InviteOutcome.USER_NOT_FOUND: (
            f"Plex couldn't invite {name}. Check the spelling, or use the email address of your Plex account. "
            "If you just created the account, verify your email with Plex first, then try again."
        ),
        InviteOutcome.SHARE_LIMIT: (
            "This server has reached Plex's limit of shared users, so no new invites can be sent. Please let the owner know."
        ),
        InviteOutcome.PLEX_RATE_LIMITED: "Plex is busy right now, so no invite was sent. Please try again in a few minutes.",
        InviteOutcome.PLEX_UNAVAILABLE: ("Plex isn't responding right now, so no invite was sent. Please try again in a few minutes."),
        InviteOutcome.INVALID_OWNER_TOKEN: (
            "Invites are paused: the server's connection to Plex needs the owner's attention, and the owner has been "
            "alerted on their dashboard. Please try again later."
        ),
        InviteOutcome.PLEX_ERROR: (
            "Plex refused the invite for an unexpected reason, so no invite was sent. Please try again later or contact the owner."
        ),
    }
    field = "identifier" if outcome is InviteOutcome.USER_NOT_FOUND else None
    return InviteResult(
        outcome, messages[outcome], retry_after=error.retry_after, field=field, error_code=str(outcome), detail=error.detail
    )
