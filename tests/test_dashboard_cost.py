"""The dashboard's storage cost does not grow with the invite log."""

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta

from azure.data.tables import TableServiceClient

from shared.invites.counters import InviteCounters
from shared.invites.log import PARTITION, InviteOutcome, row_key_for
from shared.storage.tables import COUNTERS, INVITE_LOG, Tables
from tests.support.containers import make_container


class EntityCounter:
    """Counts the entities Table Storage sends back, at the HTTP response."""

    def __init__(self):
        self.entities = 0
        self.requests = 0

    def __call__(self, pipeline_response):
        self.requests += 1
        response = pipeline_response.http_response
        if response.status_code != 200 or "json" not in (response.headers.get("Content-Type") or ""):
            return
        body = json.loads(response.text() or "{}")
        self.entities += len(body["value"]) if "value" in body else 1


def fill_log(tables, rows, now):
    client = tables.client(INVITE_LOG)
    for start in range(0, rows, 100):
        batch = [
            (
                "create",
                {
                    "PartitionKey": PARTITION,
                    "RowKey": row_key_for(now - timedelta(seconds=start + n)),
                    "IdentifierSubmitted": f"user{start + n}",
                    "IdentifierNormalized": f"user{start + n}",
                    "Outcome": "invited",
                    "Libraries": "[]",
                },
            )
            for n in range(min(100, rows - start))
        ]
        client.submit_transaction(batch)


def dashboard_cost(backing_services, app_env, gateway, simulator, log_rows):
    counter = EntityCounter()
    service = TableServiceClient.from_connection_string(backing_services.azurite_connection_string, raw_response_hook=counter)
    tables = Tables(service, f"{backing_services.run_prefix}cost{uuid.uuid4().hex[:6]}")
    tables.ensure()
    try:
        now = datetime.now(UTC)
        fill_log(tables, log_rows, now)
        shards = itertools.count()
        counters = InviteCounters(lambda: tables.client(COUNTERS), pick_shard=lambda: next(shards))
        for n in range(12):
            counters.record(InviteOutcome.INVITED if n % 3 else InviteOutcome.USER_NOT_FOUND, now - timedelta(hours=n * 7))
        dashboard = make_container(app_env, tables=tables, plex_gateway=gateway).dashboard
        dashboard.build()  # warms the library list and the Plex status
        counter.entities = counter.requests = 0
        simulator.reset_counts()
        data = dashboard.build()
        assert simulator.plex_tv_requests() == 0, "the cached library list and status were used"
        assert len(data.recent) == 20
        assert data.all_time.total == 12
        return counter.entities, counter.requests
    finally:
        tables.delete_all()


def test_dashboard_reads_the_same_number_of_entities_with_100_and_10000_log_rows(backing_services, app_env, gateway, simulator):
    small = dashboard_cost(backing_services, app_env, gateway, simulator, 100)
    large = dashboard_cost(backing_services, app_env, gateway, simulator, 10_000)
    assert small == large, (small, large)
    print(f"dashboard storage cost: {small[0]} entities in {small[1]} requests")
