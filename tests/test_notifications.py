"""Notifications end to end: events on Azurite's queue, the local host's queue trigger (with the real host's
retry rules), Apprise over real HTTP to a local webhook receiver and real SMTP to a local mail server."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableServiceClient

from devtools.plex_simulator import DEMO_OWNER_TOKEN
from devtools.stack import LocalStack, free_port
from shared.container import Container
from shared.invites.service import InviteSubmission
from shared.notify.events import SUBSCRIBABLE, Event, EventKind
from shared.storage.tables import Tables
from tests.support.admin_client import Admin
from tests.support.containers import make_container
from tests.support.receivers import MailReceiver, WebhookReceiver
from tests.support.stacks import Services, app_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

# Fast retries for the tests, set as the host's own configuration override of host.json.
RETRY_SETTINGS = {
    "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:01",
    "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:01",
    "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "5",
}


@dataclass
class NotifyStack:
    env: dict[str, str]
    functions_url: str
    container: Container
    tables: Tables
    log_dir: Path

    @property
    def site_url(self) -> str:  # the admin client calls the host directly, as its own origin
        return self.functions_url


@pytest.fixture(scope="module")
def notify_stack(backing_services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotifyStack]:
    """A functions host on its own Azurite queue service (no other host takes its messages) and fresh tables."""
    log_dir = tmp_path_factory.mktemp("logs-notify")
    stack = LocalStack(log_dir)
    queue_port, functions_port = free_port(), free_port()
    stack.start_azurite_queue(queue_port, name="azurite-queue-notify")
    connection = re.sub(r"QueueEndpoint=[^;]*;", "", backing_services.azurite_connection_string)
    connection += f"QueueEndpoint=http://127.0.0.1:{queue_port}/devstoreaccount1;"
    prefix = f"{backing_services.run_prefix}n{uuid.uuid4().hex[:4]}"
    env = {
        **app_settings(backing_services, prefix, functions_port),
        "SITE_ORIGIN": f"http://127.0.0.1:{functions_port}",
        "AzureWebJobsStorage": connection,
        "NOTIFY_BURST_SECONDS": "2",
        "SERVER_DISPLAY_NAME": "Test Server",
        **RETRY_SETTINGS,
    }
    tables = Tables(TableServiceClient.from_connection_string(connection), prefix)
    tables.ensure()
    try:
        stack.start_functions(functions_port, env, name="functions-notify")
        container = make_container(env, tables=tables)
        yield NotifyStack(env, f"http://127.0.0.1:{functions_port}", container, tables, log_dir)
    finally:
        stack.stop()
        tables.delete_all()


@pytest.fixture
def notify(notify_stack: NotifyStack) -> NotifyStack:
    """The stack with no channels, and both queues empty."""
    container = notify_stack.container
    for channel in container.channels.list():
        container.channels.delete(channel.id)
    for queue in (container.event_queue, container.poison_queue):
        # The host's queue listener may create it at the same moment.
        with contextlib.suppress(ResourceExistsError):
            queue.create_queue()
        queue.clear_messages()
    return notify_stack


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.up()
    yield receiver
    receiver.down()


@pytest.fixture
def mail() -> Iterator[MailReceiver]:
    receiver = MailReceiver()
    receiver.up()
    yield receiver
    receiver.down()


def _sample(kind: EventKind) -> Event:
    facts: dict[str, str | int | list[str]] = {
        "identifier": f"guest-{kind}",
        "reason": "expired",
        "invite_code": "CODE1234",
        "max_uses": 3,
        "minutes": 20,
        "succeeded": 2,
        "failed": 1,
        "plex": "working",
    }
    return Event.create(kind, facts)


def test_every_event_kind_reaches_a_webhook_and_a_mailbox_once(notify, webhook, mail):
    channels = notify.container.channels
    hook, key = channels.create("Webhook", webhook.url, list(SUBSCRIBABLE), sign=True)
    channels.create("Mail", mail.url, list(SUBSCRIBABLE))
    channels.create("Only invites", f"json://127.0.0.1:{webhook.port}/only-invites", ["guest_invited"])
    publisher = notify.container.notifications
    started = time.monotonic()
    for kind in SUBSCRIBABLE:
        if kind is EventKind.INVITE_FAILED:
            publisher.invite_failed("plex_unavailable", "plex.tv timed out")
            publisher.invite_failed("plex_unavailable", "plex.tv timed out")
            publisher.invite_failed("share_limit", "100 users")
        else:
            publisher.publish(_sample(kind))
    expected = len(SUBSCRIBABLE) + 1  # the invites-only channel gets the invite too
    assert wait_until(lambda: len(webhook.received) >= expected and len(mail.messages) >= len(SUBSCRIBABLE), timeout=40)
    elapsed = time.monotonic() - started
    time.sleep(2)  # nothing more arrives
    assert len(webhook.received) == expected
    assert len(mail.messages) == len(SUBSCRIBABLE)
    titles = webhook.titles()
    assert "Test Server: guest-guest_invited invited" in titles
    assert "Test Server: 3 invites failed" in titles
    failed = next(r for r in webhook.received if r.body["title"] == "Test Server: 3 invites failed")
    assert "plex_unavailable: plex.tv timed out ×2" in failed.body["message"]
    assert "Test Server: Plex token rejected, invites paused" in titles
    assert any(s.startswith("Test Server: access ended for guest-access_ended") for s in mail.subjects())
    # The signature verifies with the key handed out once, over the fields the receiver got.
    for received in webhook.received:
        if received.headers.get("X-Helpr-Signature"):
            signed = f"{received.headers['X-Helpr-Timestamp']}.{received.headers['X-Helpr-Event-Id']}."
            signed += f"{received.body['title']}\n{received.body['message']}"
            digest = hmac.new(key.encode(), signed.encode(), hashlib.sha256).hexdigest()
            assert received.headers["X-Helpr-Signature"] == f"sha256={digest}"
    assert sum(1 for r in webhook.received if r.headers.get("X-Helpr-Signature")) == len(SUBSCRIBABLE)
    assert channels.get(hook.id).last_result == "delivered"
    print(f"\n{expected + len(SUBSCRIBABLE)} messages delivered in {elapsed:.1f} s")


def test_a_receiver_down_for_a_while_gets_every_message_exactly_once(notify, webhook):
    notify.container.channels.create("Webhook", webhook.url, list(SUBSCRIBABLE))
    webhook.down()
    events = [Event.create(EventKind.GUEST_INVITED, {"identifier": f"guest{n}"}) for n in range(6)]
    for event in events:
        notify.container.notifications.publish(event)
    time.sleep(2.5)  # the host tries, fails and puts them back (visibilityTimeout 1 s) a few times
    assert webhook.received == []
    webhook.up()
    back = time.monotonic()
    assert wait_until(lambda: len(webhook.received) >= len(events), timeout=30)
    delay = time.monotonic() - back
    time.sleep(3)
    assert sorted(r.headers["X-Helpr-Event-Id"] for r in webhook.received) == sorted(e.id for e in events)
    assert notify.container.poison_queue.get_queue_properties().approximate_message_count == 0
    print(f"\n{len(events)} messages delivered once each, {delay:.1f} s after the receiver came back")


def test_a_channel_that_always_fails_ends_in_the_poison_queue_and_on_the_dashboard(notify, webhook):
    channels = notify.container.channels
    dead, _ = channels.create("Dead", f"json://127.0.0.1:{free_port()}/nobody", ["access_ended"])
    channels.create("Alive", webhook.url, ["access_ended"])
    event = Event.create(EventKind.ACCESS_ENDED, {"identifier": "eve", "reason": "expired"})
    notify.container.notifications.publish(event)
    poison = notify.container.poison_queue
    assert wait_until(lambda: poison.get_queue_properties().approximate_message_count == 1, timeout=40)
    # The working channel got it once, although the message was tried five times.
    assert [r.headers["X-Helpr-Event-Id"] for r in webhook.received] == [event.id]
    admin = Admin(notify)
    assert admin.login().status_code == 200
    answer = admin.call("GET", "manage/notifications").json()
    assert answer["queue"]["poison"] == 1
    shown = {c["name"]: c for c in answer["channels"]}
    assert shown["Dead"]["lastResult"].startswith("failed:")
    assert shown["Dead"]["failuresInARow"] == 5
    assert shown["Alive"]["lastResult"] == "delivered"
    assert shown["Dead"]["id"] == dead.id
    test = admin.call("POST", f"manage/notifications/channels/{shown['Alive']['id']}/test", {})
    assert test.status_code == 200 and test.json()["delivered"] is True


def test_messages_given_up_on_are_sent_again_from_the_dashboard_once_the_receiver_is_back(notify, webhook):
    notify.container.channels.create("Late", webhook.url, ["access_ended"])
    webhook.down()
    event = Event.create(EventKind.ACCESS_ENDED, {"identifier": "frank", "reason": "expired"})
    notify.container.notifications.publish(event)
    poison = notify.container.poison_queue
    assert wait_until(lambda: poison.get_queue_properties().approximate_message_count == 1, timeout=40)
    webhook.up()
    admin = Admin(notify)
    assert admin.login().status_code == 200
    answer = admin.call("POST", "manage/notifications/given-up/resend", {})
    assert answer.status_code == 200, answer.text
    assert answer.json()["resent"] == 1 and answer.json()["queue"]["poison"] == 0
    assert wait_until(lambda: len(webhook.received) >= 1, timeout=30)
    time.sleep(2)
    assert [r.headers["X-Helpr-Event-Id"] for r in webhook.received] == [event.id]
    assert admin.call("POST", "manage/notifications/given-up/resend", {}).json()["resent"] == 0


def test_a_revoked_owner_token_is_told_once_and_its_return_once(notify, webhook, backing_services):
    notify.container.channels.create("Owner", webhook.url, ["token_rejected", "token_working"])
    simulator = backing_services.simulator
    simulator.reset()
    container = make_container(notify.env, tables=notify.tables)
    try:
        simulator.set_owner(token="revoked-by-plex")
        for n in range(3):
            container.invite_service.submit(InviteSubmission(f"guest{n}@example.com", "open-sesame-2026", "203.0.113.9"))
        container.plex_status.current(force_check=True)
        container.plex_status.current(force_check=True)
        simulator.set_owner(token=DEMO_OWNER_TOKEN)
        container.plex_status.current(force_check=True)
        container.plex_status.current(force_check=True)
        assert wait_until(lambda: len(webhook.received) >= 2, timeout=30)
        time.sleep(3)
        # Once each; the queue, like Azure's, does not promise their order.
        assert sorted(webhook.titles()) == ["Test Server: Plex token rejected, invites paused", "Test Server: Plex token works again"]
    finally:
        simulator.reset()


def test_a_guests_request_for_more_time_reaches_the_owner_once(notify, webhook):
    container = notify.container
    container.channels.create("Webhook", webhook.url, ["more_time_requested"])
    link = container.invite_links.create(tier_id="default", max_uses=1, expires_at=None, access_days=14, note="trial")
    guest = {"identifier": f"guest{uuid.uuid4().hex[:8]}@example.com", "inviteCode": link.code}
    invited = requests.post(f"{notify.functions_url}/api/invites", json=guest, timeout=30)
    assert invited.status_code == 201, invited.text
    answers = [requests.post(f"{notify.functions_url}/api/guest/more-time", json=guest, timeout=30).status_code for _ in range(3)]
    assert answers == [201, 200, 200]
    assert wait_until(lambda: len(webhook.received) >= 1, timeout=30)
    time.sleep(2)  # pressing the button again announced nothing more
    assert webhook.titles() == [f"Test Server: {guest['identifier']} asks for more time"]
    assert "access ends" in webhook.received[0].body["message"]
