"""Notification pieces in process: events, the sealed channel URLs, templates in the sandbox, the host's queue options."""

import pytest

from devtools.queue_listener import QueueOptions
from shared.notify.channel_box import ChannelBox, UnreadableChannel
from shared.notify.channels import masked
from shared.notify.events import SUBSCRIBABLE, Event, EventKind, UnsafeFact
from shared.notify.templates import DEFAULTS, MessageTemplate, TemplateRejected, check, render, sample_event

KEY = "k" * 40


def test_an_event_round_trips_and_refuses_facts_named_like_secrets_or_addresses():
    event = Event.create(EventKind.GUEST_INVITED, {"identifier": "alice", "libraries": "Movies"})
    assert Event.from_json(event.to_json()) == event
    for name in ("client_ip", "plex_token", "password", "channel_url", "session"):
        with pytest.raises(UnsafeFact):
            Event.create(EventKind.GUEST_INVITED, {name: "x"})


def test_channel_urls_are_sealed_with_their_own_key_and_shown_masked():
    box = ChannelBox(lambda: KEY)
    url = "discord://1234567890/very-secret-webhook-token"
    sealed = box.seal(url)
    assert "secret" not in sealed and box.open(sealed) == url
    with pytest.raises(UnreadableChannel):
        ChannelBox(lambda: "x" * 40).open(sealed)
    assert "very-secret-webhook-token" not in masked(url)
    assert "hunter2" not in masked("mailtos://owner:hunter2@example.com")


def test_every_default_template_renders_short_enough_for_chat():
    for kind in EventKind:
        message = render(DEFAULTS[kind], sample_event(kind), "My Server")
        assert message.title and len(message.title) <= 120, kind
        assert message.body and len(message.body) <= 500, kind
    assert set(SUBSCRIBABLE) | {EventKind.TEST} == set(DEFAULTS)


def test_templates_run_in_a_sandbox():
    with pytest.raises(TemplateRejected):
        check(MessageTemplate("{{ event.__class__.__mro__ }}", ""), EventKind.GUEST_INVITED)
    with pytest.raises(TemplateRejected):
        check(MessageTemplate("{{ ''.__class__.__subclasses__() }}", ""), EventKind.GUEST_INVITED)
    with pytest.raises(TemplateRejected):
        check(MessageTemplate("{% for %}", ""), EventKind.GUEST_INVITED)
    check(MessageTemplate("New guest: {{ identifier | upper }}", "{{ libraries }}"), EventKind.GUEST_INVITED)


def test_queue_options_follow_host_json_and_its_app_setting_overrides():
    assert QueueOptions.from_host_json({}, {}) == QueueOptions(16, 8, 60.0, 0.0, 5)
    host = {"extensions": {"queues": {"batchSize": 40, "visibilityTimeout": "00:20:00", "maxPollingInterval": "00:00:02"}}}
    options = QueueOptions.from_host_json(host, {"AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "3"})
    assert options == QueueOptions(32, 16, 2.0, 1200.0, 3)
