"""A timer that removes the shares of people whose access has ended."""

from __future__ import annotations

import json
import logging

import azure.functions as func

from shared.audit.trail import EXPIRE_ACCESS, TIMER, AuditEntry
from shared.container import get_container

bp = func.Blueprint()
log = logging.getLogger("helpr.expiry")


@bp.timer_trigger(schedule="0 */10 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def expire_access(timer: func.TimerRequest) -> None:
    container = get_container()
    result = container.user_access.expire_due()
    log.info(json.dumps({"event": "expiry", "removed": len(result.removed), "failed": len(result.failed)}))
    # What the timer did, in the audit trail beside the owner's own changes.
    for identifier in result.removed:
        container.audit.record(AuditEntry(actor=TIMER, action=EXPIRE_ACCESS, target=f"identifier={identifier}"))
    for identifier in result.failed:
        container.audit.record(
            AuditEntry(
                actor=TIMER,
                action=EXPIRE_ACCESS,
                target=f"identifier={identifier}",
                outcome="remove_failed",
                detail="Plex didn't remove the share; the next run tries again.",
            )
        )
