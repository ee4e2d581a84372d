"""Idempotency, retries, the circuit breaker, rate limits and the outbox, in-process on Azurite and the simulator."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.data.tables import TableServiceClient

from devtools.fault_proxy import FaultProxy
from devtools.plex_simulator import DEMO_OWNER_TOKEN
from shared.access.grants import GrantStore
from shared.config.settings import RateLimitSettings
from shared.invites.log import InviteLog, InviteOutcome
from shared.invites.service import IdempotencyKeyReused, InviteSubmission
from shared.limits.request_limits import RateLimited
from shared.storage.tables import ACCESS, INVITE_LOG, Tables
from tests.support.containers import make_service

SHARE_POST = "/api/servers/*/shared_servers"
POST_ENDPOINT = "POST /api/servers/{machineId}/shared_servers"


def posts(simulator):
    return simulator.counts()["endpoints"].get(POST_ENDPOINT, 0)


def test_double_submit_makes_one_plex_post_and_one_log_row(simulator, container, gateway, stores):
    simulator.add_fault(SHARE_POST, None, delay_seconds=0.5)  # the second click lands while the first is at Plex
    service = make_service(container)
    gateway.libraries()
    simulator.reset_counts()
    barrier = threading.Barrier(2)

    def click():
        barrier.wait()
        return service.submit(InviteSubmission("alice", None, "198.51.100.7"))

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: click(), range(2))
    assert {first.outcome, second.outcome} == {InviteOutcome.INVITED}
    assert sorted([first.replayed, second.replayed]) == [False, True]
    assert posts(simulator) == 1
    assert len(stores.log.recent(10)) == 1
    assert len(simulator.state()["shares"]) == 1


def test_repeat_within_the_window_returns_the_first_result_without_plex(simulator, container, stores):
    service = make_service(container)
    service.submit(InviteSubmission("bob", None, ""))
    simulator.reset_counts()
    again = service.submit(InviteSubmission("  BOB ", None, ""))
    assert again.replayed and again.outcome is InviteOutcome.INVITED
    assert simulator.plex_tv_requests() == 0
    assert len(stores.log.recent(10)) == 1


def test_idempotency_key_reused_for_another_identifier_is_refused(simulator, container):
    service = make_service(container)
    key = uuid.uuid4().hex
    service.submit(InviteSubmission("carol", None, "", key))
    assert service.submit(InviteSubmission("carol", None, "", key)).replayed
    with pytest.raises(IdempotencyKeyReused):
        service.submit(InviteSubmission("dave_p", None, "", key))


def test_lost_answer_is_checked_against_the_share_list_not_posted_again(simulator, container, gateway):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, 502, after_processing=True)
    simulator.reset_counts()
    result = make_service(container).submit(InviteSubmission("dave_p", None, ""))
    assert result.outcome is InviteOutcome.INVITED
    assert posts(simulator) == 1, "the share existed, so the invite was not sent twice"
    assert simulator.counts()["endpoints"]["GET /api/v2/shared_servers/owned/{pending|accepted}"] >= 1
    assert [s["username"] for s in simulator.state()["shares"]] == ["dave_p"]


def test_a_lost_answer_that_plex_tv_cannot_confirm_is_reported_as_unconfirmed_not_as_not_sent(simulator, container, gateway, stores):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, 502, method="POST", after_processing=True)
    simulator.add_fault("/api/v2/shared_servers/owned/*", 503, times=0)
    service = make_service(container, budget=0.5)
    result = service.submit(InviteSubmission("dave_p", None, ""))
    assert result.outcome is InviteOutcome.PLEX_UNCONFIRMED
    assert "didn't confirm" in result.message and "no invite was sent" not in result.message
    assert [e.outcome for e in stores.log.recent(10)] == [InviteOutcome.PLEX_UNCONFIRMED]
    assert [s["username"] for s in simulator.state()["shares"]] == ["dave_p"], "plex.tv did create it"

    simulator.clear_faults()
    again = service.submit(InviteSubmission("dave_p", None, ""))
    assert again.outcome.succeeded and not again.replayed, "sending the form again finds the access"
    assert len(simulator.state()["shares"]) == 1


def test_a_failure_the_share_list_disproves_still_says_no_invite_was_sent(simulator, container, gateway):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, 502, method="POST", times=0)  # refused, never carried out
    result = make_service(container, budget=0.3).submit(InviteSubmission("dave_p", None, ""))
    assert result.outcome is InviteOutcome.PLEX_UNAVAILABLE
    assert "no invite was sent" in result.message
    assert simulator.state()["shares"] == []


@pytest.mark.parametrize(("status", "retry_after"), [(429, "0"), (503, None), (520, None)])
def test_transient_faults_are_retried(simulator, container, gateway, status, retry_after):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, status, times=2, retry_after=retry_after)
    result = make_service(container).submit(InviteSubmission("alice", None, ""))
    assert result.outcome is InviteOutcome.INVITED
    assert len(simulator.state()["shares"]) == 1


def test_retries_stop_at_the_budget_and_the_failure_is_logged(simulator, container, gateway, stores):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, 503, times=0)
    service = make_service(container, budget=1.0)
    result = service.submit(InviteSubmission("alice", None, ""))
    assert result.outcome is InviteOutcome.PLEX_UNAVAILABLE
    assert posts(simulator) >= 2
    assert [e.outcome for e in stores.log.recent(10)] == [InviteOutcome.PLEX_UNAVAILABLE]
    simulator.clear_faults()
    assert service.submit(InviteSubmission("alice", None, "")).outcome is InviteOutcome.INVITED, "a failure is not replayed"


def test_retry_after_beyond_the_budget_gives_up_at_once(simulator, container, gateway):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, 429, times=0, retry_after="120")
    result = make_service(container, budget=2.0).submit(InviteSubmission("alice", None, ""))
    assert result.outcome is InviteOutcome.PLEX_RATE_LIMITED
    assert result.retry_after == 120
    assert posts(simulator) == 1


def test_invalid_token_opens_the_breaker_and_a_rotated_token_closes_it(simulator, app_env, container, stores):
    app_env["PLEX_TOKEN"] = "revoked-token"
    service = make_service(container)
    assert service.submit(InviteSubmission("alice", None, "")).outcome is InviteOutcome.INVALID_OWNER_TOKEN
    simulator.reset_counts()
    paused = service.submit(InviteSubmission("bob", None, ""))
    assert paused.outcome is InviteOutcome.INVALID_OWNER_TOKEN
    assert "paused" in paused.message and "owner" in paused.message
    assert simulator.plex_tv_requests() == 0, "plex.tv is not asked again while the breaker is open"
    assert [e.outcome for e in stores.log.recent(10)] == [InviteOutcome.INVALID_OWNER_TOKEN] * 2
    app_env["PLEX_TOKEN"] = DEMO_OWNER_TOKEN
    assert service.submit(InviteSubmission("carol", None, "")).outcome is InviteOutcome.INVITED


def test_rate_limits_per_ip_and_per_identifier(simulator, container, stores):
    service = make_service(container, limits=RateLimitSettings(3, 0, 0, 0, 2))
    for name in ("alice", "bob", "carol"):
        service.submit(InviteSubmission(name, None, "203.0.113.1"))
    with pytest.raises(RateLimited) as caught:
        service.submit(InviteSubmission("dave_p", None, "203.0.113.1"))
    assert 0 < caught.value.retry_after <= 60
    # Each address has its own allowance; one identifier gets 2 attempts a day from anywhere.
    assert service.submit(InviteSubmission("ghost_x", None, "203.0.113.2")).outcome is InviteOutcome.USER_NOT_FOUND
    assert service.submit(InviteSubmission("ghost_x", None, "203.0.113.3")).replayed, "a repeat gets the first answer"
    with pytest.raises(RateLimited):
        service.submit(InviteSubmission("ghost_x", None, "203.0.113.4"))
    assert len(stores.log.recent(20)) == 4, "refused and repeated submissions add no rows"


@pytest.fixture
def flaky_storage(backing_services):
    azurite = backing_services.azurite_connection_string.split("TableEndpoint=")[1].split("/devstoreaccount1")[0]
    proxy = FaultProxy(azurite).start()
    connection = backing_services.azurite_connection_string.replace(azurite, proxy.url)
    service = TableServiceClient.from_connection_string(connection, retry_total=0)
    tables = Tables(service, f"{backing_services.run_prefix}flaky{uuid.uuid4().hex[:6]}")
    tables.ensure()
    yield proxy, tables
    proxy.clear()
    tables.delete_all()
    proxy.stop()


def test_a_write_whose_answer_was_lost_is_retried_into_exactly_one_row(simulator, container, flaky_storage):
    proxy, tables = flaky_storage
    log = InviteLog(lambda: tables.client(INVITE_LOG))
    proxy.fail("POST", rf"/{tables.name(INVITE_LOG)}", times=1, forward_first=True)
    result = make_service(container, invite_log=log).submit(InviteSubmission("alice", None, ""))
    assert result.outcome is InviteOutcome.INVITED
    assert len(log.recent(10)) == 1


def test_log_entries_survive_a_storage_outage_through_the_outbox(simulator, container, flaky_storage):
    proxy, tables = flaky_storage
    log = InviteLog(lambda: tables.client(INVITE_LOG))
    service = make_service(container, invite_log=log)
    proxy.fail("POST", rf"/{tables.name(INVITE_LOG)}", times=0)
    result = service.submit(InviteSubmission("alice", None, ""))
    assert result.outcome is InviteOutcome.INVITED, "the guest gets the truth"
    assert service.pending_log_entries == 1
    proxy.clear()
    service.submit(InviteSubmission("bob", None, ""))
    assert service.pending_log_entries == 0
    assert sorted(e.identifier_normalized for e in log.recent(10)) == ["alice", "bob"]


def test_more_concurrent_submissions_than_pool_threads_all_finish(simulator, container, gateway, stores):
    # The shared pool has 4 threads; each submission runs several storage writes side by side on it.
    service = make_service(container)
    gateway.libraries()
    with ThreadPoolExecutor(24) as clients:
        results = list(clients.map(lambda i: service.submit(InviteSubmission(f"guest{i}@example.com", None, "")), range(24)))
    assert [r.outcome for r in results] == [InviteOutcome.INVITED] * 24
    assert len(simulator.state()["shares"]) == 24
    assert len(stores.log.recent(50)) == 24


def test_time_limited_access_that_cannot_be_recorded_is_withdrawn_not_left_in_place(simulator, container, flaky_storage):
    proxy, tables = flaky_storage
    links = container.invite_links
    link = links.create(tier_id="default", max_uses=1, expires_at=None, access_days=7, note="a week")
    grants = GrantStore(lambda: tables.client(ACCESS))
    proxy.fail("PUT", rf"/{tables.name(ACCESS)}", times=0)
    service = make_service(container, grants=grants)
    result = service.submit(InviteSubmission("alice", link.code, ""))
    assert result.outcome is InviteOutcome.NOT_RECORDED
    assert "nothing was shared" in result.message
    assert simulator.state()["shares"] == [], "a share nobody could end must not stay"
    assert links.get(link.code).uses == 0, "the invite's use is given back"
    proxy.clear()
    assert service.submit(InviteSubmission("alice", link.code, "")).outcome is InviteOutcome.INVITED
    assert grants.get("alice").expires_at is not None


def test_an_email_that_table_keys_cannot_hold_is_recorded_and_found(simulator, container):
    service = make_service(container)
    email = "a/b#c?d@example.com"
    assert service.submit(InviteSubmission(email, None, "")).outcome is InviteOutcome.INVITED
    grant = container.grants.get(email)
    assert grant is not None and grant.identifier == email
