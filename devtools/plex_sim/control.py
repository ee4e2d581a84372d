"""The control API under /__sim/ (tests, the demo and the benchmark drive the simulator with it) and its client."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from dataclasses import asdict
from typing import Any

from devtools.plex_sim.state import Account, Fault, Share, SimulatorState

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
        if method == "POST" and path == "/shares":
            return 201, asdict(_seed_share(state, payload))
        one = re.fullmatch(r"/shares/(\d+)", path)
        if one and method in ("DELETE", "POST"):
            share = state.shares.get(int(one.group(1)))
            if share is None:
                return 404, {"error": "no such share"}
            if method == "DELETE":
                # The owner (or the friend) ended the share in Plex's own apps, not through Helpr.
                del state.shares[share.id]
                return 200, {}
            # Changed in Plex's own apps: its libraries, or when it was sent.
            if "sectionIds" in payload:
                share.section_ids = [int(i) for i in payload["sectionIds"]]
            if "invitedAt" in payload:
                share.invited_at = int(payload["invitedAt"])
            return 200, asdict(share)
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


def _seed_share(state: SimulatorState, payload: dict[str, Any]) -> Share:
    """A share the owner made before Helpr (in Plex's own apps): with an account when a username is given (made if
    it doesn't exist yet), else an email-only invite; accepted unless it says otherwise; every library by default.
    It takes no share-limit or "already sharing" checks: it stands for what plex.tv already holds."""
    username, email = str(payload.get("username") or ""), str(payload.get("email") or "")
    account = state.find_account(username or email) if (username or email) else None
    if account is None and username:
        account = Account(id=state.next_id(), username=username, email=email or f"{username}@example.com")
        state.accounts.append(account)
    if account is None and not email:
        raise ValueError("a seeded share needs a username or an email")
    now = int(time.time())
    share = Share(
        id=state.next_id(),
        invited_email=account.email if account else email,
        user_id=account.id if account else None,
        username=account.username if account else "",
        section_ids=[int(i) for i in payload.get("sectionIds") or sorted(state.section_ids())],
        allow_sync=bool(payload.get("allowSync", False)),
        allow_camera_upload=False,
        allow_channels=False,
        invited_at=int(payload.get("invitedAt", now)),
        accepted_at=None if payload.get("pending") else now,
        title=str(payload.get("title") or ""),
    )
    state.shares[share.id] = share
    return share


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

    def seed_share(
        self,
        *,
        username: str = "",
        email: str = "",
        section_ids: list[int] | None = None,
        pending: bool = False,
        title: str = "",
        invited_at: int | None = None,
    ) -> dict[str, Any]:
        """A share made outside Helpr (in Plex's own apps), as plex.tv already holds it."""
        payload: dict[str, Any] = {"username": username, "email": email, "pending": pending, "title": title}
        if section_ids is not None:
            payload["sectionIds"] = section_ids
        if invited_at is not None:
            payload["invitedAt"] = invited_at
        return self._call("POST", "/shares", payload)

    def remove_share(self, share_id: int) -> None:
        """Ends a share on the plex.tv side, as the owner's Plex app would."""
        self._call("DELETE", f"/shares/{share_id}")

    def change_share(self, share_id: int, **fields: object) -> dict[str, Any]:
        """Changes a share on the plex.tv side: sectionIds, invitedAt."""
        return self._call("POST", f"/shares/{share_id}", fields)
