"""Limits across instances, and what never reaches the logs."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from devtools.plex_simulator import DEMO_OWNER_TOKEN
from shared.limits.rate_limits import subject_key
from shared.storage.tables import INVITE_LOG, RATE_LIMITS
from tests.support.constants import ADMIN_PASSWORD, ADMIN_USERNAME, HTTP_INVITE_CODE
from tests.support.stacks import host_pair
from tests.support.waiting import wait_until

BURST = 200
PER_MINUTE = 5


@pytest.fixture
def two_hosts(backing_services, table_service, tmp_path):
    with host_pair(
        backing_services,
        table_service,
        tmp_path,
        RATE_LIMIT_INVITES_PER_MINUTE=str(PER_MINUTE),
        RATE_LIMIT_INVITES_PER_HOUR="20",
        RATE_LIMIT_API_PER_HOUR="50",
        RATE_LIMIT_API_PER_DAY="200",
        # Each request's own X-Forwarded-For entry stands in for the SWA front end; the host appends its peer.
        TRUSTED_PROXY_HOPS="2",
    ) as pair:
        yield pair


def test_a_burst_from_one_ip_across_two_instances_gets_exactly_the_limit(two_hosts, simulator):
    urls, tables = two_hosts
    if time.time() % 60 > 45:  # fixed one-minute windows: keep the burst inside one
        time.sleep(61 - time.time() % 60)

    def submit(n):
        return requests.post(
            f"{urls[n % 2]}/api/invites",
            json={"identifier": f"burst{n}@example.com"},
            # A client's own X-Forwarded-For entry comes first; the platform appends the real address.
            headers={"X-Forwarded-For": f"10.0.0.{n % 250}, 203.0.113.50"},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(submit, range(BURST)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == PER_MINUTE
    assert statuses.count(429) == BURST - PER_MINUTE
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    accepted = sorted(r.json()["message"].split()[3].rstrip(".") for r in responses if r.status_code == 201)
    logged = sorted(e["IdentifierNormalized"] for e in tables.client(INVITE_LOG).list_entities())
    assert logged == accepted, "every accepted submission is in the log exactly once, and nothing else"
    assert len(simulator.state()["shares"]) == PER_MINUTE


@pytest.mark.parametrize(
    "spoof",
    [
        lambda n: {"X-Client-IP": f"198.51.100.{n}"},  # a header the client sets itself
        lambda n: {"X-Forwarded-For": f"not-an-address-{n}"},  # what the front end's entry can never be
        lambda n: {"X-Forwarded-For": f"[2001:db8:7:7::{n:x}]:{1000 + n}"},  # one IPv6 /64, rotating hosts and ports
    ],
)
def test_a_client_cannot_choose_its_rate_limit_identity(two_hosts, spoof):
    urls, _ = two_hosts
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    statuses = [
        requests.post(
            f"{urls[n % 2]}/api/invites", json={"identifier": "alice", "inviteCode": f"guess-{n}"}, headers=spoof(n), timeout=30
        ).status_code
        for n in range(12)
    ]
    assert statuses.count(403) == PER_MINUTE and statuses.count(429) == 12 - PER_MINUTE, statuses


def test_no_secret_reaches_the_logs(app):
    """Exercise sign-in, invites with a code, bad codes and a Plex failure, then scan the host's log."""
    session = requests.post(
        f"{app.site_url}/api/manage/login",
        json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
        headers={"Origin": app.site_url},
        timeout=30,
    )
    cookie = session.cookies.get("__Host-helpr-session") or session.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    requests.get(f"{app.site_url}/api/manage/dashboard", headers={"Cookie": f"__Host-helpr-session={cookie}"}, timeout=30)
    requests.post(
        f"{app.site_url}/api/manage/login",
        json={"username": ADMIN_USERNAME, "password": "wrong-" + ADMIN_PASSWORD},
        headers={"Origin": app.site_url},
        timeout=30,
    )
    for body in (
        {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE},
        {"identifier": "bob", "inviteCode": "guess-" + HTTP_INVITE_CODE},
        {"identifier": "nobody_by_this_name", "inviteCode": HTTP_INVITE_CODE},
    ):
        requests.post(f"{app.site_url}/api/invites", json=body, timeout=30)
    app.simulator.set_owner(token="rotated")
    requests.post(f"{app.site_url}/api/invites", json={"identifier": "carol", "inviteCode": HTTP_INVITE_CODE}, timeout=30)

    text = "\n".join(path.read_text(errors="replace") for path in app.log_dir.glob("*.log"))
    assert '"event": "request"' in text, "the scan read the structured request log"
    secrets = {
        "Plex token": DEMO_OWNER_TOKEN,
        "session cookie": cookie,
        "admin password": ADMIN_PASSWORD,
        "invite code": HTTP_INVITE_CODE,
        "session signing key": app.env["SESSION_SIGNING_KEY"],
        "password hash": app.env["ADMIN_PASSWORD_HASH"].split("$")[-1],
    }
    leaked = [name for name, value in secrets.items() if value in text]
    assert leaked == []


def test_each_response_carries_its_correlation_id_and_the_log_line_has_it(app):
    response = requests.post(f"{app.site_url}/api/invites", json={"identifier": "alice", "inviteCode": HTTP_INVITE_CODE}, timeout=30)
    correlation_id = response.headers["X-Correlation-Id"]
    assert len(correlation_id) >= 8

    def log_line():
        text = (app.log_dir / "functions.log").read_text(errors="replace")
        return next((line for line in text.splitlines() if correlation_id in line), "")

    line = wait_until(log_line, timeout=5)
    assert '"outcome": "invited"' in line and '"status": 201' in line and "durationMs" in line


@pytest.fixture
def coded_hosts(backing_services, table_service, tmp_path):
    with host_pair(
        backing_services,
        table_service,
        tmp_path,
        INVITE_CODE="right-code-2026",
        RATE_LIMIT_INVITES_PER_IDENTIFIER_PER_DAY="2",
        RATE_LIMIT_INVITES_PER_MINUTE="100",
        RATE_LIMIT_INVITES_PER_HOUR="100",
        TRUSTED_PROXY_HOPS="2",
    ) as pair:
        yield pair


def test_wrong_codes_for_someone_else_do_not_use_up_their_daily_attempts(coded_hosts, simulator):
    urls, tables = coded_hosts

    def submit(n, code, address):
        return requests.post(
            f"{urls[n % 2]}/api/invites",
            json={"identifier": "alice", "inviteCode": code},
            headers={"X-Forwarded-For": address},
            timeout=30,
        )

    refused = [submit(n, f"wrong-{n}", "198.51.100.23").status_code for n in range(10)]
    assert refused == [403] * 10, "a wrong code is refused, and counts nothing against alice"
    # Not even counted and given back: while a stranger's wrong codes are in flight, alice's own count is untouched.
    alice = subject_key("identifier", "alice")
    assert [e for e in tables.client(RATE_LIMITS).list_entities() if e["RowKey"].startswith(alice)] == []
    assert submit(0, "right-code-2026", "203.0.113.77").status_code == 201, "alice's own invite still works"
