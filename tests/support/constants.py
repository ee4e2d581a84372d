"""Values the tests and the stacks they start agree on."""

from datetime import UTC, datetime

from shared.config.settings import RateLimitSettings

TEST_CLIENT_IDENTIFIER = "helpr-tests"
HTTP_INVITE_CODE = "open-sesame-2026"
ADMIN_USERNAME = "owner"
ADMIN_PASSWORD = "correct horse battery staple"
# The wall clock of in-process invites.
SERVICE_NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
NO_LIMITS = RateLimitSettings(0, 0, 0, 0, 0)
# Every test client is 127.0.0.1: the limits have tests of their own.
NO_RATE_LIMIT_SETTINGS = dict.fromkeys(
    ("RATE_LIMIT_INVITES_PER_MINUTE", "RATE_LIMIT_INVITES_PER_HOUR", "RATE_LIMIT_API_PER_HOUR", "RATE_LIMIT_API_PER_DAY"), "0"
)
