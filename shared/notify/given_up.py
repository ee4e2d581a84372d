"""Messages the host gave up on: after host.json's maxDequeueCount failed tries it moves a message to the
poison queue, where nothing reads it. Once the owner has fixed the channel, sending them again is safe:
deliveries are claimed per event and channel (shared.notify.delivery), so only channels that didn't get an
event get it now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from azure.core.exceptions import ResourceNotFoundError

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient

# At most this many per call, so one request stays short; the answer says how many went.
RESEND_LIMIT = 500
_PAGE = 32  # the queue service's most per receive


def resend_given_up(poison: QueueClient, events: QueueClient, *, limit: int = RESEND_LIMIT) -> int:
    """Puts poison messages back on the events queue, each deleted from the poison queue only once it is sent.
    Returns how many were sent again."""
    sent = 0
    try:
        while sent < limit:
            wanted = min(_PAGE, limit - sent)
            # Hidden for a minute while we move them, so a second call at once doesn't send them twice.
            batch = list(poison.receive_messages(messages_per_page=wanted, max_messages=wanted, visibility_timeout=60))
            if not batch:
                break
            for message in batch:
                events.send_message(message.content)
                poison.delete_message(message)
                sent += 1
    except ResourceNotFoundError:
        pass  # no poison queue yet: nothing was ever given up on
    return sent
