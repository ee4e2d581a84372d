"""Timers that keep the app in order while nobody uses it: deleting rows past their window or expiry
(shared.retention), so anonymous requests can't grow the tables without bound, and asking plex.tv whether the
owner's token and server still work, so the owner hears of a broken token or an outage (and its end) at once."""

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


# Every 30 minutes, off the other timers' marks. Without it a rejected token or a plex.tv outage would be
# noticed, and the owner alerted, only when a guest next tried to join. One account read and one resources read
# per run; the status monitor stores the result and publishes an event when it changes.
@bp.timer_trigger(schedule="0 20,50 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def check_plex_connection(timer: func.TimerRequest) -> None:
    status = get_container().plex_status.current(force_check=True)
    log.info(json.dumps({"event": "plex_check", "tokenValid": status.token_valid, "failing": status.failing}))
