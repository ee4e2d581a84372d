"""Queue triggers as the Functions host runs them, against Azurite's queue service (or any Storage account).

The rules, from azure-webjobs-sdk (Microsoft.Azure.WebJobs.Extensions.Storage.Queues, v5) and Learn's
"Azure Queue storage trigger for Azure Functions" / "host.json settings" (extensions.queues):

- Polling (QueueListener, RandomizedExponentialBackoffStrategy): when a poll finds nothing the wait doubles,
  with jitter, from QueuePollingIntervals.Minimum (100 ms) up to `maxPollingInterval` (default 1 minute);
  a poll that finds messages resets it to the minimum.
- Batches (QueueListener): up to `batchSize` (default 16, at most 32) messages per GetMessages, each run in
  parallel; the next batch is fetched once the messages still running fall to `newBatchThreshold`
  (default batchSize / 2 per processor; the stand-in uses one processor's worth).
- Lease (QueueListener): messages are fetched with a 10-minute visibility timeout, renewed while the
  function runs, so no other instance sees them meanwhile.
- Decoding (QueuesOptions.MessageEncoding, default Base64): the body the function gets is the message
  text base64-decoded; a message that doesn't decode fails like a function error.
- Outcome (QueueProcessor.CompleteProcessingMessageAsync): success deletes the message. A failure makes it
  visible again after `visibilityTimeout` (default 0), unless its dequeue count has reached
  `maxDequeueCount` (default 5): then it is copied to `<queue>-poison` (created if missing) and deleted.
  A message fetched with a dequeue count already above the maximum goes to the poison queue unrun
  (QueueProcessor.BeginProcessingMessageAsync).
- Settings: host.json extensions.queues, each overridable by the app setting
  `AzureFunctionsJobHost__extensions__queues__<name>` (the host's configuration override).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError
from azure.functions.queue import QueueMessage

log = logging.getLogger("local_host.queues")

MIN_POLLING_SECONDS = 0.1  # QueuePollingIntervals.Minimum
LEASE_SECONDS = 600  # QueueListener's visibility timeout while a message runs
OVERRIDE_PREFIX = "AzureFunctionsJobHost__extensions__queues__"


def _timespan(value: object) -> float:
    """Seconds from a host.json TimeSpan ("hh:mm:ss", "d.hh:mm:ss" or "hh:mm:ss.fff")."""
    text = str(value).strip()
    days = 0
    if "." in text.split(":")[0]:
        day_text, text = text.split(".", 1)
        days = int(day_text)
    hours, minutes, seconds = text.split(":")
    return timedelta(days=days, hours=int(hours), minutes=int(minutes), seconds=float(seconds)).total_seconds()


@dataclass(frozen=True)
class QueueOptions:
    batch_size: int = 16
    new_batch_threshold: int = 8
    max_polling_seconds: float = 60.0
    visibility_timeout_seconds: float = 0.0
    max_dequeue_count: int = 5

    @classmethod
    def from_host_json(cls, host: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> QueueOptions:
        section = {k.lower(): v for k, v in (host.get("extensions", {}).get("queues", {}) or {}).items()}
        for name, value in environ.items():
            if name.lower().startswith(OVERRIDE_PREFIX.lower()):
                section[name[len(OVERRIDE_PREFIX) :].lower()] = value
        batch = min(32, max(1, int(section.get("batchsize", 16))))
        return cls(
            batch_size=batch,
            new_batch_threshold=int(section.get("newbatchthreshold", batch // 2)),
            max_polling_seconds=max(MIN_POLLING_SECONDS, _timespan(section.get("maxpollinginterval", "00:01:00"))),
            visibility_timeout_seconds=_timespan(section.get("visibilitytimeout", "00:00:00")),
            max_dequeue_count=max(1, int(section.get("maxdequeuecount", 5))),
        )


class QueueListener:
    """Polls one queue for one queue-triggered function until stopped."""

    def __init__(
        self,
        function_name: str,
        binding: str,
        queue_name: str,
        connection_string: str,
        handler: Callable[..., Any],
        options: QueueOptions,
        call: Callable[..., Any],
    ) -> None:
        from azure.storage.queue import QueueClient

        self.function_name = function_name
        self.binding = binding
        self.queue_name = queue_name
        self.options = options
        self._handler = handler
        self._call = call
        client_options: dict[str, Any] = {"retry_total": 1, "connection_timeout": 3, "read_timeout": 10}
        self._queue = QueueClient.from_connection_string(connection_string, queue_name, **client_options)
        self._poison = QueueClient.from_connection_string(connection_string, f"{queue_name}-poison", **client_options)
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=options.batch_size, thread_name_prefix=f"queue-{function_name}")
        self._running = 0
        self._running_changed = threading.Condition()
        self._thread = threading.Thread(target=self._poll, name=f"queue-listener-{function_name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._running_changed:
            self._running_changed.notify_all()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _poll(self) -> None:
        wait = MIN_POLLING_SECONDS
        with contextlib.suppress(ResourceExistsError, AzureError):
            self._queue.create_queue()  # the host creates the queue it listens on
        while not self._stop.is_set():
            with self._running_changed:
                # Fetch again only once the batch in flight has fallen to newBatchThreshold.
                while self._running > self.options.new_batch_threshold and not self._stop.is_set():
                    self._running_changed.wait(0.5)
            try:
                messages = list(
                    self._queue.receive_messages(
                        messages_per_page=self.options.batch_size, max_messages=self.options.batch_size, visibility_timeout=LEASE_SECONDS
                    )
                )
            except AzureError as exc:
                log.warning("Polling queue '%s' failed: %s", self.queue_name, type(exc).__name__)
                messages = []
            if not messages:
                self._stop.wait(wait * random.uniform(0.8, 1.2))  # jitter, as the host's backoff
                wait = min(self.options.max_polling_seconds, wait * 2)
                continue
            wait = MIN_POLLING_SECONDS
            for message in messages:
                with self._running_changed:
                    self._running += 1
                self._pool.submit(self._process, message)

    def _process(self, message: Any) -> None:
        try:
            self._run_one(message)
        except Exception:
            log.exception("Queue message %s of '%s' could not be completed", message.id, self.queue_name)
        finally:
            with self._running_changed:
                self._running -= 1
                self._running_changed.notify_all()

    def _run_one(self, message: Any) -> None:
        if message.dequeue_count > self.options.max_dequeue_count:
            self._to_poison(message)
            return
        started = time.perf_counter()
        log.info(
            "Executing 'Functions.%s' (Reason='New queue message detected on '%s'.', Id=%s)",
            self.function_name,
            self.queue_name,
            message.id,
        )
        try:
            body = base64.b64decode(str(message.content), validate=True)
            argument = QueueMessage(  # what the worker builds (azure.functions.queue, the trigger converter)
                id=message.id,
                body=body,
                dequeue_count=message.dequeue_count,
                expiration_time=message.expires_on,
                insertion_time=message.inserted_on,
                time_next_visible=message.next_visible_on,
                pop_receipt=message.pop_receipt,
            )
            self._call(self._handler, **{self.binding: argument})
        except Exception as exc:  # noqa: BLE001 - any failure counts, as in the host (bad base64 included)
            log.warning(
                "Executed 'Functions.%s' (Failed, Id=%s, try %d of %d): %s: %s",
                self.function_name,
                message.id,
                message.dequeue_count,
                self.options.max_dequeue_count,
                type(exc).__name__,
                str(exc)[:300],
            )
            if message.dequeue_count >= self.options.max_dequeue_count:
                self._to_poison(message)
            else:
                self._queue.update_message(message.id, message.pop_receipt, visibility_timeout=int(self.options.visibility_timeout_seconds))
            return
        self._queue.delete_message(message.id, message.pop_receipt)
        log.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%.0fms)",
            self.function_name,
            message.id,
            (time.perf_counter() - started) * 1000,
        )

    def _to_poison(self, message: Any) -> None:
        with contextlib.suppress(ResourceExistsError):
            self._poison.create_queue()
        self._poison.send_message(message.content)
        self._queue.delete_message(message.id, message.pop_receipt)
        log.error(
            "Message has reached MaxDequeueCount of %d. Moving message %s to queue '%s-poison'.",
            self.options.max_dequeue_count,
            message.id,
            self.queue_name,
        )


def start_listeners(
    others: Mapping[str, Any],
    handlers: Mapping[str, Callable[..., Any]],
    host_json: Mapping[str, Any],
    call: Callable[..., Any],
    environ: Mapping[str, str] = os.environ,
) -> list[QueueListener]:
    """One listener per loaded queue-triggered function whose connection setting holds a connection string."""
    options = QueueOptions.from_host_json(host_json, environ)
    listeners = []
    for name, function in others.items():
        trigger = function.trigger
        if str(trigger.get("type", "")).lower() != "queuetrigger" or name not in handlers:
            continue
        setting = str(trigger.get("connection") or "AzureWebJobsStorage")
        connection = environ.get(setting, "")
        if "=" not in connection:
            log.error("The '%s' function can't listen: app setting %s holds no connection string", name, setting)
            continue
        listener = QueueListener(name, str(trigger["name"]), str(trigger["queueName"]), connection, handlers[name], options, call)
        listener.start()
        log.info("Listening on queue '%s' for '%s' (%s)", trigger["queueName"], name, options)
        listeners.append(listener)
    return listeners
