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

from devtools.http_base import LocalHandler, LocalServer

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class ProxyFault:
    method: str
    path_pattern: str
    times: int  # 0 = until cleared
    forward_first: bool = False  # carry the request out, then lose the answer
    hits: int = 0


class _Handler(LocalHandler):
    server: FaultProxy
    methods = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "MERGE"})

    def respond(self) -> None:
        body = self.read_body()
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
        self.send(status, [(name, value) for name, value in headers.items() if name.lower() not in _HOP_BY_HOP], payload)


class FaultProxy(LocalServer):
    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.target = target.rstrip("/")
        self._faults: list[ProxyFault] = []
        self._lock = threading.Lock()

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
