"""The simulator against plexapi's own parsers: every simulated endpoint is fetched over real HTTP and read the way
plexapi 4.18 reads plex.tv, and the answer formats (XML by default, JSON on request for v2) and error bodies are
plex.tv's. If these fail, tests elsewhere are passing against a plex.tv that does not exist."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import requests
from plexapi import utils
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.myplex import MyPlexAccount, MyPlexResource, MyPlexUser, Section
from plexapi.server import PlexServer

from devtools.plex_simulator import DEMO_MACHINE_ID, DEMO_OWNER_TOKEN, DEMO_SERVER_NAME, DEMO_SERVER_TOKEN, SimulatorClient
from shared.plex.transport import LastResponseRecorder, build_plex_session

JSON_ACCEPT = {"Accept": "application/json"}
SHARED_SERVER = "https://clients.plex.tv/api/v2/shared_servers/{id}"
OWNED = "https://clients.plex.tv/api/v2/shared_servers/owned/{which}"


@pytest.fixture
def session(simulator: SimulatorClient) -> requests.Session:
    return build_plex_session(simulator.base_url, LastResponseRecorder())


@pytest.fixture
def account(session: requests.Session) -> MyPlexAccount:
    return MyPlexAccount(token=DEMO_OWNER_TOKEN, session=session, timeout=5)


def _raw(simulator: SimulatorClient, method: str, path: str, *, token: str = DEMO_OWNER_TOKEN, **headers: str) -> requests.Response:
    """A request as plain requests sends it (Accept: */*), with extra headers."""
    return requests.request(method, simulator.base_url + path, headers={"X-Plex-Token": token, **headers}, timeout=5)


def _invite(account: MyPlexAccount, user: str, sections: list[str] | None = None) -> ET.Element:
    return account.inviteFriend(user, DEMO_MACHINE_ID, sections=sections or ["Movies", "TV Shows"])


def _share_id(simulator: SimulatorClient, username: str) -> int:
    return next(s["id"] for s in simulator.state()["shares"] if s["username"] == username)


# -- each endpoint, read by plexapi ----------------------------------------------------------------------


def test_user_reads_as_my_plex_account(account):
    # GET /api/v2/user, as XML: MyPlexAccount._loadData needs scrobbleTypes, <subscription> and <profile>.
    assert (account.id, account.username, account.email, account.uuid) == (1, "demo-owner", "owner@example.com", "0wner0uuid0001")
    assert account.authToken == DEMO_OWNER_TOKEN
    assert account.subscriptionActive is True
    assert account.subscriptionPlan == "lifetime"
    assert account.home is False


def test_resources_read_as_my_plex_resources(account, simulator):
    resources = account.resources()
    assert all(isinstance(r, MyPlexResource) for r in resources)
    server = account.resource(DEMO_SERVER_NAME)
    assert server.clientIdentifier == DEMO_MACHINE_ID
    assert server.provides == "server"
    assert server.owned is True
    assert server.accessToken == DEMO_SERVER_TOKEN
    assert [c.uri for c in server.connections] == [simulator.base_url + "/pms"]
    assert account.resource(DEMO_MACHINE_ID).name == DEMO_SERVER_NAME
    player = next(r for r in resources if r.clientIdentifier == "tv-client-1")
    assert "server" not in player.provides.split(",")


def test_server_sections_map_names_and_keys_to_plex_tv_ids(account):
    # GET /api/servers/{mid}, read by plexapi's own section-id lookup (inviteFriend uses it).
    assert account._getSectionIds(DEMO_MACHINE_ID, ["Movies", "tv shows"]) == [118181361, 118181362]
    data = account.query(MyPlexAccount.PLEXSERVERS.format(machineId=DEMO_MACHINE_ID))
    assert data[0].attrib["machineIdentifier"] == DEMO_MACHINE_ID
    assert [(utils.cast(int, e.attrib["id"]), e.attrib["key"], e.attrib["title"]) for e in data[0]][:2] == [
        (118181361, "1", "Movies"),
        (118181362, "2", "TV Shows"),
    ]


def test_invite_answers_a_shared_server(account, simulator):
    # POST /api/servers/{mid}/shared_servers through plexapi's inviteFriend, answer read with plexapi's Section.
    data = _invite(account, "alice", ["Movies", "Music"])
    shared = data.find("SharedServer")
    assert shared is not None
    assert utils.cast(int, shared.attrib["id"]) == _share_id(simulator, "alice")
    assert (shared.attrib["username"], shared.attrib["email"], utils.cast(int, shared.attrib["userID"])) == (
        "alice",
        "alice@example.com",
        2001,
    )
    assert shared.attrib["acceptedAt"] == ""
    sections = account.findItems(data, Section, rtag="SharedServer")
    assert {s.title for s in sections if s.shared} == {"Movies", "Music"}
    assert {s.id for s in sections} == {118181361, 118181362, 118181363, 118181364}


def test_users_list_accepted_shares_only(account, simulator):
    _invite(account, "bob")
    assert account.users() == []  # the v1 list misses invitees who have not accepted
    simulator.accept_share(_share_id(simulator, "bob"))
    (user,) = account.users()
    assert isinstance(user, MyPlexUser)
    assert (user.id, user.username, user.email, user.allowSync) == (2002, "bob", "bob@example.com", False)
    (server,) = user.servers
    assert (server.machineIdentifier, server.numLibraries, server.pending, server.allLibraries) == (DEMO_MACHINE_ID, 2, False, False)
    assert account.user("bob@example.com").id == 2002


def test_remove_friend_deletes_the_sharing(account, simulator):
    # plexapi's removeFriend: GET /api/users/, then DELETE /api/v2/sharings/{userId}.
    _invite(account, "carol")
    simulator.accept_share(_share_id(simulator, "carol"))
    account.removeFriend("carol")
    assert simulator.state()["shares"] == []


def test_media_server_reads_as_plex_server(account):
    plex = account.resource(DEMO_SERVER_NAME).connect(timeout=5)
    assert isinstance(plex, PlexServer)
    assert (plex.friendlyName, plex.machineIdentifier, plex.myPlex) == (DEMO_SERVER_NAME, DEMO_MACHINE_ID, True)
    sections = plex.library.sections()
    assert [(s.key, s.type, s.title) for s in sections] == [
        (1, "movie", "Movies"),
        (2, "show", "TV Shows"),
        (3, "artist", "Music"),
        (4, "movie", "Kids Movies"),
    ]
    assert sections[0].locations == ["/data/movies"]


def test_owned_shares_in_both_formats(account, simulator):
    _invite(account, "alice", ["Movies"])
    _invite(account, "new.person@example.com", ["Movies"])
    simulator.accept_share(_share_id(simulator, "alice"))

    pending_xml = account.query(OWNED.format(which="pending"))
    assert pending_xml.tag == "sharedServers"
    (entry,) = pending_xml.findall("sharedServer")
    assert (entry.attrib["invitedEmail"], entry.attrib["machineIdentifier"], entry.attrib["acceptedAt"]) == (
        "new.person@example.com",
        DEMO_MACHINE_ID,
        "",
    )
    assert entry.find("invited").attrib["email"] == "new.person@example.com"
    assert utils.cast(bool, entry.attrib["accepted"]) is False

    (accepted,) = account.query(OWNED.format(which="accepted"), headers=JSON_ACCEPT)
    assert accepted["machineIdentifier"] == DEMO_MACHINE_ID
    assert accepted["invitedId"] == 2001
    assert accepted["invited"]["username"] == "alice"
    assert accepted["invitedEmail"] == "alice@example.com"
    assert accepted["accepted"] is True and isinstance(accepted["acceptedAt"], int)
    assert [(lib["id"], lib["title"]) for lib in accepted["libraries"]] == [(118181361, "Movies")]
    assert accepted["sharingSettings"]["allowSync"] is False


def test_update_shared_server_answers_the_share(account, simulator):
    _invite(account, "dave_p", ["Movies"])
    share_id = _share_id(simulator, "dave_p")
    body = {"settings": {"allowSync": True}, "librarySectionIds": [118181362, 118181363]}
    answer = account.query(SHARED_SERVER.format(id=share_id), account._session.post, json=body, headers=JSON_ACCEPT)
    assert answer["id"] == share_id
    assert [lib["id"] for lib in answer["libraries"]] == [118181362, 118181363]
    assert answer["sharingSettings"]["allowSync"] is True
    as_xml = account.query(SHARED_SERVER.format(id=share_id), account._session.post, json={})
    assert as_xml.tag == "sharedServer" and as_xml.attrib["id"] == str(share_id)


def test_delete_shared_server(account, simulator):
    _invite(account, "alice")
    share_id = _share_id(simulator, "alice")
    assert account.query(SHARED_SERVER.format(id=share_id), account._session.delete) is None  # 204, no body
    assert simulator.state()["shares"] == []
    with pytest.raises(NotFound):
        account.query(SHARED_SERVER.format(id=share_id), account._session.delete)


# -- format negotiation --------------------------------------------------------------------------------

V2_GETS = ["/api/v2/user", "/api/v2/resources", "/api/v2/shared_servers/owned/pending", "/api/v2/shared_servers/owned/accepted"]


@pytest.mark.parametrize("path", V2_GETS)
def test_v2_answers_xml_unless_json_is_asked_for(simulator, path):
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/xml"}):
        answer = _raw(simulator, "GET", path, **headers)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("application/xml")
        ET.fromstring(answer.content)
    answer = _raw(simulator, "GET", path, Accept="application/json")
    assert answer.headers["Content-Type"].startswith("application/json")
    assert isinstance(answer.json(), (dict, list))
    answer = _raw(simulator, "GET", path, Accept="text/html, application/json;q=0.9")
    assert answer.headers["Content-Type"].startswith("application/json")


def test_v2_share_update_negotiates_too(account, simulator):
    _invite(account, "alice")
    share_id = _share_id(simulator, "alice")
    path = f"/api/v2/shared_servers/{share_id}"
    assert _raw(simulator, "POST", path).headers["Content-Type"].startswith("application/xml")
    assert _raw(simulator, "POST", path, Accept="application/json").json()["id"] == share_id


@pytest.mark.parametrize("path", [f"/api/servers/{DEMO_MACHINE_ID}", "/api/users/"])
def test_v1_answers_xml_even_when_json_is_asked_for(simulator, path):
    answer = _raw(simulator, "GET", path, Accept="application/json")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/xml")
    assert ET.fromstring(answer.content).tag == "MediaContainer"


def test_the_invite_post_answers_xml_even_when_json_is_asked_for(account):
    url = MyPlexAccount.FRIENDINVITE.format(machineId=DEMO_MACHINE_ID)
    body = {"server_id": DEMO_MACHINE_ID, "shared_server": {"library_section_ids": [], "invited_email": "alice"}}
    data = account.query(url, account._session.post, json=body, headers=JSON_ACCEPT)
    assert isinstance(data, ET.Element) and data.find("SharedServer") is not None


# -- errors ---------------------------------------------------------------------------------------------


def test_bad_token_on_v2_is_plex_tvs_errors_body(simulator, session):
    xml_answer = _raw(simulator, "GET", "/api/v2/user", token="expired")
    assert xml_answer.status_code == 401
    root = ET.fromstring(xml_answer.content)
    assert root.tag == "errors"
    assert [e.attrib for e in root] == [{"code": "1001", "message": "User could not be authenticated"}]
    json_answer = _raw(simulator, "GET", "/api/v2/resources", token="expired", Accept="application/json")
    assert json_answer.status_code == 401
    assert json_answer.headers["Content-Type"].startswith("application/json")
    assert json_answer.json() == {"errors": [{"code": 1001, "message": "User could not be authenticated", "status": 401}]}
    with pytest.raises(Unauthorized):
        MyPlexAccount(token="expired", session=session, timeout=5)


def test_bad_token_on_v1_and_json_asking_v2_calls_raise_unauthorized(account, simulator):
    simulator.set_owner(token="rotated")
    with pytest.raises(Unauthorized):
        account.users()
    with pytest.raises(Unauthorized):
        account.query(OWNED.format(which="pending"), headers=JSON_ACCEPT)
    assert _raw(simulator, "GET", "/api/users/", token="rotated").headers["Content-Type"].startswith("application/xml")


def test_already_sharing_is_a_response_element_and_bad_request(account):
    _invite(account, "alice")
    with pytest.raises(BadRequest) as caught:
        _invite(account, "alice@example.com")
    assert not isinstance(caught.value, Unauthorized)
    assert str(caught.value).startswith("(400) bad_request;")
    body = str(caught.value).split(" ", 3)[3]
    response = ET.fromstring(body.split("?>", 1)[1].strip())
    assert response.tag == "Response" and response.attrib["code"] == "400"
    assert response.attrib["status"].startswith("You're already sharing this server with alice.")


def test_unknown_server_is_not_found(account):
    with pytest.raises(NotFound):
        account.query(MyPlexAccount.PLEXSERVERS.format(machineId="not-my-server"))
    with pytest.raises(NotFound):
        account.inviteFriend("alice", "not-my-server")


def test_removed_endpoints_are_gone(account, simulator):
    with pytest.raises(BadRequest, match=r"^\(410\) gone;.*This endpoint was deprecated and removed"):
        account.pendingInvites()
    answer = _raw(simulator, "GET", "/api/invites/requests")
    assert answer.status_code == 410
    assert ET.fromstring(answer.content).attrib == {"code": "410", "status": "This endpoint was deprecated and removed"}


def test_unknown_share_on_v2_is_not_found_in_either_format(account, simulator):
    xml_answer = _raw(simulator, "DELETE", "/api/v2/shared_servers/999")
    assert xml_answer.status_code == 404
    assert [e.attrib["code"] for e in ET.fromstring(xml_answer.content)] == ["1002"]
    json_answer = _raw(simulator, "POST", "/api/v2/shared_servers/999", Accept="application/json")
    assert json.loads(json_answer.content)["errors"][0] | {"message": ""} == {"code": 1002, "message": "", "status": 404}
    with pytest.raises(NotFound):
        account.query(SHARED_SERVER.format(id=999), account._session.post, json={}, headers=JSON_ACCEPT)


def test_media_server_rejects_a_wrong_token(simulator):
    with pytest.raises(Unauthorized):
        PlexServer(simulator.base_url + "/pms", token="wrong", timeout=5)
    assert PlexServer(simulator.base_url + "/pms", token=DEMO_SERVER_TOKEN, timeout=5).machineIdentifier == DEMO_MACHINE_ID
