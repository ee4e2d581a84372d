"""What a stranger can and cannot do to the admin: guess bursts, lock-outs, stolen sessions, timing."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import requests
from werkzeug.security import generate_password_hash

from shared.admin.auth import AuthError, AuthFailure, LoginAttempt
from shared.admin.sessions import SessionStore
from shared.storage.tables import ADMIN
from tests.support.admin_client import COOKIE, Admin
from tests.support.constants import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.support.containers import make_container
from tests.support.stacks import host_pair

ORIGIN = "http://portal.test"
DEVICE_COOKIE = "__Host-helpr-device"
SIGNING_KEY = "s" * 64


def make_auth(app_env, tables, password_hash):
    """The container's admin sign-in over this test's tables; its secrets are read from app_env on every use."""
    app_env.update(
        SITE_ORIGIN=ORIGIN,
        ADMIN_USERNAME=ADMIN_USERNAME,
        ADMIN_PASSWORD_HASH=password_hash,
        SESSION_SIGNING_KEY=SIGNING_KEY,
        DATA_ENCRYPTION_KEY="e" * 64,
    )
    return make_container(app_env, tables=tables).admin_auth


def test_a_changed_password_hash_ends_every_session(app_env, tables):
    auth = make_auth(app_env, tables, generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:1000"))
    signed_in = auth.login(LoginAttempt(ADMIN_USERNAME, ADMIN_PASSWORD), ORIGIN)
    assert auth.authenticate(signed_in.session_token).username == ADMIN_USERNAME
    app_env["ADMIN_PASSWORD_HASH"] = generate_password_hash("a brand new password", method="pbkdf2:sha256:1000")
    with pytest.raises(AuthError) as ended:
        auth.authenticate(signed_in.session_token)
    assert ended.value.failure is AuthFailure.NOT_AUTHENTICATED


def test_a_session_nobody_uses_for_an_hour_ends(tables):
    now = [datetime(2026, 11, 30, 9, tzinfo=UTC)]
    store = SessionStore(lambda: tables.client(ADMIN), lambda: SIGNING_KEY, idle_timeout=timedelta(minutes=60), clock=lambda: now[0])
    _, token = store.create(ADMIN_USERNAME)
    now[0] += timedelta(minutes=45)
    assert store.resolve(token) is not None, "used within the hour: still signed in, and the use is noted"
    now[0] += timedelta(minutes=45)
    assert store.resolve(token) is not None
    now[0] += timedelta(minutes=61)
    assert store.resolve(token) is None


def test_a_wrong_username_costs_what_the_stored_hash_costs(app_env, tables):
    # With a cheap stored hash a wrong name must be as cheap as a wrong password: a fixed expensive decoy
    # (scrypt, ~100 ms) would tell names apart. Both attempts make the same storage calls.
    auth = make_auth(app_env, tables, generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:1"))

    def seconds(username: str, address: str) -> float:
        started = time.perf_counter()
        with pytest.raises(AuthError):
            auth.login(LoginAttempt(username, "wrong password", client_ip=address), ORIGIN)
        return time.perf_counter() - started

    wrong_name = sorted(seconds("not-the-admin", f"203.0.113.{n}") for n in range(1, 4))[1]
    wrong_password = sorted(seconds(ADMIN_USERNAME, f"203.0.113.{n}") for n in range(11, 14))[1]
    assert wrong_name < wrong_password + 0.04, (wrong_name, wrong_password)


@pytest.fixture
def admin_hosts(backing_services, table_service, tmp_path):
    """Two functions hosts with sign-in configured, called directly; each request's own X-Forwarded-For
    entry stands in for the client address the SWA front end would append."""
    settings = {
        "SITE_ORIGIN": ORIGIN,
        "ADMIN_USERNAME": ADMIN_USERNAME,
        "ADMIN_PASSWORD_HASH": generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:20000"),
        "SESSION_SIGNING_KEY": SIGNING_KEY,
        "TRUSTED_PROXY_HOPS": "2",
    }
    with host_pair(backing_services, table_service, tmp_path, **settings) as (urls, tables):
        yield urls, tables


def login(url, password, address, cookies=""):
    return requests.post(
        f"{url}/api/manage/login",
        data=json.dumps({"username": ADMIN_USERNAME, "password": password}),
        headers={"Content-Type": "application/json", "Origin": ORIGIN, "X-Forwarded-For": address, "Cookie": cookies},
        timeout=60,
    )


def test_sixty_concurrent_wrong_passwords_get_at_most_five_checks_and_no_500(admin_hosts):
    urls, _ = admin_hosts
    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(lambda n: login(urls[n % 2], f"guess-{n}", "198.51.100.66").status_code, range(60)))
    assert 500 not in statuses
    assert statuses.count(401) <= 5, "each checked password is a 401; the rest were refused unchecked"
    assert statuses.count(429) == 60 - statuses.count(401)
    # The attacker's own address stays locked, even with the right password.
    assert login(urls[0], ADMIN_PASSWORD, "198.51.100.66").status_code == 429
    # The real admin, elsewhere, signs in.
    assert login(urls[1], ADMIN_PASSWORD, "203.0.113.5").status_code == 200


def device_cookie_of(response):
    for header in response.raw.headers.getlist("Set-Cookie"):
        if header.startswith(DEVICE_COOKIE + "="):
            return header.split(";", 1)[0]
    return ""


def test_strangers_everywhere_slow_new_browsers_down_but_never_lock_out_a_browser_that_signed_in_before(admin_hosts):
    urls, _ = admin_hosts
    known = login(urls[0], ADMIN_PASSWORD, "203.0.113.5")
    device = device_cookie_of(known)
    assert device, "signing in marks the browser"
    # Thirty-five addresses, five guesses each: the username's own counter reaches its slowdown.
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda n: login(urls[n % 2], "wrong", f"198.51.100.{n // 5 + 1}"), range(175)))
    fresh = login(urls[1], ADMIN_PASSWORD, "192.0.2.44")
    assert fresh.status_code == 429, "a browser never seen before is slowed down"
    assert int(fresh.headers["Retry-After"]) <= 60, "a slowdown, not an hour-long lock"
    assert login(urls[1], ADMIN_PASSWORD, "192.0.2.44", cookies=device).status_code == 200


def test_a_device_cookie_from_another_username_or_forged_is_ignored(admin_hosts):
    urls, _ = admin_hosts
    forged = f"{DEVICE_COOKIE}=abc.def"
    for _ in range(5):
        login(urls[0], "wrong", "198.51.100.9", cookies=forged)
    assert login(urls[0], ADMIN_PASSWORD, "198.51.100.9", cookies=forged).status_code == 429


def test_a_new_authenticator_needs_a_current_code_and_ends_other_sessions(admin, app):
    setup = admin.call("POST", "manage/totp/setup", {}).json()
    first = pyotp.TOTP(setup["secret"])
    recovery = admin.call("POST", "manage/totp/confirm", {"code": first.now()}).json()["recoveryCodes"]
    assert admin.call("GET", "manage/session").status_code == 200, "the session that turned it on stays signed in"

    other = Admin(app)
    assert other.login(recoveryCode=recovery[0]).status_code == 200
    stolen = admin.call("POST", "manage/totp/setup", {})
    assert stolen.status_code == 400 and stolen.json()["error"]["field"] == "code", "a session alone can't swap the factor"
    swap = admin.call("POST", "manage/totp/setup", {"code": recovery[1]})
    assert swap.status_code == 200
    second = pyotp.TOTP(swap.json()["secret"])
    assert admin.call("POST", "manage/totp/confirm", {"code": second.now()}).status_code == 200
    assert other.call("GET", "manage/session").status_code == 401, "other sessions end"
    assert admin.call("GET", "manage/session").status_code == 200


def test_sign_out_everywhere_ends_every_session(admin, app):
    other = Admin(app)
    assert other.login().status_code == 200
    response = admin.call("POST", "manage/sign-out-everywhere", {})
    assert response.status_code == 200
    assert COOKIE + "=;" in response.headers["Set-Cookie"]
    assert admin.call("GET", "manage/session").status_code == 401
    assert other.call("GET", "manage/session").status_code == 401
    assert Admin(app).login().status_code == 200, "signing in again works"


def test_the_totp_secret_and_recovery_codes_are_unreadable_in_storage(admin, app):
    import hashlib

    from shared.admin import totp

    secret = admin.call("POST", "manage/totp/setup", {}).json()["secret"]
    codes = admin.call("POST", "manage/totp/confirm", {"code": pyotp.TOTP(secret).now()}).json()["recoveryCodes"]
    account = next(e for e in app.tables.client(ADMIN).list_entities() if e["PartitionKey"] == "account")
    assert account["TotpSecret"].startswith("v1:") and secret not in account["TotpSecret"]
    stored = json.loads(account["RecoveryCodeHashes"])
    plain = {hashlib.sha256(totp.normalize_recovery_code(c).encode()).hexdigest() for c in codes}
    assert len(stored) == 10 and not set(stored) & plain, "a copy of the table can't be checked against guesses offline"
    assert Admin(app).login(recoveryCode=codes[3]).status_code == 200


def test_a_second_factor_stored_before_encryption_still_works_once(tables, app_env):
    import hashlib

    from shared.admin import totp

    table = tables.client(ADMIN)
    secret, code = pyotp.random_base32(), "abcde-fghij"
    table.upsert_entity(
        {
            "PartitionKey": "account",
            "RowKey": ADMIN_USERNAME,
            "TotpEnabled": True,
            "TotpSecret": secret,  # plain text, as written before
            "TotpPendingSecret": "",
            "TotpLastStep": -1,
            "RecoveryCodeHashes": json.dumps([hashlib.sha256(totp.normalize_recovery_code(code).encode()).hexdigest()]),
        }
    )
    auth = make_auth(app_env, tables, generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:1000"))
    assert auth.login(LoginAttempt(ADMIN_USERNAME, ADMIN_PASSWORD, totp_code=pyotp.TOTP(secret).now()), ORIGIN).session
    assert auth.login(LoginAttempt(ADMIN_USERNAME, ADMIN_PASSWORD, recovery_code=code), ORIGIN).session
    with pytest.raises(AuthError):
        auth.login(LoginAttempt(ADMIN_USERNAME, ADMIN_PASSWORD, recovery_code=code), ORIGIN)
    assert table.get_entity("account", ADMIN_USERNAME)["TotpSecret"].startswith("v1:"), "re-saved encrypted"
