"""Every table, partition and fixed row key the app stores, what each holds, and which module owns it.

Modules take their PARTITION and row-key constants from here, never from their own string literals,
so two modules can't end up writing the same rows by accident: registering the same table, partition
or row twice raises DuplicateClaim when this module is imported, and tests/test_storage_registry.py
checks that every module's partitions are registered here under its name.

A partition is either owned by one module, whose rows are keyed by data (an invite code, a hashed
address...), or shared: then only its registered rows exist, each owned by one module.
"""

from __future__ import annotations

from dataclasses import dataclass

# A Table Storage page holds at most 1,000 entities, and Query Entities takes $top up to 1,000 only (Azurite
# takes any): every query_entities page size stays at or under it.
MAX_RESULTS_PER_PAGE = 1000


class DuplicateClaim(ValueError):
    """A table, partition or row key registered twice, or a row in a partition one module owns."""


@dataclass(frozen=True)
class TableSpec:
    name: str
    holds: str


@dataclass(frozen=True)
class PartitionSpec:
    table: TableSpec
    name: str
    holds: str
    owner: str | None  # the module that keys its rows; None for a shared partition of registered rows


@dataclass(frozen=True)
class RowSpec:
    partition: PartitionSpec
    key: str
    holds: str
    owner: str


class Registry:
    def __init__(self) -> None:
        self._tables: dict[str, TableSpec] = {}
        self._partitions: dict[tuple[str, str], PartitionSpec] = {}
        self._rows: dict[tuple[str, str, str], RowSpec] = {}

    def table(self, name: str, holds: str) -> TableSpec:
        if name in self._tables:
            raise DuplicateClaim(f"table {name!r} is registered twice")
        spec = TableSpec(name, holds)
        self._tables[name] = spec
        return spec

    def partition(self, table: TableSpec, name: str, holds: str, *, owner: str) -> PartitionSpec:
        """A partition whose every row belongs to `owner` (a module name)."""
        return self._add_partition(PartitionSpec(table, name, holds, owner))

    def shared_partition(self, table: TableSpec, name: str, holds: str) -> PartitionSpec:
        """A partition of fixed rows, each registered with `row` by the module that owns it."""
        return self._add_partition(PartitionSpec(table, name, holds, None))

    def row(self, partition: PartitionSpec, key: str, holds: str, *, owner: str) -> RowSpec:
        if self._partitions.get((partition.table.name, partition.name)) != partition:
            raise DuplicateClaim(f"partition {partition.name!r} of table {partition.table.name!r} isn't registered here")
        if partition.owner is not None:
            raise DuplicateClaim(f"partition {partition.name!r} of table {partition.table.name!r} belongs to {partition.owner}")
        claim = (partition.table.name, partition.name, key)
        if claim in self._rows:
            raise DuplicateClaim(f"row {key!r} of {partition.table.name}/{partition.name} is claimed by {self._rows[claim].owner} already")
        spec = RowSpec(partition, key, holds, owner)
        self._rows[claim] = spec
        return spec

    def _add_partition(self, spec: PartitionSpec) -> PartitionSpec:
        if self._tables.get(spec.table.name) != spec.table:
            raise DuplicateClaim(f"table {spec.table.name!r} isn't registered here")
        claim = (spec.table.name, spec.name)
        if claim in self._partitions:
            taken = self._partitions[claim].owner or "shared rows"
            raise DuplicateClaim(f"partition {spec.name!r} of table {spec.table.name!r} is claimed by {taken} already")
        self._partitions[claim] = spec
        return spec

    def table_names(self) -> tuple[str, ...]:
        return tuple(self._tables)

    def tables(self) -> list[TableSpec]:
        return list(self._tables.values())

    def partitions(self) -> list[PartitionSpec]:
        return list(self._partitions.values())

    def rows(self) -> list[RowSpec]:
        return list(self._rows.values())

    def owners_of(self, table: str, partition: str) -> set[str]:
        """The modules that may write in the partition: its owner, or the owners of its registered rows."""
        spec = self._partitions.get((table, partition))
        if spec is None:
            return set()
        if spec.owner is not None:
            return {spec.owner}
        return {row.owner for (t, p, _), row in self._rows.items() if (t, p) == (table, partition)}


REGISTRY = Registry()

# Tables, in the order they are created.
INVITE_LOG_TABLE = REGISTRY.table("invitelog", "one row per invite submission, newest first")
COUNTERS_TABLE = REGISTRY.table("counters", "invite totals kept as counters, so stats never scan the log")
SETTINGS_TABLE = REGISTRY.table("settings", "what the owner sets while the app runs, and what the app last knew about Plex")
ADMIN_TABLE = REGISTRY.table("admin", "the admin's sign-in: sessions, second factor, sign-in throttling")
RATE_LIMITS_TABLE = REGISTRY.table("ratelimits", "request counts per hashed address or identifier")
IDEMPOTENCY_TABLE = REGISTRY.table("idempotency", "one claim, then one stored result, per repeated submission")
INVITE_LINKS_TABLE = REGISTRY.table("invitelinks", "the invites the admin created")
ACCESS_TABLE = REGISTRY.table("access", "tiers and the people who got access")
NOTIFY_TABLE = REGISTRY.table("notify", "the owner's notification channels, their templates, deliveries and grouped failures")
BATCHES_TABLE = REGISTRY.table("batches", "the owner's CSV batch invitations and the state of each of their rows")
AUDIT_TABLE = REGISTRY.table("audit", "who changed what on the admin API, newest first")

