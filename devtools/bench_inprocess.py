"""The benchmark's in-process measures: the app's own handlers and services, run in the benchmark's process on
the same Azurite and Plex simulator as the functions hosts, with a StorageMeter on the Tables client.

They show what an HTTP client can't: how many storage requests and entities each operation costs (what Table
Storage bills, the same at any scale), and where a warm invite's time goes, phase by phase.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import azure.functions as func

import shared.container as app_container
from shared.config.secrets import EnvironmentSecrets
from shared.config.settings import Settings
from shared.container import Container, Overrides
from shared.invites.service import InviteService, InviteSubmission
from shared.storage.tables import StorageCount, StorageMeter

# The invite's dependencies whose calls are timed, by the name each phase is reported under.
TIMED_DEPENDENCIES = {
    "limits": "limits",
    "idempotency": "idempotency",
    "admissions": "admission",
    "plex_status": "paused",
    "runtime_settings": "settings",
    "inviter": "plex",
    "invite_log": "log",
    "counters": "totals",
    "grants": "access",
}
# Which timed calls make up each side of the plex.tv request.
BEFORE_PLEX = {
    "limits.check_invite_address": "address limit",
    "limits.count_invite_person": "account limit",
    "idempotency.try_claim": "repeat claim",
    "admission.check": "code and tier",
    "paused.invites_paused": "paused?",
    "settings.sign_in_mode": "sign-in mode",
}
AFTER_PLEX = {
    "log.append": "log entry",
    "totals.increments": "totals (slowest of 3)",
    "idempotency.complete": "stored answer",
    "access.record": "access",
}
PLEX_CALL = "plex.invite"


class InProcessApp:
    """The app as the functions host builds it, from the same settings, in this process, with a meter."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.meter = StorageMeter()
        settings = Settings.from_environ(env)
        self.container = Container(settings, Overrides(secrets=EnvironmentSecrets(dict(env)), storage_meter=self.meter))
        self._handlers = _http_handlers()
        self._cookie = ""

    @contextlib.contextmanager
    def _serving(self) -> Iterator[None]:
        # The handlers find the app through get_container(); point it at this one for the call.
        previous = app_container._container
        app_container._container = self.container
        try:
            yield
        finally:
            app_container._container = previous

    def call(
        self, route: str, method: str = "GET", body: object | None = None, headers: Mapping[str, str] | None = None
    ) -> func.HttpResponse:
        sent = {"X-Forwarded-For": "203.0.113.200, 127.0.0.1:50000", **(headers or {})}
        data = b"" if body is None else json.dumps(body).encode()
        if body is not None:
            sent["Content-Type"] = "application/json"
        request = func.HttpRequest(method, f"http://127.0.0.1/api/{route}", headers=sent, body=data)
        with self._serving():
            return self._handlers[route](request)

    def sign_in(self, username: str, password: str, origin: str) -> None:
        answer = self.call("manage/login", "POST", {"username": username, "password": password}, {"Origin": origin})
        if answer.status_code != 200:
            raise RuntimeError(f"in-process admin sign-in: HTTP {answer.status_code}: {answer.get_body()[:200]!r}")
        cookie = answer.headers.get("Set-Cookie", "")
        self._cookie = cookie.split(";", 1)[0]

    def dashboard(self, origin: str) -> None:
        answer = self.call("manage/dashboard", headers={"Cookie": self._cookie, "Origin": origin})
        if answer.status_code != 200:
            raise RuntimeError(f"in-process dashboard: HTTP {answer.status_code}")

    def invite(self, identifier: str, invite_code: str) -> None:
        answer = self.call("invites", "POST", {"identifier": identifier, "inviteCode": invite_code})
        if answer.status_code not in (200, 201):
            raise RuntimeError(f"in-process invite for {identifier}: HTTP {answer.status_code}: {answer.get_body()[:200]!r}")

    def cost(self, operation: Callable[[], object], count: int) -> StorageCount:
        """Storage requests and entities over `count` operations run one after another (StorageCount.per divides)."""
        before = self.meter.read()
        for _ in range(count):
            operation()
        return self.meter.read() - before


@functools.cache  # the app indexes its functions once, as the worker does
def _http_handlers() -> dict[str, Callable[[func.HttpRequest], func.HttpResponse]]:
    from azure.functions.decorators.http import HttpTrigger

    import function_app

    handlers = {}
    for function in function_app.app.get_functions():
        trigger = function.get_trigger()
        if isinstance(trigger, HttpTrigger) and trigger.route:
            handlers[trigger.route] = function.get_user_function()
    return handlers


# -- where a warm invite's time goes -----------------------------------------------------------


@dataclass
class PhaseClock:
    """Start and end of every timed dependency call during one submission, relative to its start."""

    started: float = 0.0
    calls: list[tuple[str, float, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, start: float, end: float) -> None:
        with self._lock:
            self.calls.append((name, (start - self.started) * 1000, (end - self.started) * 1000))

    def reset(self) -> None:
        with self._lock:
            self.calls = []
        self.started = time.perf_counter()


class _Timed:
    """Stands in for one dependency: every public method call is timed on the clock."""

    def __init__(self, target: object, label: str, clock: PhaseClock) -> None:
        self._target = target
        self._label = label
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        label = f"{self._label}.{name}"

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                answer = attribute(*args, **kwargs)
            finally:
                self._clock.add(label, start, time.perf_counter())
            if isinstance(answer, list) and answer and all(callable(item) for item in answer):
                return [self._timed_call(label, item) for item in answer]  # writes handed back to run side by side
            return answer

        return timed

    def _timed_call(self, label: str, call: Callable[[], Any]) -> Callable[[], Any]:
        def timed() -> Any:
            start = time.perf_counter()
            try:
                return call()
            finally:
                self._clock.add(label, start, time.perf_counter())

        return timed


@dataclass(frozen=True)
class InvitePhases:
    """One submission: total, the time before the plex.tv request, the request, the time after, and each timed call."""

    total_ms: float
    before_ms: float
    plex_ms: float
    after_ms: float
    calls_ms: dict[str, float]


def timed_invite_service(app: InProcessApp) -> tuple[InviteService, PhaseClock]:
    """The app's invite service with each dependency's calls timed (the same objects, behind a timing stand-in)."""
    service = app.container.invite_service
    clock = PhaseClock()
    deps = service.dependencies
    # Each stand-in answers like the dependency it wraps (typed as Any: it is none of their classes).
    wrapped: dict[str, Any] = {name: _Timed(getattr(deps, name), label, clock) for name, label in TIMED_DEPENDENCIES.items()}
    timed = InviteService(replace(deps, **wrapped), idempotency_window_seconds=app.container.settings.idempotency_window_seconds)
    return timed, clock


def invite_phases(service: InviteService, clock: PhaseClock, identifier: str, invite_code: str, client_ip: str) -> InvitePhases:
    clock.reset()
    result = service.submit(InviteSubmission(identifier, invite_code, client_ip))
    total = (time.perf_counter() - clock.started) * 1000
    if not result.outcome.succeeded:
        raise RuntimeError(f"in-process invite for {identifier}: {result.outcome}")
    calls: dict[str, float] = {}
    plex_start = plex_end = None
    for name, start, end in clock.calls:
        calls[name] = max(calls.get(name, 0.0), end - start)  # calls of one name run side by side
        if name == PLEX_CALL:
            plex_start, plex_end = start, end
    if plex_start is None or plex_end is None:
        raise RuntimeError("the invite made no plex.tv call")
    return InvitePhases(total, plex_start, plex_end - plex_start, total - plex_end, calls)
