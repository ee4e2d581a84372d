"""A timer that deletes rows past their window or expiry (shared.retention), so anonymous requests
can't grow the tables without bound."""

from __future__ import annotations

import json
import logging
import time

import azure.functions as func

from shared.container import get_container

bp = func.Blueprint()
log = logging.getLogger("helpr.maintenance")


# Hourly, at minute 5: off the expiry timer's 10-minute marks. The host runs a timer on one instance at a time.
@bp.timer_trigger(schedule="0 5 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def delete_expired_rows(timer: func.TimerRequest) -> None:
    started = time.perf_counter()
    report = get_container().retention.sweep()
    log.info(
        json.dumps(
            {
                "event": "retention",
                "deleted": report.total,
                "rateLimits": report.rate_limits,
                "idempotencyKeys": report.idempotency_keys,
                "loginThrottles": report.login_throttles,
                "adminSessions": report.admin_sessions,
                "inviteLog": report.invite_log,
                "durationMs": round((time.perf_counter() - started) * 1000),
            }
        )
    )
