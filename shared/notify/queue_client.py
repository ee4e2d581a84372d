"""The events queue's client: base64 text messages, as the Functions queue trigger expects by default
(the Python v2 model's queue binding decodes base64; azure-webjobs-sdk QueueMessageEncoding.Base64)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient


def build_queue_client(connection_string: str, endpoint: str, name: str, **client_options: Any) -> QueueClient:
    """From a connection string (local runs, Azurite) or the queue endpoint with the managed identity (Azure)."""
    from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

    options: dict[str, Any] = {
        "message_encode_policy": TextBase64EncodePolicy(),
        "message_decode_policy": TextBase64DecodePolicy(),
        "retry_total": 2,
        "connection_timeout": 5,
        "read_timeout": 10,
        **client_options,
    }
    if connection_string:
        return QueueClient.from_connection_string(connection_string, name, **options)
    from azure.identity import DefaultAzureCredential

    return QueueClient(account_url=endpoint, queue_name=name, credential=DefaultAzureCredential(), **options)
