"""Process settings read from app settings (environment variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.errors import DomainError, ErrorKind

DEFAULT_CLIENT_IDENTIFIER = "helpr-invite-portal"
DEFAULT_PRODUCT = "Helpr"
DEFAULT_TABLE_PREFIX = "helpr"
DEFAULT_PLEX_AUTH_BASE_URL = "https://app.plex.tv"
DEFAULT_INVITE_LOG_RETENTION_DAYS = 365
DEFAULT_AUDIT_RETENTION_DAYS = 365

# Every app setting the app's own code reads, with what it is for. The deployment (infra/) must
# set exactly the ones that are not LOCAL_ONLY_SETTINGS or KEY_VAULT_SECRETS; a test compares them.
APP_SETTINGS: dict[str, str] = {
    "PLEX_TOKEN": "the Plex owner token (read from Key Vault when KEY_VAULT_URL is set)",
    "PLEX_SERVER_NAME": "which server to share, by name or machine identifier",
    "PLEX_CLIENT_IDENTIFIER": "the pinned X-Plex-Client-Identifier",
    "PLEX_PRODUCT": "the X-Plex-Product name",
    "PLEX_TIMEOUT_SECONDS": "timeout of each plex.tv request",
    "PLEX_API_BASE_URL": "local simulator only: where plex.tv requests go",
    "PLEX_AUTH_BASE_URL": "local simulator only: where guests sign in instead of https://app.plex.tv (default: PLEX_API_BASE_URL)",
    "INVITE_CODE": "optional global invite code (read from Key Vault when KEY_VAULT_URL is set; empty means no code)",
    "SERVER_DISPLAY_NAME": "name shown on the guest page",
    "AzureWebJobsStorage": "storage connection string (local runs)",
    "AzureWebJobsStorage__tableServiceUri": "Table endpoint, with the managed identity (Azure)",
    "AzureWebJobsStorage__queueServiceUri": "Queue endpoint, with the managed identity (Azure): notification events and their trigger",
    "NOTIFY_BURST_SECONDS": "failed invites within this many seconds are sent as one notification",
    "NOTIFY_UNREACHABLE_MINUTES": "plex.tv must be unreachable this long before the owner is notified",
    "BATCH_INVITE_PACE_SECONDS": "the pause between two invites of a CSV batch invitation, so plex.tv isn't flooded",
    "BATCH_STALL_SECONDS": "a running batch invitation with no progress this long is put back on its queue when its progress is read",
    "TABLES_CONNECTION_STRING": "local only: a separate connection string for the app's tables",
    "TABLE_PREFIX": "prefix of the app's table names",
    "KEY_VAULT_URL": "the Key Vault that holds the secrets; without it they come from app settings",
    "SECRET_CACHE_TTL_SECONDS": "how long a secret read from Key Vault is reused before it is read again",
    "SITE_ORIGIN": "the site's public origin, e.g. https://invite.example.com; admin calls must come from it",
    "ADMIN_USERNAME": "the admin's login name",
    "RATE_LIMIT_INVITES_PER_MINUTE": "invite submissions one client IP may make per minute",
    "RATE_LIMIT_INVITES_PER_HOUR": "invite submissions one client IP may make per hour",
    "RATE_LIMIT_API_PER_HOUR": "public API calls one client IP may make per hour",
    "RATE_LIMIT_API_PER_DAY": "public API calls one client IP may make per day",
    "RATE_LIMIT_INVITES_PER_IDENTIFIER_PER_DAY": "invite attempts for one Plex username or email per day",
    "TRUSTED_PROXY_HOPS": "how many proxies append to X-Forwarded-For in front of the app (1 behind Azure)",
    "IDEMPOTENCY_WINDOW_SECONDS": "how long a repeated submission for the same identifier returns the first result",
    "PLEX_RETRY_BUDGET_SECONDS": "total time an invite may spend retrying plex.tv",
    "INVITE_LOG_RETENTION_DAYS": "days an invite log row is kept before the maintenance timer deletes it (0 keeps it forever)",
    "AUDIT_RETENTION_DAYS": "days an audit trail row is kept before the maintenance timer deletes it (0 keeps it forever)",
    "SESSION_SIGNING_KEY": "key that signs admin session cookies and guests' Plex sign-in cookies (Key Vault in Azure)",
    "DATA_ENCRYPTION_KEY": "key that encrypts the TOTP secret and keys the recovery-code hashes in storage (Key Vault in Azure)",
    "ADMIN_PASSWORD_HASH": "the admin password hash (Key Vault in Azure)",
}
# Read only on a developer's machine or in tests; a deployment never sets them.
LOCAL_ONLY_SETTINGS = frozenset({"PLEX_API_BASE_URL", "PLEX_AUTH_BASE_URL", "TABLES_CONNECTION_STRING", "AzureWebJobsStorage"})
# Secret values: app settings locally, Key Vault secrets (named here) in Azure.
KEY_VAULT_SECRETS: dict[str, str] = {
    "PLEX_TOKEN": "plex-token",
    "SESSION_SIGNING_KEY": "session-signing-key",
    "DATA_ENCRYPTION_KEY": "data-encryption-key",
    "ADMIN_PASSWORD_HASH": "admin-password-hash",
    # Optional: a missing or empty secret means no global code.
    "INVITE_CODE": "invite-code",
}


class SetupRequired(DomainError):
    """A setting the app cannot run without is missing or malformed."""

    default_kind = ErrorKind.UNAVAILABLE

    def __init__(self, missing: list[str], message: str) -> None:
        super().__init__("setup_required", message)
        self.missing = missing


@dataclass(frozen=True)
class RateLimitSettings:
    """0 turns a limit off."""

    invites_per_minute: int = 5
    invites_per_hour: int = 20
    api_per_hour: int = 50
    api_per_day: int = 200
    invites_per_identifier_per_day: int = 10


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass(frozen=True)
class HttpEnvironment:
    """What requests would read from the environment on every request (proxies, a .netrc, a CA bundle), read once.
    Walking every variable twice costs about a third of a storage call's CPU, so the storage clients skip that walk
    when there is nothing to find but the CA bundle, and are given the bundle instead."""

    proxies_or_netrc: bool = True
    ca_bundle: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HttpEnvironment:
        names = {name.lower() for name in environ}
        proxies_or_netrc = bool(names & set(_PROXY_VARIABLES)) or "NETRC" in environ or os.path.exists(os.path.expanduser("~/.netrc"))
        return cls(proxies_or_netrc, environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE") or "")


@dataclass(frozen=True)
class Settings:
    """Non-secret settings; secrets are read through shared.config.secrets."""

    plex_server_name: str
    # Only the local simulator sets this; production always talks to plex.tv.
    plex_api_base_url: str
    # Where a guest's browser signs in with Plex; the simulator's page in demo mode.
    plex_auth_base_url: str
    plex_client_identifier: str
    plex_product: str
    plex_timeout_seconds: float
    server_display_name: str
    storage_connection_string: str
    table_service_uri: str
    table_prefix: str
    key_vault_url: str
    secret_cache_ttl_seconds: float
    site_origin: str
    admin_username: str
    rate_limits: RateLimitSettings
    trusted_proxy_hops: int
    idempotency_window_seconds: float
    plex_retry_budget_seconds: float
    invite_log_retention_days: int
    queue_connection_string: str = ""
    queue_service_uri: str = ""
    notify_burst_seconds: float = 60.0
    notify_unreachable_minutes: float = 15.0
    batch_pace_seconds: float = 2.0
    batch_stall_seconds: float = 300.0
    audit_retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS
    http_environment: HttpEnvironment = HttpEnvironment()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def text(name: str, default: str = "") -> str:
            if name not in APP_SETTINGS:
                raise KeyError(f"undeclared app setting {name}: add it to APP_SETTINGS")
            return (env.get(name) or default).strip()

        def seconds(name: str, default: str, maximum: float) -> float:
            raw = text(name, default)
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if not 0 < value <= maximum:
                raise SetupRequired([name], f"{name} must be a number of seconds above 0 and at most {maximum:g}, not {raw!r}.")
            return value

        def count(name: str, default: int, maximum: int = 1_000_000) -> int:
            raw = text(name, str(default))
            if not (raw.isascii() and raw.isdigit()) or int(raw) > maximum:
                raise SetupRequired([name], f"{name} must be a whole number from 0 to {maximum}, not {raw!r}.")
            return int(raw)

        return cls(
            plex_server_name=text("PLEX_SERVER_NAME"),
            plex_api_base_url=text("PLEX_API_BASE_URL").rstrip("/"),
            plex_auth_base_url=(text("PLEX_AUTH_BASE_URL") or text("PLEX_API_BASE_URL") or DEFAULT_PLEX_AUTH_BASE_URL).rstrip("/"),
            plex_client_identifier=text("PLEX_CLIENT_IDENTIFIER", DEFAULT_CLIENT_IDENTIFIER),
            plex_product=text("PLEX_PRODUCT", DEFAULT_PRODUCT),
            plex_timeout_seconds=seconds("PLEX_TIMEOUT_SECONDS", "10", 120),
            server_display_name=text("SERVER_DISPLAY_NAME"),
            storage_connection_string=text("TABLES_CONNECTION_STRING") or _connection_string(text("AzureWebJobsStorage")),
            table_service_uri=text("AzureWebJobsStorage__tableServiceUri"),
            table_prefix=text("TABLE_PREFIX", DEFAULT_TABLE_PREFIX),
            key_vault_url=text("KEY_VAULT_URL"),
            secret_cache_ttl_seconds=seconds("SECRET_CACHE_TTL_SECONDS", "300", 86400),
            site_origin=text("SITE_ORIGIN").rstrip("/"),
            admin_username=text("ADMIN_USERNAME", "admin"),
            rate_limits=RateLimitSettings(
                invites_per_minute=count("RATE_LIMIT_INVITES_PER_MINUTE", 5),
                invites_per_hour=count("RATE_LIMIT_INVITES_PER_HOUR", 20),
                api_per_hour=count("RATE_LIMIT_API_PER_HOUR", 50),
                api_per_day=count("RATE_LIMIT_API_PER_DAY", 200),
                invites_per_identifier_per_day=count("RATE_LIMIT_INVITES_PER_IDENTIFIER_PER_DAY", 10),
            ),
            trusted_proxy_hops=count("TRUSTED_PROXY_HOPS", 1, 10),
            idempotency_window_seconds=seconds("IDEMPOTENCY_WINDOW_SECONDS", "600", 86400),
            plex_retry_budget_seconds=seconds("PLEX_RETRY_BUDGET_SECONDS", "20", 120),
            invite_log_retention_days=count("INVITE_LOG_RETENTION_DAYS", DEFAULT_INVITE_LOG_RETENTION_DAYS, 36500),
            # The queue trigger reads AzureWebJobsStorage too, so events go where the trigger listens.
            queue_connection_string=_connection_string(text("AzureWebJobsStorage")),
            queue_service_uri=text("AzureWebJobsStorage__queueServiceUri"),
            notify_burst_seconds=seconds("NOTIFY_BURST_SECONDS", "60", 3600),
            notify_unreachable_minutes=seconds("NOTIFY_UNREACHABLE_MINUTES", "15", 1440),
            batch_pace_seconds=seconds("BATCH_INVITE_PACE_SECONDS", "2", 60),
            batch_stall_seconds=seconds("BATCH_STALL_SECONDS", "300", 86400),
            audit_retention_days=count("AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS, 36500),
            http_environment=HttpEnvironment.from_environ(env),
        )

    def require_site_origin(self) -> str:
        if not self.site_origin:
            raise SetupRequired(
                ["SITE_ORIGIN"],
                "SITE_ORIGIN is not configured: set it to the site's address, e.g. https://invite.example.com, "
                "so admin requests can be checked against it.",
            )
        return self.site_origin

    @property
    def notifications_configured(self) -> bool:
        connection = self.queue_connection_string
        return bool(self.queue_service_uri or "QueueEndpoint=" in connection or "UseDevelopmentStorage" in connection)

    def require_storage(self) -> None:
        if not (self.storage_connection_string or self.table_service_uri):
            raise SetupRequired(
                ["AzureWebJobsStorage"],
                "Table Storage is not configured. Set AzureWebJobsStorage (or TABLES_CONNECTION_STRING) "
                "to a connection string, or AzureWebJobsStorage__tableServiceUri to use the managed identity.",
            )


def secret_from_environ(name: str, environ: Mapping[str, str] | None = None) -> str:
    """A secret given as an app setting (local runs, or no Key Vault)."""
    if name not in KEY_VAULT_SECRETS:
        raise KeyError(f"{name} is not a declared secret: add it to KEY_VAULT_SECRETS")
    env = os.environ if environ is None else environ
    return (env.get(name) or "").strip()


def _connection_string(value: str) -> str:
    # Identity-based AzureWebJobsStorage has no connection string, only __-suffixed settings.
    return value if "=" in value else ""
