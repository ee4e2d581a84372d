"""An HTTP proxy in front of a real service (Azurite) that can fail chosen requests.

Tests use it to make Table Storage writes fail at the network edge: refused outright, or
carried out with the answer lost (the client sees an error although the write happened).
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class ProxyFault:
    method: str
    path_pattern: str
    times: int  # 0 = until cleared
    forward_first: bool = False  # carry the request out, then lose the answer
    hits: int = 0


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._relay()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_MERGE = do_GET

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = self.server.take_fault(self.command, self.path)
        if fault is None or fault.forward_first:
            status, headers, payload = self._forward(body)
            if fault is None:
                self._send(status, headers, payload)
                return
        self._send(503, {"Content-Type": "application/json"}, b'{"odata.error":{"code":"ServerBusy","message":{"value":"Injected fault"}}}')

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        request = urllib.request.Request(self.server.target + self.path, data=body or None, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers.items()), error.read()

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.target = target.rstrip("/")
        self._faults: list[ProxyFault] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fail(self, method: str, path_pattern: str, *, times: int = 1, forward_first: bool = False) -> None:
        with self._lock:
            self._faults.append(ProxyFault(method.upper(), path_pattern, times, forward_first))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, method: str, path: str) -> ProxyFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method in ("*", method) and re.search(fault.path_pattern, path):
                    fault.hits += 1
                    if fault.times and fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    def start(self) -> FaultProxy:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
