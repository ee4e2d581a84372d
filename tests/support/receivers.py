"""Local endpoints the notification tests deliver to: a webhook receiver that can be taken down and brought
back on the same port, and an SMTP server (aiosmtpd) that keeps every message."""

from __future__ import annotations

import email
import json
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devtools.stack import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.owner.lock:
            self.server.owner.received.append(Received(dict(self.headers.items()), json.loads(payload or b"{}")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True
    owner: WebhookReceiver


@dataclass
class WebhookReceiver:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _Server | None = None

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def up(self) -> None:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.owner = self
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def titles(self) -> list[str]:
        with self.lock:
            return [r.body.get("title", "") for r in self.received]


@dataclass
class MailReceiver:
    port: int = field(default_factory=free_port)
    messages: list[Message] = field(default_factory=list)
    _controller: Any = None

    @property
    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=helpr@example.com&to=owner@example.com&mode=insecure"

    def up(self) -> None:
        from aiosmtpd.controller import Controller

        receiver = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
                receiver.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in list(self.messages)]
