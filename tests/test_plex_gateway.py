"""The gateway with unmodified plexapi, over real HTTP to the Plex simulator."""

import logging
import time

import pytest

from devtools.plex_simulator import DEMO_OWNER_TOKEN
from shared.plex_errors import PlexError, PlexErrorKind
from tests.conftest import TEST_CLIENT_IDENTIFIER, make_gateway

SHARE_POST = "/api/servers/*/shared_servers"
SHARE_ENDPOINT = "POST /api/servers/{machineId}/shared_servers"


def test_cold_invite_costs_four_plex_tv_requests_and_warm_invite_exactly_one(simulator, gateway):
    gateway.invite("alice", [])
    cold = simulator.counts()
    assert cold["plexTv"] == 4
    assert cold["pms"] == 0, "inviting must never connect to the Plex Media Server"

    simulator.reset_counts()
    gateway.invite("bob@example.com", [])
    warm = simulator.counts()
    assert warm["plexTv"] == 1
    assert warm["endpoints"] == {SHARE_ENDPOINT: 1}


def test_invite_creates_the_share_with_the_chosen_libraries(simulator, gateway):
    movies, tv = 118181361, 118181362
    result = gateway.invite("carol", [movies, tv])
    assert result.libraries == ("Movies", "TV Shows")
    assert not result.already_shared
    shares = simulator.state()["shares"]
    assert [(s["username"], sorted(s["section_ids"]), s["pending"]) for s in shares] == [("carol", [movies, tv], True)]


def test_empty_selection_shares_every_library(simulator, gateway):
    result = gateway.invite("someone.new@example.com", [])
    assert result.libraries == ("Movies", "TV Shows", "Music", "Kids Movies")
    assert simulator.state()["shares"][0]["invited_email"] == "someone.new@example.com"


def test_libraries_are_listed_from_plex_tv_and_cached(simulator, gateway):
    titles = [library.title for library in gateway.libraries()]
    assert titles == ["Movies", "TV Shows", "Music", "Kids Movies"]
    simulator.reset_counts()
    gateway.libraries()
    assert simulator.plex_tv_requests() == 0
    assert simulator.counts()["pms"] == 0


def test_pinned_client_identifier_is_sent(simulator, gateway):
    gateway.invite("alice", [])
    assert set(simulator.state()["clientIdentifiers"]) == {TEST_CLIENT_IDENTIFIER}


def test_reinviting_someone_with_access_is_a_success(simulator, gateway):
    gateway.invite("alice", [])
    again = gateway.invite("ALICE@example.com", [])
    assert again.already_shared
    assert len(simulator.state()["shares"]) == 1


def _failure(gateway, identifier="dave_p") -> PlexError:
    with pytest.raises(PlexError) as caught:
        gateway.invite(identifier, [])
    return caught.value


def test_unknown_username_and_unverified_account_are_user_errors(simulator, gateway):
    assert _failure(gateway, "no_such_user").kind is PlexErrorKind.USER_NOT_FOUND
    assert _failure(gateway, "newbie").kind is PlexErrorKind.USER_NOT_FOUND
    assert simulator.state()["shares"] == []


def test_bad_owner_token_is_reported_as_invalid_token(simulator):
    gateway = make_gateway(simulator, token="expired-token")
    error = _failure(gateway)
    assert error.kind is PlexErrorKind.INVALID_TOKEN
    assert gateway.state.token_valid is False


def test_token_revoked_while_warm_is_noticed(simulator, gateway):
    gateway.invite("alice", [])
    simulator.set_owner(token="rotated-elsewhere")
    assert _failure(gateway).kind is PlexErrorKind.INVALID_TOKEN
    assert gateway.state.token_valid is False
    assert gateway.state.last_error_kind == "invalid_token"


def test_share_limit(simulator, gateway):
    simulator.set_owner(shareLimit=1)
    gateway.invite("alice", [])
    assert _failure(gateway).kind is PlexErrorKind.SHARE_LIMIT


def test_rate_limit_carries_retry_after(simulator, gateway):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, 429, retry_after="17")
    error = _failure(gateway)
    assert error.kind is PlexErrorKind.RATE_LIMITED
    assert error.retry_after == 17.0


@pytest.mark.parametrize("status", [500, 502, 503, 520, 522])
def test_server_errors_including_unusual_statuses_are_unavailable(simulator, gateway, status):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, status)
    assert _failure(gateway).kind is PlexErrorKind.UNAVAILABLE
    assert simulator.state()["shares"] == []


def test_slow_reply_times_out_as_unavailable(simulator):
    gateway = make_gateway(simulator, timeout=0.5)
    gateway.libraries()
    simulator.add_fault(SHARE_POST, None, delay_seconds=1.5)
    started = time.monotonic()
    assert _failure(gateway).kind is PlexErrorKind.UNAVAILABLE
    assert time.monotonic() - started < 1.4


def test_unreachable_plex_tv_is_unavailable():
    from devtools.plex_simulator import SimulatorClient
    from devtools.stack import free_port

    gateway = make_gateway(SimulatorClient(f"http://127.0.0.1:{free_port()}"), timeout=1)
    assert _failure(gateway).kind is PlexErrorKind.UNAVAILABLE


def test_server_missing_from_account_is_unexpected_and_named(simulator):
    gateway = make_gateway(simulator, server_name="Not My Server")
    error = _failure(gateway)
    assert error.kind is PlexErrorKind.UNEXPECTED
    assert "Helpr Demo Server" in error.detail


def test_removed_endpoint_is_unexpected(simulator, gateway):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, 410)
    assert _failure(gateway).kind is PlexErrorKind.UNEXPECTED


def test_recovers_after_a_fault_without_reconnecting(simulator, gateway):
    gateway.libraries()
    simulator.add_fault(SHARE_POST, 503)
    _failure(gateway)
    simulator.reset_counts()
    gateway.invite("alice", [])
    assert simulator.plex_tv_requests() == 1


def test_token_never_reaches_the_logs(simulator, caplog):
    caplog.set_level(logging.DEBUG)
    gateway = make_gateway(simulator)
    gateway.invite("alice", [])
    simulator.add_fault(SHARE_POST, 520)
    _failure(gateway, "bob")
    assert DEMO_OWNER_TOKEN not in caplog.text