# Partitions whose rows are keyed by data, each owned by one module.
INVITE_LOG = REGISTRY.partition(
    INVITE_LOG_TABLE, "invites", "one submission per row, RowKey an inverted time (newest first)", owner="shared.invites.log"
)
INVITE_COUNTERS = REGISTRY.partition(
    COUNTERS_TABLE, "invites", "outcome counts in shards: total-N, day-YYYY-MM-DD-N, hour-YYYY-MM-DDTHH-N", owner="shared.invites.counters"
)
HEALTH_PROBE = REGISTRY.partition(
    SETTINGS_TABLE, "health", "nothing: the health check queries it to see that storage answers", owner="shared.health"
)
LOGIN_THROTTLE = REGISTRY.partition(ADMIN_TABLE, "throttle", "sign-in attempts per hashed subject", owner="shared.admin.throttle")
ADMIN_SESSIONS = REGISTRY.partition(ADMIN_TABLE, "session", "signed-in admin sessions by session id", owner="shared.admin.sessions")
ADMIN_ACCOUNTS = REGISTRY.partition(ADMIN_TABLE, "account", "the admin's second factor by username", owner="shared.admin.accounts")
API_KEYS = REGISTRY.partition(ADMIN_TABLE, "apikey", "admin API keys by public id: name, scope, keyed hash", owner="shared.admin.api_keys")
AUDIT_LOG = REGISTRY.partition(
    AUDIT_TABLE, "audit", "one admin change per row, RowKey an inverted time (newest first)", owner="shared.audit.trail"
)
RATE_LIMITS = REGISTRY.partition(
    RATE_LIMITS_TABLE, "ratelimit", "fixed-window counts per hashed subject", owner="shared.limits.rate_limits"
)
IDEMPOTENCY_KEYS = REGISTRY.partition(
    IDEMPOTENCY_TABLE, "idempotency", "a pending claim or a stored result per hashed key", owner="shared.invites.idempotency"
)
INVITE_LINKS = REGISTRY.partition(INVITE_LINKS_TABLE, "invite", "invites by code, with their use counts", owner="shared.invites.links")
TIERS = REGISTRY.partition(ACCESS_TABLE, "tier", "named tiers by id", owner="shared.access.tiers")
GRANTS = REGISTRY.partition(ACCESS_TABLE, "grant", "who got access, by hashed identifier", owner="shared.access.grants")
MORE_TIME = REGISTRY.partition(
    ACCESS_TABLE,
    "moretime",
    "a guest's request for more time, by the grant's row key; open while the grant's end is unchanged",
    owner="shared.access.more_time",
)
NOTIFY_CHANNELS = REGISTRY.partition(
    NOTIFY_TABLE, "channel", "notification channels by id: a sealed Apprise URL, events, the last result", owner="shared.notify.channels"
)
NOTIFY_TEMPLATES = REGISTRY.partition(
    NOTIFY_TABLE, "template", "the owner's message templates by event kind", owner="shared.notify.templates"
)
NOTIFY_DELIVERIES = REGISTRY.partition(
    NOTIFY_TABLE,
    "delivery",
    "one row per event and channel once delivered, so a retried message never posts twice",
    owner="shared.notify.delivery",
)
NOTIFY_BURSTS = REGISTRY.partition(
    NOTIFY_TABLE, "burst", "failed invites counted per time window, sent as one message", owner="shared.notify.publisher"
)
BATCHES = REGISTRY.partition(
    BATCHES_TABLE,
    "batch",
    "one batch invitation per row, RowKey an inverted time (newest first): its state, counts and lease",
    owner="shared.invites.batches",
)
BATCH_ROWS = REGISTRY.partition(
    BATCHES_TABLE,
    "row",
    "a batch's rows, RowKey <batch id>-<line>: what was uploaded, its check and its send state",
    owner="shared.invites.batch_rows",
)

# The settings partition: fixed rows, each owned by one module.
SETTINGS = REGISTRY.shared_partition(SETTINGS_TABLE, "settings", "one row per setting or cached value")
LIBRARY_SELECTION = REGISTRY.row(
    SETTINGS, "libraries", "the libraries new invites share (the default tier)", owner="shared.config.runtime_settings"
)
IP_HASH_KEY = REGISTRY.row(SETTINGS, "iphashkey", "the key that hashes logged addresses", owner="shared.config.runtime_settings")
CODE_REQUIRED = REGISTRY.row(SETTINGS, "codereq", "whether guests need an invite code", owner="shared.config.runtime_settings")
PLEX_STATUS = REGISTRY.row(SETTINGS, "plexstatus", "what the app last knew about its Plex connection", owner="shared.plex.status")
LIBRARY_CACHE = REGISTRY.row(SETTINGS, "librarycache", "the server's libraries as last read from plex.tv", owner="shared.plex.libraries")
SIGN_IN_MODE = REGISTRY.row(
    SETTINGS, "signinmode", "how guests identify themselves: Plex sign-in, typed, or either", owner="shared.config.runtime_settings"
)
ONBOARDING = REGISTRY.row(
    SETTINGS,
    "onboarding",
    "the owner's Start watching content: edited steps, request app, community, rules, contact",
    owner="shared.guest.onboarding",
)
BRANDING = REGISTRY.row(
    SETTINGS, "branding", "the guest pages' look: display name, accent colour, welcome line, logo type", owner="shared.guest.branding"
)
BRANDING_LOGO = REGISTRY.row(SETTINGS, "brandinglogo", "the uploaded logo's bytes, in chunks", owner="shared.guest.branding")
