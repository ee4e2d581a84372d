"""Retention: deletes the rows anonymous requests leave behind once they no longer matter.

Each kind of row says in its own properties when it stops mattering, so a sweep is one filtered
query per kind (in one partition, selecting only the keys) followed by deletes in transactions of
up to 100. Every delete is conditional on the ETag the query saw: a row that was written again in
between (a rate limit hit again, a throttle failing again, an idempotency key claimed again) is
kept. Two sweeps at once are harmless: a row the other one deleted first is skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceModifiedError
from azure.data.tables import TableClient, TableEntity, TableTransactionError

from shared.admin import sessions as admin_sessions
from shared.admin import throttle as login_throttle
from shared.admin.throttle import ThrottlePolicy
from shared.audit import trail as audit_trail
from shared.invites import idempotency
from shared.invites import log as invite_log
from shared.limits import rate_limits
from shared.notify import delivery as notify_delivery
from shared.notify import publisher as notify_publisher

# Table Storage takes at most 100 operations in one transaction, all in one partition.
TRANSACTION_SIZE = 100
# A pending idempotency claim older than this has no live owner: an HTTP request gets 230 s at most.
ABANDONED_CLAIM_SECONDS = 3600.0
# Rate-limit rows written before the limiter stored ExpiresAt: untouched for longer than the longest
# window (a day), every window on them has passed.
LEGACY_RATE_LIMIT_SECONDS = 2 * 86400.0
# A delivery record stops a retried message from posting twice; retries end within hours (five tries,
# 20 minutes apart), and a poison message re-sent by hand within a week still finds it.
DELIVERY_RECORD_SECONDS = 7 * 86400.0
# A grouped-failure window is at most minutes long; a day later nothing reads it.
BURST_RECORD_SECONDS = 86400.0
# A batch invitation (its rows and results) is kept this long after it finished, or after its upload if never started.
BATCH_RETENTION_SECONDS = 30 * 86400.0
_KEYS = ["PartitionKey", "RowKey"]
TableProvider = Callable[[], TableClient]


@dataclass(frozen=True)
class RetentionReport:
    """Rows deleted in one sweep, by kind."""

    rate_limits: int = 0
    idempotency_keys: int = 0
    login_throttles: int = 0
    admin_sessions: int = 0
    invite_log: int = 0
    notification_records: int = 0
    audit_rows: int = 0
    batch_rows: int = 0

    @property
    def total(self) -> int:
        return (
            self.audit_rows
            + self.batch_rows
            + self.rate_limits
            + self.idempotency_keys
            + self.login_throttles
            + self.admin_sessions
            + self.invite_log
            + self.notification_records
        )


class Retention:
    def __init__(
        self,
        *,
        rate_limits_table: TableProvider,
        idempotency_table: TableProvider,
        admin_table: TableProvider,
        invite_log_table: TableProvider,
        notify_table: TableProvider,
        throttle_policy: ThrottlePolicy,
        invite_log_retention_days: int,
        audit_table: TableProvider | None = None,
        audit_retention_days: int = 0,
        batch_sweep: Callable[[float], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._rate_limits = rate_limits_table
        self._idempotency = idempotency_table
        self._admin = admin_table
        self._invite_log = invite_log_table
        self._notify = notify_table
        self._throttle_policy = throttle_policy
        # 0 keeps the invite log forever.
        self._invite_log_retention_days = invite_log_retention_days
        # 0 (or no table) keeps the audit trail forever.
        self._audit = audit_table
        self._audit_retention_days = audit_retention_days
        # Deletes the batch invitations that finished before the time it is given; returns the rows deleted.
        self._batch_sweep = batch_sweep
        self._clock = clock

    def sweep(self) -> RetentionReport:
        now = self._clock()
        return RetentionReport(
            rate_limits=self.delete_expired_rate_limits(now),
            idempotency_keys=self.delete_expired_idempotency_keys(now),
            login_throttles=self.delete_forgotten_login_throttles(now),
            admin_sessions=self.delete_expired_sessions(now),
            invite_log=self.delete_old_invite_log_rows(now),
            notification_records=self.delete_old_notification_records(now),
            audit_rows=self.delete_old_audit_rows(now),
            batch_rows=self._batch_sweep(now - BATCH_RETENTION_SECONDS) if self._batch_sweep else 0,
        )

    def delete_expired_rate_limits(self, now: float) -> int:
        table = self._rate_limits()
        deleted = _delete(
            table,
            _query(table, "PartitionKey eq @pk and ExpiresAt lt @now", pk=rate_limits.PARTITION, now=now),
        )
        # Rows from before ExpiresAt existed: only those that really lack it, and untouched for long.
        legacy = _query(
            table,
            "PartitionKey eq @pk and Timestamp lt @stale",
            extra_select=[rate_limits.EXPIRES_AT],
            pk=rate_limits.PARTITION,
            stale=_utc(now - LEGACY_RATE_LIMIT_SECONDS),
        )
        return deleted + _delete(table, (entity for entity in legacy if rate_limits.EXPIRES_AT not in entity))

    def delete_expired_idempotency_keys(self, now: float) -> int:
        table = self._idempotency()
        replayed = _query(
            table, "PartitionKey eq @pk and State eq @done and ExpiresAt lt @now", pk=idempotency.PARTITION, done="done", now=now
        )
        abandoned = _query(
            table,
            "PartitionKey eq @pk and State eq @pending and ClaimedAt lt @abandoned",
            pk=idempotency.PARTITION,
            pending="pending",
            abandoned=now - ABANDONED_CLAIM_SECONDS,
        )
        return _delete(table, replayed) + _delete(table, abandoned)

    def delete_forgotten_login_throttles(self, now: float) -> int:
        """Rows whose count the throttle would start over anyway, and that lock nobody out."""
        table = self._admin()
        forgotten = _query(
            table,
            "PartitionKey eq @pk and LastFailureAt lt @forgotten and LockedUntil lt @now",
            pk=login_throttle.PARTITION,
            forgotten=now - self._throttle_policy.forget_after_seconds,
            now=now,
        )
        return _delete(table, forgotten)

    def delete_expired_sessions(self, now: float) -> int:
        table = self._admin()
        return _delete(table, _query(table, "PartitionKey eq @pk and ExpiresAt lt @now", pk=admin_sessions.PARTITION, now=_utc(now)))

    def delete_old_invite_log_rows(self, now: float) -> int:
        if self._invite_log_retention_days <= 0:
            return 0
        cutoff = _utc(now) - timedelta(days=self._invite_log_retention_days)
        table = self._invite_log()
        # Newest first: every row older than the cutoff has a RowKey from this one upwards (a key range).
        oldest = _query(
            table, "PartitionKey eq @pk and RowKey ge @first", pk=invite_log.PARTITION, first=invite_log.first_row_key_before(cutoff)
        )
        return _delete(table, oldest)

    def delete_old_audit_rows(self, now: float) -> int:
        if self._audit is None or self._audit_retention_days <= 0:
            return 0
        cutoff = _utc(now) - timedelta(days=self._audit_retention_days)
        table = self._audit()
        # Newest first, as the invite log: every row older than the cutoff is a key range.
        oldest = _query(
            table, "PartitionKey eq @pk and RowKey ge @first", pk=audit_trail.PARTITION, first=audit_trail.first_row_key_before(cutoff)
        )
        return _delete(table, oldest)

    def delete_old_notification_records(self, now: float) -> int:
        """Delivery records (claimed or delivered) and grouped-failure windows nothing reads any more."""
        table = self._notify()
        cutoff = now - DELIVERY_RECORD_SECONDS
        delivered = _query(table, "PartitionKey eq @pk and DeliveredAt lt @cutoff", pk=notify_delivery.PARTITION, cutoff=cutoff)
        claimed = _query(table, "PartitionKey eq @pk and ClaimedAt lt @cutoff", pk=notify_delivery.PARTITION, cutoff=cutoff)
        # FirstAt is ISO 8601 text in UTC, so text order is time order.
        first_before = _utc(now - BURST_RECORD_SECONDS).isoformat(timespec="seconds")
        bursts = _query(table, "PartitionKey eq @pk and FirstAt lt @first", pk=notify_publisher.PARTITION, first=first_before)
        return _delete(table, delivered) + _delete(table, claimed) + _delete(table, bursts)


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def _query(table: TableClient, query_filter: str, *, extra_select: list[str] | None = None, **parameters: Any) -> Iterator[TableEntity]:
    # The SDK substitutes each @name that stands alone between spaces, typed (Edm.Double, DateTime...).
    return iter(
        table.query_entities(query_filter, parameters=parameters, select=_KEYS + (extra_select or []), results_per_page=TRANSACTION_SIZE)
    )


def _delete(table: TableClient, entities: Iterable[TableEntity]) -> int:
    """Deletes the rows, each only if unchanged since it was read; returns how many this call deleted."""
    deleted = 0
    entities = iter(entities)
    while chunk := list(islice(entities, TRANSACTION_SIZE)):
        # One partition per query, so each chunk can be one transaction.
        operations = [("delete", entity, {"match_condition": MatchConditions.IfNotModified}) for entity in chunk]
        try:
            table.submit_transaction(operations)
            deleted += len(chunk)
            continue
        except TableTransactionError:
            pass  # one row changed or was deleted meanwhile: the transaction did nothing, so go one by one
        for entity in chunk:
            deleted += _delete_one(table, entity)
    return deleted


def _delete_one(table: TableClient, entity: TableEntity) -> int:
    try:
        # A row already deleted (by another sweep) is no error here: the SDK ignores the 404.
        table.delete_entity(entity, match_condition=MatchConditions.IfNotModified)
    except ResourceModifiedError:
        return 0  # written again since the query: it matters again
    except HttpResponseError as error:
        if error.status_code == 412:
            return 0
        raise
    return 1
