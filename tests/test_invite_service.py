"""A submission end to end in-process: validation, invite code, Plex simulator over HTTP, Azurite."""

from datetime import UTC, datetime

import pytest

from shared.config.runtime_settings import LibrarySelection
from shared.invites.log import InviteLog, InviteOutcome
from shared.invites.service import InviteSubmission
from shared.invites.validation import InvalidInput
from tests.support.containers import make_service

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def test_successful_invite_writes_one_complete_log_entry(simulator, container, stores):
    invite_log, counters, runtime, _ = stores
    runtime.set_library_selection(LibrarySelection((118181362,), ("TV Shows",)))
    result = make_service(container).submit(InviteSubmission("  Alice ", None, "203.0.113.7"))
    assert result.outcome is InviteOutcome.INVITED
    assert result.libraries == ("TV Shows",)
    (entry,) = invite_log.recent(10)
    assert entry.identifier_submitted == "  Alice "
    assert entry.identifier_normalized == "alice"
    assert entry.outcome is InviteOutcome.INVITED
    assert entry.created_at == NOW
    assert entry.libraries == ("TV Shows",)
    assert entry.client_ip_hash and "203.0.113.7" not in entry.client_ip_hash
    assert counters.totals().sent == 1
    assert simulator.state()["shares"][0]["section_ids"] == [118181362]


def test_same_ip_hashes_the_same_and_different_ips_differ(container, stores):
    service = make_service(container)
    for who, ip in (("alice", "198.51.100.1"), ("bob", "198.51.100.1"), ("carol", "198.51.100.2")):
        service.submit(InviteSubmission(who, None, ip))
    hashes = {e.identifier_normalized: e.client_ip_hash for e in stores.log.recent(10)}
    assert hashes["alice"] == hashes["bob"] != hashes["carol"]


def test_invalid_input_writes_nothing_and_never_reaches_plex(simulator, container, stores):
    service = make_service(container)
    with pytest.raises(InvalidInput):
        service.submit(InviteSubmission("not a user!", None, "198.51.100.1"))
    assert simulator.plex_tv_requests() == 0
    assert stores.log.recent(10) == []
    assert stores.counters.totals().by_outcome == {}


@pytest.mark.parametrize(("code", "error_code"), [(None, "invite_code_required"), ("guess", "invalid_invite_code")])
def test_wrong_or_missing_code_is_refused_logged_and_not_sent(simulator, app_env, container, stores, code, error_code):
    app_env["INVITE_CODE"] = "s3cret-code"
    result = make_service(container).submit(InviteSubmission("alice", code, "198.51.100.1"))
    assert result.outcome is InviteOutcome.CODE_REJECTED
    assert result.error_code == error_code
    assert result.field == "inviteCode"
    assert simulator.plex_tv_requests() == 0
    (entry,) = stores.log.recent(10)
    assert entry.outcome is InviteOutcome.CODE_REJECTED
    assert entry.invite_code == ""


def test_the_global_code_admits_and_is_recorded_by_name_never_as_the_secret(simulator, app_env, container, stores):
    app_env["INVITE_CODE"] = "s3cret-code"
    result = make_service(container).submit(InviteSubmission("alice", " s3cret-code ", ""))
    assert result.outcome is InviteOutcome.INVITED
    # A read-only API key sees the log and the Users list: the code must not be readable there.
    assert stores.log.recent(1)[0].invite_code == "(global code)"
    assert container.grants.get("alice").invite_code == "(global code)"


def test_plex_failure_is_logged_with_its_reason(simulator, container, stores):
    result = make_service(container).submit(InviteSubmission("ghost_user", None, ""))
    assert result.outcome is InviteOutcome.USER_NOT_FOUND
    assert "verify your email" in result.message
    (entry,) = stores.log.recent(10)
    assert entry.outcome is InviteOutcome.USER_NOT_FOUND
    assert "ghost_user" in entry.error_message
    assert stores.counters.totals().failed == 1


def test_already_shared_counts_as_success(simulator, container, stores):
    service = make_service(container)
    service.submit(InviteSubmission("bob", None, ""))
    result = service.submit(InviteSubmission("bob@example.com", None, ""))
    assert result.outcome is InviteOutcome.ALREADY_SHARED
    assert stores.counters.totals().by_outcome == {"invited": 1, "already_shared": 1}


def test_guest_gets_the_truth_when_the_log_write_fails_after_plex_acted(simulator, container):
    from azure.data.tables import TableClient

    from devtools.stack import azurite_connection_string, free_port

    unreachable = InviteLog(lambda: TableClient.from_connection_string(azurite_connection_string(free_port()), "gone", retry_total=0))
    service = make_service(container, invite_log=unreachable)
    result = service.submit(InviteSubmission("alice", None, ""))
    assert result.outcome is InviteOutcome.INVITED
    assert [s["username"] for s in simulator.state()["shares"]] == ["alice"]
