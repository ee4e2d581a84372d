"""The small base the local HTTP servers share: the functions host, the Plex simulator, the fault proxy and
the Key Vault stand-in. A threaded server with a backlog for bursts of clients, started in the background or
served in the foreground; a handler that sends every method it serves to one `respond`, with TCP_NODELAY and
no per-request log line unless the server is verbose."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

ALL_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "MERGE"})


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 resets connections under a burst of concurrent clients.
    request_queue_size = 128
    verbose = False

    def __init__(self, address: tuple[str, int], handler: type[LocalHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> Self:
        """Serves on a daemon thread; stop() ends it."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class LocalHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, a kept-alive connection then
    # waits for the client's delayed ACK (about 40 ms on Linux) before the body is sent.
    disable_nagle_algorithm = True
    # The methods this server answers; any other gets the standard library's 501.
    methods: frozenset[str] = ALL_METHODS

    def respond(self) -> None:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler calls do_<METHOD>; every method served goes to respond().
        if name.startswith("do_") and name[3:] in self.methods:
            return self.respond
        raise AttributeError(name)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status: int, headers: Iterable[tuple[str, str]], payload: bytes, *, reason: str | None = None) -> None:
        """The status line (with `reason`, else the standard phrase), the headers, Content-Length and the payload
        (none for HEAD)."""
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)
