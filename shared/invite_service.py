"""Handling one guest submission: validate, check the invite code, share libraries, log the attempt."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from azure.core.exceptions import AzureError

from shared.invite_counters import CounterContention, InviteCounters
from shared.invite_log import InviteLog, InviteOutcome, InviteRecord
from shared.plex_errors import PlexError, PlexErrorKind
from shared.plex_gateway import PlexGateway
from shared.runtime_settings import RuntimeSettings
from shared.validation import Identifier, parse_identifier, parse_invite_code

log = logging.getLogger(__name__)

_OUTCOME_BY_PLEX_ERROR = {
    PlexErrorKind.INVALID_TOKEN: InviteOutcome.INVALID_OWNER_TOKEN,
    PlexErrorKind.USER_NOT_FOUND: InviteOutcome.USER_NOT_FOUND,
    PlexErrorKind.SHARE_LIMIT: InviteOutcome.SHARE_LIMIT,
    PlexErrorKind.RATE_LIMITED: InviteOutcome.PLEX_RATE_LIMITED,
    PlexErrorKind.UNAVAILABLE: InviteOutcome.PLEX_UNAVAILABLE,
    PlexErrorKind.UNEXPECTED: InviteOutcome.PLEX_ERROR,
}


@dataclass(frozen=True)
class InviteSubmission:
    identifier: object
    invite_code: object
    client_ip: str


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


class InviteService:
    def __init__(
        self,
        *,
        gateway: Callable[[], PlexGateway],
        invite_log: InviteLog,
        counters: InviteCounters,
        runtime_settings: RuntimeSettings,
        invite_code: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._gateway = gateway
        self._log = invite_log
        self._counters = counters
        self._runtime = runtime_settings
        self._invite_code = invite_code
        self._clock = clock

    @property
    def invite_code_required(self) -> bool:
        return bool(self._invite_code)

    def submit(self, submission: InviteSubmission) -> InviteResult:
        """Raises InvalidInput, with nothing written, when the submission can't be sent to Plex."""
        identifier = parse_identifier(submission.identifier)
        code = parse_invite_code(submission.invite_code)
        gateway = self._gateway()
        gateway.ensure_configured()
        ip_hash = self._hash_ip(submission.client_ip)

        rejection = self._check_invite_code(code)
        if rejection is not None:
            return self._record(identifier, rejection, ip_hash, code="")

        selection = self._runtime.library_selection()
        try:
            share = gateway.invite(identifier.normalized, selection.section_ids)
        except PlexError as error:
            result = _failure_result(error, identifier)
        else:
            if share.already_shared:
                result = InviteResult(
                    InviteOutcome.ALREADY_SHARED,
                    "You already have access to this server. Open app.plex.tv (or any Plex app) signed in as "
                    f"{identifier.submitted.strip()}; if you haven't yet, accept the pending invite there.",
                    libraries=share.libraries,
                )
            else:
                result = InviteResult(
                    InviteOutcome.INVITED,
                    f"Invite sent to {identifier.submitted.strip()}. Plex emails you an invitation: accept it, or open "
                    "app.plex.tv and accept the pending invite. New Plex accounts must verify their email first.",
                    libraries=share.libraries,
                )
        return self._record(identifier, result, ip_hash, code=code)

    def _check_invite_code(self, code: str) -> InviteResult | None:
        if not self._invite_code:
            return None
        if not code:
            return InviteResult(
                InviteOutcome.CODE_REJECTED,
                "This server needs an invite code. Enter the code from your invitation.",
                field="inviteCode",
                error_code="invite_code_required",
            )
        if not hmac.compare_digest(code.encode(), self._invite_code.encode()):
            return InviteResult(
                InviteOutcome.CODE_REJECTED,
                "That invite code isn't valid. Check it against your invitation, or ask the person who invited you.",
                field="inviteCode",
                error_code="invalid_invite_code",
            )
        return None

    def _record(self, identifier: Identifier, result: InviteResult, ip_hash: str, *, code: str) -> InviteResult:
        """Writes the log entry and totals; once Plex has acted, the guest gets the truth even if storage fails."""
        now = self._clock()
        record = InviteRecord(
            created_at=now,
            identifier_submitted=identifier.submitted,
            identifier_normalized=identifier.normalized,
            identifier_kind=str(identifier.kind),
            outcome=result.outcome,
            error_code=result.error_code,
            error_message=result.detail or ("" if result.outcome.succeeded else result.message),
            client_ip_hash=ip_hash,
            invite_code=code,
            libraries=result.libraries,
        )
        try:
            self._log.append(record)
            self._counters.record(result.outcome, now)
        except (AzureError, CounterContention) as exc:
            if result.outcome is InviteOutcome.CODE_REJECTED:
                raise
            log.error("Invite log write failed after Plex answered (outcome=%s): %s", result.outcome, type(exc).__name__)
        log.info("Invite submission: outcome=%s kind=%s", result.outcome, identifier.kind)
        return result

    def _hash_ip(self, client_ip: str) -> str:
        if not client_ip:
            return ""
        return hmac.new(self._runtime.ip_hash_key(), client_ip.encode(), hashlib.sha256).hexdigest()[:32]


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
        InviteOutcome.PLEX_RATE_LIMITED: "Plex is busy right now. Please wait a moment and try again.",
        InviteOutcome.PLEX_UNAVAILABLE: ("Plex isn't responding right now, so no invite was sent. Please try again in a few minutes."),
        InviteOutcome.INVALID_OWNER_TOKEN: (
            "Invites are paused: the server's connection to Plex needs the owner's attention. "
            "Please let the owner know and try again later."
        ),
        InviteOutcome.PLEX_ERROR: (
            "Plex refused the invite for an unexpected reason, so no invite was sent. Please try again later or contact the owner."
        ),
    }
    field = "identifier" if outcome is InviteOutcome.USER_NOT_FOUND else None
    return InviteResult(
        outcome, messages[outcome], retry_after=error.retry_after, field=field, error_code=str(outcome), detail=error.detail
    )
