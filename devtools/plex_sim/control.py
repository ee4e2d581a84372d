"""The control API under /__sim/ (tests, the demo and the benchmark drive the simulator with it) and its client."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from dataclasses import asdict
from typing import Any

from devtools.plex_sim.state import Account, Fault, SimulatorState

CONTROL_PREFIX = "/__sim"


def control(state: SimulatorState, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """Answers one control request: (status, JSON object). Raises ValueError/KeyError/TypeError on a bad payload."""
    payload: dict[str, Any] = json.loads(body) if body else {}
    with state.lock:
        if method == "GET" and path == "/state":
            return 200, state.snapshot()
        if method == "GET" and path == "/counts":
            # "APP ..." is the auth page a guest's browser opens (app.plex.tv), not a request the portal sends.
            plex_tv = sum(n for name, n in state.counts.items() if not name.startswith(("PMS", "APP")))
            pms = sum(n for name, n in state.counts.items() if name.startswith("PMS"))
            return 200, {"endpoints": dict(state.counts), "plexTv": plex_tv, "pms": pms}
        if method == "POST" and path == "/counts/reset":
            state.counts.clear()
            return 200, {}
        if method == "POST" and path == "/reset":
            state.reset()
            return 200, {}
        if method == "POST" and path == "/latency":
            state.latency_seconds = float(payload.get("seconds", 0))
            return 200, {"latencySeconds": state.latency_seconds}
        if method == "POST" and path == "/faults":
            fault = Fault(
                method=str(payload.get("method", "*")).upper(),
                path=str(payload.get("path", "*")),
                status=None if payload.get("status", 500) is None else int(payload.get("status", 500)),
                times=int(payload.get("times", 1)),
                retry_after=None if payload.get("retryAfter") is None else str(payload["retryAfter"]),
                delay_seconds=float(payload.get("delaySeconds", 0)),
                body=payload.get("body"),
                after_processing=bool(payload.get("afterProcessing", False)),
            )
            state.faults.append(fault)
            return 201, asdict(fault)
        if method == "DELETE" and path == "/faults":
            state.faults.clear()
            return 200, {}
        if method == "POST" and path == "/accounts":
            account = Account(
                id=state.next_id(), username=payload["username"], email=payload["email"], verified=bool(payload.get("verified", True))
            )
            state.accounts.append(account)
            return 201, asdict(account)
        if method == "POST" and path == "/owner":
            if "token" in payload:
                state.owner_token = str(payload["token"])
            if "shareLimit" in payload:
                state.share_limit = int(payload["shareLimit"])
            return 200, {"shareLimit": state.share_limit}
        if method == "POST" and path == "/pins/expire":
            # Fault: every PIN expires now (the guest took too long on the auth page).
            for pin in state.pins.values():
                pin.expires_at = 0.0
            return 200, {"expired": len(state.pins)}
        accept = re.fullmatch(r"/shares/(\d+)/accept", path)
        if method == "POST" and accept:
            share = state.shares.get(int(accept.group(1)))
            if share is None:
                return 404, {"error": "no such share"}
            if share.user_id is None:
                account = Account(id=state.next_id(), username=share.invited_email.split("@")[0], email=share.invited_email)
                state.accounts.append(account)
                share.user_id, share.username = account.id, account.username
            share.accepted_at = int(time.time())
            return 200, asdict(share)
    return 404, {"error": f"no control endpoint {method} {path}"}


class SimulatorClient:
    """Drives a running simulator's control API (tests and the benchmark use it)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, path: str, payload: object | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.base_url}{CONTROL_PREFIX}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def counts(self) -> dict[str, Any]:
        return self._call("GET", "/counts")

    def reset_counts(self) -> None:
        self._call("POST", "/counts/reset")

    def plex_tv_requests(self) -> int:
        return int(self.counts()["plexTv"])

    def add_fault(
        self,
        path: str,
        status: int | None = 500,
        *,
        method: str = "*",
        times: int = 1,
        retry_after: str | None = None,
        delay_seconds: float = 0.0,
        body: str | None = None,
        after_processing: bool = False,
    ) -> None:
        self._call(
            "POST",
            "/faults",
            {
                "method": method,
                "path": path,
                "status": status,
                "times": times,
                "retryAfter": retry_after,
                "delaySeconds": delay_seconds,
                "body": body,
                "afterProcessing": after_processing,
            },
        )

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_owner(self, **fields: object) -> None:
        self._call("POST", "/owner", fields)

    def expire_pins(self) -> None:
        self._call("POST", "/pins/expire")

    def accept_share(self, share_id: int) -> dict[str, Any]:
        return self._call("POST", f"/shares/{share_id}/accept")
