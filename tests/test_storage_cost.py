"""What Table Storage bills per operation, counted at the app's own Tables client (shared.storage.tables.StorageMeter):
requests, entities read and entities written. A warm invite and a dashboard call cost a fixed number of each."""

from shared.invites.service import InviteSubmission
from shared.storage.tables import StorageCount, StorageMeter
from tests.support.containers import make_container

CODE = "storage-cost"
LIMITS_ON = {
    "RATE_LIMIT_INVITES_PER_MINUTE": "1000",
    "RATE_LIMIT_INVITES_PER_HOUR": "1000",
    "RATE_LIMIT_API_PER_HOUR": "1000",
    "RATE_LIMIT_API_PER_DAY": "1000",
    "RATE_LIMIT_INVITES_PER_IDENTIFIER_PER_DAY": "10",
}


def metered_app(app_env):
    meter = StorageMeter()
    app_env.update(LIMITS_ON, INVITE_CODE=CODE)
    return make_container(app_env, storage_meter=meter), meter


def cost(meter, operation):
    before = meter.read()
    operation()
    return meter.read() - before


def invite(container, n):
    result = container.invite_service.submit(InviteSubmission(f"cost{n}@example.com", CODE, "203.0.113.5"))
    assert result.outcome.succeeded, result
    return result


def test_a_warm_invite_costs_ten_requests_one_entity_read_and_nine_written(app_env, simulator):
    container, meter = metered_app(app_env)
    for n in range(2):  # the first invites sign in to plex.tv, make the tables and the address's limit entity
        invite(container, n)
    simulator.reset_counts()
    spent = cost(meter, lambda: invite(container, 2))
    # Before plex.tv, side by side: the address's and the account's limits (one write each), the claim on
    # repeats (an insert), and one query of the settings the check reads (the Plex status is there; the sign-in
    # mode and the default tier's libraries were never set); the global code needs no lookup. After: the log
    # entry, the three totals (all-time, day, hour), the answer kept for repeats and the guest's access.
    assert spent == StorageCount(requests=10, entities_read=1, entities_written=9)
    assert simulator.plex_tv_requests() == 1


def test_a_warm_invite_costs_the_same_from_a_returning_address(app_env, simulator):
    container, meter = metered_app(app_env)
    for n in range(3):
        invite(container, n)
    costs = {cost(meter, lambda n=n: invite(container, n)) for n in range(3, 6)}
    assert costs == {StorageCount(requests=10, entities_read=1, entities_written=9)}


def test_a_dashboard_rereads_what_invites_change_only_when_an_invite_moved_the_totals(app_env, simulator):
    container, meter = metered_app(app_env)
    for n in range(25):
        invite(container, n)
    dashboard = container.dashboard
    dashboard.build()  # reads the library list and the Plex status once
    unchanged = cost(meter, dashboard.build)
    invite(container, 25)
    changed = cost(meter, dashboard.build)
    # Always: the all-time total, and one query of the library list and choice and the Plex status. Only when the
    # total moved: the per-day and per-hour totals and one page of the newest log rows.
    assert unchanged == StorageCount(requests=2, entities_read=unchanged.entities_read, entities_written=0)
    assert changed.requests == unchanged.requests + 3
    assert changed.entities_read - unchanged.entities_read >= 20
    data = dashboard.build()
    assert len(data.recent) == 20
    assert data.all_time.total == 26


class _Answer:
    """What the meter reads of an HTTP answer: its status and body."""

    def __init__(self, status: int, body: bytes = b"") -> None:
        self.status_code = status
        self._body = body

    def body(self) -> bytes:
        return self._body


def test_the_meter_counts_entities_the_way_table_storage_answers_them():
    from shared.storage.tables import _entities

    page = b'{"value": [{"PartitionKey": "p", "RowKey": "a"}, {"PartitionKey": "p", "RowKey": "b"}]}'
    batch = b"--b\r\nHTTP/1.1 204 No Content\r\n\r\n--b\r\nHTTP/1.1 201 Created\r\n\r\n--b--"
    assert _entities("GET", "/acct/t(PartitionKey='p',RowKey='a')", _Answer(200, b"{}")) == (1, 0)
    assert _entities("GET", "/acct/t(PartitionKey='p',RowKey='a')", _Answer(404)) == (0, 0)
    assert _entities("GET", "/acct/t()", _Answer(200, page)) == (2, 0)
    assert _entities("POST", "/acct/t", _Answer(201)) == (0, 1)
    assert _entities("PUT", "/acct/t(PartitionKey='p',RowKey='a')", _Answer(412)) == (0, 0), "a refused write writes nothing"
    assert _entities("POST", "/acct/$batch", _Answer(202, batch)) == (0, 2)
    assert _entities("POST", "/acct/Tables", _Answer(201)) == (0, 0), "a table is not an entity"
