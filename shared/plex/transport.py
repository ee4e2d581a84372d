"""The HTTP session plexapi uses: pinned identity headers, redirect to a local simulator, last-response tracking."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from shared.plex.errors import LastResponse

PLEX_TV_ORIGINS = ("https://plex.tv", "https://clients.plex.tv")


def pin_plex_identity(client_identifier: str, product: str) -> None:
    # plexapi reads BASE_HEADERS on every request; mutate in place (rebinding has no effect). Imported here, when the
    # first Plex client is built, not when the app loads.
    import plexapi

    plexapi.BASE_HEADERS["X-Plex-Client-Identifier"] = client_identifier
    plexapi.BASE_HEADERS["X-Plex-Product"] = product
    plexapi.BASE_HEADERS["X-Plex-Device-Name"] = product


class RedirectAdapter(HTTPAdapter):
    """Sends requests for a plex.tv origin to another base URL (the local simulator)."""

    def __init__(self, origin: str, target_base_url: str) -> None:
        super().__init__()
        self._origin = origin
        self._target = target_base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        # *args and **kwargs are HTTPAdapter.send's stream, timeout, verify, cert and proxies, passed on as they are.
        url = request.url or ""
        if url.startswith(self._origin):
            request = request.copy()
            request.url = self._target + url[len(self._origin) :]
        return super().send(request, *args, **kwargs)


class LastResponseRecorder:
    """Keeps each thread's last plex.tv status and Retry-After."""

    def __init__(self) -> None:
        self._local = threading.local()

    def record(self, response: requests.Response, *args: object, **kwargs: object) -> requests.Response:
        self._local.value = LastResponse(response.status_code, parse_retry_after(response.headers.get("Retry-After")))
        return response

    def clear(self) -> None:
        self._local.value = None

    @property
    def last(self) -> LastResponse | None:
        return getattr(self._local, "value", None)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def build_plex_session(api_base_url: str, recorder: LastResponseRecorder) -> requests.Session:
    session = requests.Session()
    if api_base_url:
        for origin in PLEX_TV_ORIGINS:
            session.mount(origin + "/", RedirectAdapter(origin, api_base_url))
    session.hooks["response"].append(recorder.record)
    return session
