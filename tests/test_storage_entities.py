"""The dataclass ↔ entity mapper: its rules, and on Azurite the exact properties each store writes (the
names and types rows were written with before the mapper), and rows in that shape read back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import ClassVar

import pytest
from azure.data.tables import UpdateMode

from shared.access.grants import Grant, GrantStatus, GrantStore, row_key_for
from shared.access.tiers import Tier, TierStore
from shared.admin.accounts import AdminAccounts, SecondFactor
from shared.admin.secret_box import SecretBox
from shared.config.runtime_settings import LibrarySelection, RuntimeSettings
from shared.invites.links import InviteLinks
from shared.invites.log import InviteLog, InviteOutcome, InviteRecord
from shared.plex.errors import PlexError, PlexErrorKind
from shared.plex.gateway import ConnectionState, SharingPermissions
from shared.plex.status import PlexStatus, PlexStatusMonitor
from shared.storage import registry
from shared.storage.entities import EntityMapper, pascal_case
from shared.storage.tables import ACCESS, ADMIN, INVITE_LINKS, INVITE_LOG, SETTINGS

NOW = datetime(2026, 11, 21, 9, 30, 15, 123000, tzinfo=UTC)
KEY = "k" * 64


def stored(table, partition, row_key):
    """The row as Table Storage holds it: its properties and their Python types."""
    entity = table.get_entity(partition, row_key)
    return {name: value for name, value in entity.items()}


def types_of(entity):
    return {name: type(value).__name__ for name, value in entity.items()}


# The mapper's rules, without storage.


class Colour(Enum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    deep_flag: bool = False


@dataclass(frozen=True)
class Sample:
    key: str
    plain_text: str
    count: int
    ratio: float
    at: datetime
    colour: Colour
    numbers: tuple[int, ...]
    mapping: dict[str, int]
    inner: Inner = field(default_factory=Inner)
    maybe: int | None = None
    when: datetime | None = None
    renamed: str = "x"
    version: str = ""


SAMPLE = EntityMapper(Sample, row_key="key", etag="version", names={"renamed": "OldName"})


def test_pascal_case_names():
    assert [pascal_case(n) for n in ("tier_id", "client_ip_hash", "id", "x")] == ["TierId", "ClientIpHash", "Id", "X"]


def test_fields_become_properties_by_the_rules():
    sample = Sample("row-1", "hi", 3, 0.5, NOW, Colour.RED, (1, 2), {"a": 1}, Inner(True))
    assert SAMPLE.to_entity(sample, partition="p") == {
        "PartitionKey": "p",
        "RowKey": "row-1",
        "PlainText": "hi",
        "Count": 3,
        "Ratio": 0.5,
        "At": NOW,
        "Colour": "red",
        "Numbers": "[1, 2]",
        "Mapping": '{"a": 1}',
        "DeepFlag": True,
        "OldName": "x",
    }, "no key or etag property; None left out; the embedded dataclass flat"


def test_rows_read_back_with_aware_utc_times_and_defaults_for_what_is_missing():
    class Row(dict):
        metadata: ClassVar[dict[str, str]] = {"etag": 'W/"1"'}

    row = Row(PartitionKey="p", RowKey="row-2", Numbers='["4"]', At=datetime(2026, 1, 2, 3, 4), When=NOW, Colour="red", Maybe=7)
    sample = SAMPLE.from_entity(row)
    assert sample == Sample(
        key="row-2",
        plain_text="",
        count=0,
        ratio=0.0,
        at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        colour=Colour.RED,
        numbers=(4,),
        mapping={},
        maybe=7,
        when=NOW,
        version='W/"1"',
    )
    assert sample.at.tzinfo is not None


def test_declarations_that_do_not_fit_the_dataclass_are_refused():
    with pytest.raises(TypeError, match="no fields"):
        EntityMapper(Sample, names={"nope": "Nope"})
    with pytest.raises(TypeError, match="row-key"):
        EntityMapper(Inner).to_entity(Inner(), partition="p")


# Every store writes what it wrote before, and reads rows written in that shape.


def test_invite_links_keep_their_properties(tables):
    table = tables.client(INVITE_LINKS)
    links = InviteLinks(lambda: table, clock=lambda: NOW)
    link = links.create(tier_id="t1", max_uses=5, expires_at=NOW + timedelta(days=2), access_days=7, note=" hi ", code="FRIENDS-1")
    row = stored(table, registry.INVITE_LINKS.name, "FRIENDS-1")
    assert row == {
        "PartitionKey": "invite",
        "RowKey": "FRIENDS-1",
        "TierId": "t1",
        "MaxUses": 5,
        "Uses": 0,
        "AccessDays": 7,
        "Note": "hi",
        "CreatedAt": NOW,
        "ExpiresAt": NOW + timedelta(days=2),
        "RequiresSignIn": False,
    }
    assert types_of(row)["MaxUses"] == "int"
    links.create(tier_id="t1", max_uses=0, expires_at=None, access_days=0, note="", code="NO-EXPIRY")
    assert "ExpiresAt" not in stored(table, "invite", "NO-EXPIRY")
    assert links.get("friends-1") == link
    table.create_entity({"PartitionKey": "invite", "RowKey": "OLDROW", "TierId": "t2", "MaxUses": 1, "Uses": 1, "CreatedAt": NOW})
    old = links.get("OLDROW")
    assert (old.tier_id, old.max_uses, old.uses, old.expires_at, old.access_days, old.note) == ("t2", 1, 1, None, 0, "")
    assert old.requires_sign_in is False


def test_grants_keep_their_properties(tables):
    table = tables.client(ACCESS)
    grants = GrantStore(lambda: table)
    grant = Grant("a/b#c@example.com", "t1", "CODE", NOW, NOW + timedelta(days=7), GrantStatus.ACTIVE)
    grants.record(grant)
    row = stored(table, "grant", row_key_for(grant.identifier))
    assert row == {
        "PartitionKey": "grant",
        "RowKey": row_key_for(grant.identifier),
        "Identifier": "a/b#c@example.com",
        "TierId": "t1",
        "InviteCode": "CODE",
        "GrantedAt": NOW,
        "ExpiresAt": NOW + timedelta(days=7),
        "Status": "active",
        "RemovalNote": "",
    }
    read = grants.get(grant.identifier)
    assert read is not None and read.etag and read.row_key == row_key_for(grant.identifier)
    assert (read.identifier, read.expires_at, read.status, read.removed_at) == (
        grant.identifier,
        grant.expires_at,
        GrantStatus.ACTIVE,
        None,
    )
    # A row from before keys were hashed: keyed by the identifier, no Identifier or Status property.
    table.create_entity({"PartitionKey": "grant", "RowKey": "olduser", "TierId": "t0", "GrantedAt": NOW})
    old = grants.get("olduser")
    assert (old.identifier, old.row_key, old.status, old.expires_at) == ("olduser", "olduser", GrantStatus.ACTIVE, None)
    removed = grants.update(
        Grant("olduser", "t0", "", NOW, None, GrantStatus.REVOKED, removed_at=NOW, removal_note="bye", etag=old.etag, row_key="olduser")
    )
    assert stored(table, "grant", "olduser")["RemovedAt"] == NOW and removed.etag != old.etag


def test_tiers_keep_their_properties(tables):
    table = tables.client(ACCESS)
    tiers = TierStore(lambda: table, RuntimeSettings(lambda: tables.client(SETTINGS)))
    tier = tiers.save("Family", [3, 1, 3], SharingPermissions(allow_sync=True, allow_channels=True))
    assert stored(table, "tier", tier.id) == {
        "PartitionKey": "tier",
        "RowKey": tier.id,
        "Name": "Family",
        "SectionIds": "[3, 1]",
        "AllowSync": True,
        "AllowCameraUpload": False,
        "AllowChannels": True,
        "SyncWatchState": False,
        "OptOutOnlineMedia": False,
    }
    assert tiers.get(tier.id) == tier
    table.create_entity({"PartitionKey": "tier", "RowKey": "old", "Name": "Old", "SectionIds": "[5]"})
    assert tiers.get("old") == Tier("old", "Old", (5,), SharingPermissions())


def test_invite_log_rows_keep_their_properties(tables):
    table = tables.client(INVITE_LOG)
    log = InviteLog(lambda: table)
    record = InviteRecord(NOW, " Bob ", "bob", "username", InviteOutcome.INVITED, client_ip_hash="ff", libraries=("Movies", "TV"))
    written = log.append(record)
    assert stored(table, "invites", written.id) == {
        "PartitionKey": "invites",
        "RowKey": written.id,
        "CreatedAt": NOW,
        "IdentifierSubmitted": " Bob ",
        "IdentifierNormalized": "bob",
        "IdentifierKind": "username",
        "Outcome": "invited",
        "ErrorCode": "",
        "ErrorMessage": "",
        "ClientIpHash": "ff",
        "InviteCode": "",
        "Libraries": json.dumps(["Movies", "TV"]),
    }
    assert log.recent(1) == [written]
    table.create_entity({"PartitionKey": "invites", "RowKey": "0" * 19 + "-old", "IdentifierNormalized": "ann"})
    old = next(r for r in log.recent(5) if r.identifier_normalized == "ann")
    assert (old.outcome, old.libraries, old.created_at) == (InviteOutcome.PLEX_ERROR, (), datetime.fromtimestamp(0, UTC))


def test_plex_status_keeps_its_properties(tables):
    table = tables.client(SETTINGS)
    clock = iter([1000.5, 2000.25, 3000.0, 4000.0]).__next__
    monitor = PlexStatusMonitor(lambda: table, lambda: None, clock=clock)
    monitor.observe_token_change(ConnectionState(server_name="Den", token_fingerprint="fp"), None)
    row = stored(table, "settings", "plexstatus")
    assert row == {
        "PartitionKey": "settings",
        "RowKey": "plexstatus",
        "ServerName": "Den",
        "LastError": "",
        "LastErrorKind": "",
        "TokenFingerprint": "fp",
        "TokenValid": True,
        "CheckedAt": 1000.5,
        "UnreachableAnnounced": False,
    }, "LastErrorAt and UnreachableSince left out while there was none"
    monitor.record_failure(PlexError(PlexErrorKind.INVALID_TOKEN, "rejected"), "fp")
    row = stored(table, "settings", "plexstatus")
    assert (row["TokenValid"], row["LastErrorAt"], row["LastErrorKind"], types_of(row)["LastErrorAt"]) == (
        False,
        2000.25,
        "invalid_token",
        "float",
    )
    table.upsert_entity({"PartitionKey": "settings", "RowKey": "plexstatus", "ServerName": "Old"}, mode=UpdateMode.REPLACE)
    assert monitor._read() == PlexStatus(server_name="Old")


def test_second_factor_keeps_its_properties(tables):
    table = tables.client(ADMIN)
    accounts = AdminAccounts(lambda: table, SecretBox(lambda: KEY))
    saved = accounts.save("Owner", SecondFactor(enabled=True, secret="JBSWY3DPEHPK3PXP", last_step=42, recovery_code_hashes=("h1", "h2")))
    row = stored(table, "account", "owner")
    assert set(row) == {
        "PartitionKey",
        "RowKey",
        "TotpEnabled",
        "TotpSecret",
        "TotpPendingSecret",
        "TotpLastStep",
        "RecoveryCodeHashes",
        "SessionEpoch",
    }
    assert (row["TotpEnabled"], row["TotpPendingSecret"], row["TotpLastStep"], row["RecoveryCodeHashes"], row["SessionEpoch"]) == (
        True,
        "",
        42,
        '["h1", "h2"]',
        0,
    )
    assert row["TotpSecret"].startswith("v1:"), "sealed at rest"
    read = accounts.second_factor("owner")
    assert read == saved and read.secret == "JBSWY3DPEHPK3PXP" and read.etag == saved.etag
    table.upsert_entity({"PartitionKey": "account", "RowKey": "old", "TotpEnabled": True, "TotpSecret": "PLAIN"})
    assert accounts.second_factor("old") == SecondFactor(enabled=True, secret="PLAIN")


def test_library_selection_keeps_its_properties(tables):
    table = tables.client(SETTINGS)
    RuntimeSettings(lambda: table).set_library_selection(LibrarySelection((7, 9), ("Movies", "TV")))
    assert stored(table, "settings", "libraries") == {
        "PartitionKey": "settings",
        "RowKey": "libraries",
        "SectionIds": "[7, 9]",
        "Titles": '["Movies", "TV"]',
    }
