"""RQ jobs: thin adapters that take ids, open a transaction and call engine functions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine import notify, timers
from engine.context import current
from engine.queue import PendingJob

if TYPE_CHECKING:
    from engine.rqueue import RQDispatcher

log = logging.getLogger(__name__)


def fire_timer(task_id: str) -> bool:
    """Fire one timer (idempotent: a second run finds it fired and does nothing)."""
    circuit = current()
    with circuit.db.transaction() as session:
        return timers.fire_timer(session, circuit, task_id)


def send_notification(notification_id: int) -> bool:
    """E-mail a notification to its recipients, once."""
    circuit = current()
    with circuit.db.transaction() as session:
        return notify.send(session, circuit, notification_id)


def sweep_timers(dispatcher: RQDispatcher) -> int:
    """Re-enqueue due timers whose job Redis no longer has; return how many."""
    circuit = current()
    with circuit.db.transaction() as session:
        due = [t.task_id for t in timers.due_timers(session)]
    sent = 0
    for task_id in due:
        job_id = f"timer-{task_id}"
        if not dispatcher.is_live(job_id):
            dispatcher.send(PendingJob("fire_timer", (task_id,), None, job_id))
            sent += 1
    if sent:
        log.info("sweep re-enqueued %d timer(s)", sent)
    return sent
