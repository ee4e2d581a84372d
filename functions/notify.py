"""Notifications: the queue-triggered function that delivers events, and the admin endpoints for channels,
templates and delivery health (the dashboard shows them)."""

from __future__ import annotations

import contextlib
import json
import logging

import azure.functions as func
from azure.core.exceptions import AzureError, ResourceNotFoundError

from functions import inputs
from functions.admin_http import admin_only
from functions.http import api_endpoint, iso_utc, json_response, read_json_object
from shared.admin.sessions import AdminSession
from shared.container import get_container
from shared.errors import DomainError, ErrorKind
from shared.notify.channels import ChannelView
from shared.notify.delivery import ChannelsFailed
from shared.notify.events import DESCRIPTIONS, SUBSCRIBABLE, Event, EventKind
from shared.notify.given_up import resend_given_up
from shared.notify.publisher import POISON_QUEUE_NAME, QUEUE_NAME
from shared.notify.templates import DEFAULTS, MessageTemplate

bp = func.Blueprint()
log = logging.getLogger("helpr.notify")


# The host polls the queue, hides a message while this runs, and on an exception makes it visible again;
# after host.json extensions.queues.maxDequeueCount tries it moves it to helpr-events-poison.
@bp.queue_trigger(arg_name="message", queue_name=QUEUE_NAME, connection="AzureWebJobsStorage")
def deliver_event(message: func.QueueMessage) -> None:
    event = Event.from_json(message.get_body().decode("utf-8"))
    line: dict[str, object] = {"event": "notify", "id": event.id, "kind": str(event.kind), "try": message.dequeue_count}
    try:
        report = get_container().deliverer.deliver(event)
    except ChannelsFailed as failed:
        log.warning(json.dumps(line | {"failed": len(failed.failed)}))
        raise
    log.info(json.dumps(line | {"delivered": len(report.delivered), "skipped": len(report.skipped)}))


@bp.route(route="manage/notifications", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def list_notification_channels(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    container = get_container()
    store = container.channels
    templates = container.message_templates.all()
    return json_response(
        {
            "configured": container.settings.notifications_configured,
            "channels": [_channel(store.view(channel)) for channel in store.list()],
            "events": [{"kind": str(kind), "description": DESCRIPTIONS[kind]} for kind in SUBSCRIBABLE],
            "templates": {str(kind): {"title": t.title, "body": t.body, "edited": edited} for kind, (t, edited) in templates.items()},
            "queue": _queue_depths(),
        }
    )


@bp.route(route="manage/notifications/channels", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def create_notification_channel(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    store = get_container().channels
    channel, signing_key = store.create(body.get("name"), body.get("url"), body.get("events"), sign=inputs.flag(body, "sign"))
    answer = _channel(store.view(channel))
    if signing_key:
        answer["signingKey"] = signing_key  # shown once; stored sealed
    return json_response(answer, 201)


@bp.route(route="manage/notifications/channels/{channelId}", methods=["PUT"])
@api_endpoint
@admin_only(changes_state=True)
def update_notification_channel(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    store = get_container().channels
    channel = store.update(req.route_params.get("channelId", ""), name=body.get("name"), url=body.get("url"), events=body.get("events"))
    return json_response(_channel(store.view(channel)))


@bp.route(route="manage/notifications/channels/{channelId}", methods=["DELETE"])
@api_endpoint
@admin_only(changes_state=True)
def delete_notification_channel(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    get_container().channels.delete(req.route_params.get("channelId", ""))
    return json_response({"deleted": True})


@bp.route(route="manage/notifications/channels/{channelId}/test", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def test_notification_channel(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    container = get_container()
    error = container.deliverer.send_test(req.route_params.get("channelId", ""))
    channel = container.channels.get(req.route_params.get("channelId", ""))
    return json_response({"delivered": not error, "error": error, "channel": _channel(container.channels.view(channel))})


@bp.route(route="manage/notifications/given-up/resend", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def resend_given_up_notifications(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    container = get_container()
    if not container.settings.notifications_configured:
        raise DomainError("queue_not_configured", "No queue is configured, so there is nothing to send again.", kind=ErrorKind.CONFLICT)
    sent = resend_given_up(container.poison_queue, container.event_queue)
    return json_response({"resent": sent, "queue": _queue_depths()})


@bp.route(route="manage/notifications/templates/{kind}", methods=["PUT"])
@api_endpoint
@admin_only(changes_state=True)
def save_notification_template(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    kind = _kind(req.route_params.get("kind", ""))
    body = read_json_object(req)
    template = MessageTemplate(inputs.text(body, "title", required=True, max_length=4000), inputs.text(body, "body", max_length=4000))
    get_container().message_templates.save(kind, template)
    return json_response({"kind": str(kind), "title": template.title, "body": template.body, "edited": True})


@bp.route(route="manage/notifications/templates/{kind}", methods=["DELETE"])
@api_endpoint
@admin_only(changes_state=True)
def reset_notification_template(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    kind = _kind(req.route_params.get("kind", ""))
    with contextlib.suppress(ResourceNotFoundError):
        get_container().message_templates.reset(kind)
    default = DEFAULTS[kind]
    return json_response({"kind": str(kind), "title": default.title, "body": default.body, "edited": False})


def _kind(value: str) -> EventKind:
    try:
        return EventKind(value)
    except ValueError:
        raise DomainError("unknown_event", f"Unknown event {value[:40]!r}.", kind=ErrorKind.NOT_FOUND) from None


def _channel(view: ChannelView) -> dict[str, object]:
    channel = view.channel
    return {
        "id": channel.id,
        "name": channel.name,
        "url": view.masked_url,
        "events": list(channel.events),
        "signed": view.signed,
        "lastResult": channel.last_result,
        "lastEvent": channel.last_event,
        "lastAt": iso_utc(channel.last_at),
        "failuresInARow": channel.failures,
    }


def _queue_depths() -> dict[str, object]:
    """Messages waiting and messages given up on (the poison queue): approximate counts from the queue service."""
    container = get_container()
    if not container.settings.notifications_configured:
        return {"waiting": None, "poison": None, "error": "no queue endpoint configured"}
    counts: dict[str, object] = {}
    for name, queue in (("waiting", container.event_queue), ("poison", container.poison_queue)):
        try:
            counts[name] = queue.get_queue_properties().approximate_message_count
        except ResourceNotFoundError:
            counts[name] = 0
        except AzureError as exc:
            counts[name] = None
            counts["error"] = f"the queue service did not answer ({type(exc).__name__})"
    counts["poisonQueue"] = POISON_QUEUE_NAME
    return counts
