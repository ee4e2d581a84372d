"""A timer that removes the shares of people whose access has ended."""

from __future__ import annotations

import json
import logging

import azure.functions as func

from shared.container import get_container

bp = func.Blueprint()
log = logging.getLogger("helpr.expiry")


@bp.timer_trigger(schedule="0 */10 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def expire_access(timer: func.TimerRequest) -> None:
    result = get_container().user_access.expire_due()
    log.info(json.dumps({"event": "expiry", "removed": len(result.removed), "failed": len(result.failed)}))
