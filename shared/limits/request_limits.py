"""Which rate limits apply to which public request, from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from azure.core.exceptions import AzureError

from shared.config.settings import RateLimitSettings
from shared.errors import DomainError, ErrorKind
from shared.limits.rate_limits import Limit, RateDecision, RateLimiter, subject_key

MINUTE, HOUR, DAY = 60, 3600, 86400


class RateLimited(DomainError):
    default_kind = ErrorKind.RATE_LIMITED

    def __init__(self, decision: RateDecision, message: str) -> None:
        super().__init__("rate_limited", message, retry_after=decision.retry_after)


@dataclass
class RequestLimits:
    limiter: RateLimiter
    settings: RateLimitSettings

    def _api(self) -> list[Limit]:
        return _enabled(Limit("ApiHour", self.settings.api_per_hour, HOUR), Limit("ApiDay", self.settings.api_per_day, DAY))

    def check_api_call(self, client_ip: str) -> None:
        """Public, non-invite calls (the form's config) count against the IP's API limits. Fails open
        when storage is down: the form's config reveals nothing and sends nothing to Plex."""
        try:
            self._check(subject_key("ip", client_ip or "unknown"), self._api(), "Too many requests from your network.")
        except AzureError:
            return

    def check_invite_address(self, client_ip: str) -> None:
        """Counts an invite submission against the client address's limits."""
        ip_limits = _enabled(
            Limit("InviteMinute", self.settings.invites_per_minute, MINUTE),
            Limit("InviteHour", self.settings.invites_per_hour, HOUR),
            *self._api(),
        )
        self._check(subject_key("ip", client_ip or "unknown"), ip_limits, "Too many invite requests from your network.")

    def check_status_address(self, client_ip: str) -> None:
        """Counts a guest's status check or request for more time against the address's limits. Each one says
        whether an identifier and a code belong together, so it is limited as tightly as an invite (the same
        numbers, counted apart) and fails closed when storage is down."""
        ip_limits = _enabled(
            Limit("StatusMinute", self.settings.invites_per_minute, MINUTE),
            Limit("StatusHour", self.settings.invites_per_hour, HOUR),
            *self._api(),
        )
        self._check(subject_key("ip", client_ip or "unknown"), ip_limits, "Too many status checks from your network.")

    def check_invite_person(self, normalized_identifier: str) -> None:
        """Counts an attempt for one Plex account. Called only once the invite code was accepted, so a
        stranger with a wrong code can't use up someone else's attempts."""
        self.count_invite_person(normalized_identifier)

    def count_invite_person(self, normalized_identifier: str) -> PersonAttempt:
        """Counts an attempt for one Plex account once its code is accepted (or side by side with the check when the
        code is the global one, known in memory); the caller gives it back with `give_back` when the request is
        turned away after all. Raises RateLimited, having counted nothing, when the account is over its limit."""
        subject = subject_key("identifier", normalized_identifier)
        per_identifier = _enabled(Limit("InviteDay", self.settings.invites_per_identifier_per_day, DAY))
        return PersonAttempt(subject, self._check(subject, per_identifier, "Too many invite attempts for this account today."))

    def give_back(self, attempt: PersonAttempt) -> None:
        self.limiter.give_back(attempt.subject, attempt.decision)

    def _check(self, subject: str, limits: list[Limit], reason: str) -> RateDecision:
        decision = self.limiter.hit(subject, limits)
        if not decision.allowed:
            wait = _wait_text(decision.retry_after)
            raise RateLimited(decision, f"{reason} Please wait {wait} and try again.")
        return decision


@dataclass(frozen=True)
class PersonAttempt:
    """One counted attempt for an account: what `RequestLimits.give_back` needs to take it back."""

    subject: str
    decision: RateDecision


def _enabled(*limits: Limit) -> list[Limit]:
    return [limit for limit in limits if limit.allowed > 0]


def _wait_text(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} seconds"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"
