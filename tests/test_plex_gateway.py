"""The gateway with unmodified plexapi, over real HTTP to the Plex simulator."""

import logging
import time
import xml.etree.ElementTree as ET

import pytest
from plexapi.myplex import MyPlexAccount

from devtools.plex_simulator import DEMO_MACHINE_ID, DEMO_OWNER_TOKEN
from shared.plex.errors import PlexError, PlexErrorKind
from shared.plex.gateway import PlexShare, SharingPermissions, parse_shares
from shared.plex.transport import LastResponseRecorder, build_plex_session
from tests.support.constants import TEST_CLIENT_IDENTIFIER
from tests.support.containers import make_gateway

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


@pytest.mark.integration  # connects to a closed local port
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


# -- the owner's share lists (plex.tv answers them in XML unless asked for JSON) ------------------------


def test_list_shares_finds_pending_then_accepted_shares(simulator, gateway):
    gateway.invite("alice", [118181361])
    gateway.invite("someone.new@example.com", [])

    shares = {share.id: share for share in gateway.list_shares()}
    alice = gateway.find_share("alice")
    assert alice is not None and alice.pending
    assert alice == gateway.find_share(" Alice@Example.com ")
    assert alice.section_ids == (118181361,)
    newcomer = gateway.find_share("someone.new@example.com")
    assert newcomer is not None and newcomer.pending
    assert set(shares) == {alice.id, newcomer.id}

    simulator.accept_share(alice.id)
    accepted = gateway.find_share("alice@example.com")
    assert accepted is not None and not accepted.pending and accepted.id == alice.id
    assert gateway.share_exists("ALICE")
    assert not gateway.share_exists("bob")


def test_list_shares_asks_for_json_per_request_only(simulator, gateway):
    gateway.invite("bob", [])
    simulator.reset_counts()
    assert [share.names for share in gateway.list_shares()] == [frozenset({"bob", "bob@example.com"})]
    assert simulator.counts()["endpoints"] == {"GET /api/v2/shared_servers/owned/{pending|accepted}": 2}
    # The session plexapi parses XML with must stay without a JSON Accept header.
    assert "json" not in gateway._session.headers.get("Accept", "")


def test_share_lists_in_xml_parse_like_json(simulator, gateway):
    gateway.invite("alice", [118181361, 118181362])
    gateway.invite("carol", [])
    gateway.invite("someone.new@example.com", [118181363])
    simulator.accept_share(next(s["id"] for s in simulator.state()["shares"] if s["username"] == "carol"))
    session = build_plex_session(simulator.base_url, LastResponseRecorder())
    account = MyPlexAccount(token=DEMO_OWNER_TOKEN, session=session, timeout=5)
    for which, pending in (("pending", True), ("accepted", False)):
        url = f"https://clients.plex.tv/api/v2/shared_servers/owned/{which}"
        as_xml = account.query(url)  # no Accept: plex.tv's default, XML
        assert isinstance(as_xml, ET.Element)
        as_json = account.query(url, headers={"Accept": "application/json"})
        assert isinstance(as_json, list)
        from_xml = parse_shares(as_xml, DEMO_MACHINE_ID, pending=pending)
        assert from_xml == parse_shares(as_json, DEMO_MACHINE_ID, pending=pending)
        assert len(from_xml) == (2 if pending else 1)
    assert {s.names for s in parse_shares(account.query(url), DEMO_MACHINE_ID, pending=False)} == {
        frozenset({"carol", "carol@example.net"})
    }


def test_a_share_says_who_it_is_for_and_which_libraries_it_shares(simulator, gateway):
    simulator.seed_share(username="oldfriend", title="Old Friend", section_ids=[118181361, 118181364])
    simulator.seed_share(email="auntie@example.com", pending=True)
    friend, auntie = sorted(gateway.list_shares(), key=lambda share: share.pending)
    assert (friend.username, friend.email, friend.display_name) == ("oldfriend", "oldfriend@example.com", "Old Friend")
    assert friend.thumb.startswith("https://") and friend.library_titles == ("Movies", "Kids Movies")
    assert (auntie.username, auntie.display_name, auntie.pending) == ("", "auntie@example.com", True)


def test_share_lists_skip_other_servers_and_odd_entries():
    listing = [
        {"id": 7, "machineIdentifier": "other-server", "invitedEmail": "x@example.com"},
        {"id": 8, "machineIdentifier": DEMO_MACHINE_ID, "invited": {"username": "Zed"}, "librarySectionIds": [5, "6"]},
        {"machineIdentifier": DEMO_MACHINE_ID, "invitedEmail": "no-id@example.com"},
        "not an object",
    ]
    assert parse_shares(listing, DEMO_MACHINE_ID, pending=False) == [
        PlexShare(id=8, names=frozenset({"zed"}), pending=False, section_ids=(5, 6), username="Zed")
    ]
    xml = ET.fromstring(
        '<sharedServers size="2">'
        '<sharedServer id="9" machineIdentifier="other" invitedEmail="o@example.com"/>'
        f'<sharedServer id="10" machineIdentifier="{DEMO_MACHINE_ID}" invitedEmail="p@example.com">'
        '<invited id="77" username="Pat" email="p@example.com"><sharingSettings allowSync="0"/></invited>'
        '<libraries><library id="11" key="1" title="Movies"/></libraries></sharedServer></sharedServers>'
    )
    assert parse_shares(xml, DEMO_MACHINE_ID, pending=True) == [
        PlexShare(
            id=10,
            names=frozenset({"pat", "p@example.com"}),
            pending=True,
            section_ids=(11,),
            username="Pat",
            email="p@example.com",
            library_titles=("Movies",),
        )
    ]
    assert parse_shares(None, DEMO_MACHINE_ID, pending=True) == []


def test_update_and_remove_share(simulator, gateway):
    gateway.invite("dave_p", [118181361])
    share = gateway.find_share("dave_p")
    assert share is not None
    titles = gateway.update_share(share.id, [118181362, 118181364], SharingPermissions(allow_sync=True))
    assert titles == ("TV Shows", "Kids Movies")
    (stored,) = simulator.state()["shares"]
    assert (sorted(stored["section_ids"]), stored["allow_sync"]) == ([118181362, 118181364], True)
    updated = gateway.find_share("dave@example.org")
    assert updated is not None and updated.section_ids == (118181362, 118181364)
    gateway.remove_share(share.id)
    assert simulator.state()["shares"] == []
    assert gateway.find_share("dave_p") is None
