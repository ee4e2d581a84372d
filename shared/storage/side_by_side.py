"""Running one request's independent storage calls side by side on the process's one thread pool.

A task on the pool never waits for another task on the same pool: when code already running on
the pool asks for something to run side by side, it runs on the spot instead. So any number of
concurrent requests can share a small pool without every worker waiting on work that can't start.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")

_on_pool = threading.local()


class SideBySide:
    def __init__(self, executor: ThreadPoolExecutor | None) -> None:
        """With no executor every call runs on the calling thread, one after another."""
        self._executor = executor

    def start(self, call: Callable[[], T]) -> Future[T]:
        """Starts `call` on the pool, or runs it now when already on the pool (or there is none). The call runs in
        a copy of the caller's context, so it sees what the request set in its context variables."""
        if self._executor is None or getattr(_on_pool, "active", False):
            return _completed(call)
        return self._executor.submit(contextvars.copy_context().run, _as_leaf, call)

    def run(self, *calls: Callable[[], Any]) -> list[Any]:
        """Runs the calls at once (the first on this thread) and returns their results in order.
        Every call finishes before the first exception, if any, is raised."""
        started = [self.start(call) for call in calls[1:]]
        first = _completed(calls[0]) if calls else None
        futures = ([first] if first is not None else []) + started
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]

    def pair(self, first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
        """`run` for two calls, with their results' types."""
        first_result, second_result = self.run(first, second)
        return first_result, second_result


def _as_leaf(call: Callable[[], T]) -> T:
    _on_pool.active = True
    try:
        return call()
    finally:
        _on_pool.active = False


def _completed(call: Callable[[], T]) -> Future[T]:
    future: Future[T] = Future()
    try:
        future.set_result(call())
    except Exception as exc:  # noqa: BLE001 - handed to whoever reads the future
        future.set_exception(exc)
    return future
