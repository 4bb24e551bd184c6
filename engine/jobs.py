"""RQ jobs: thin adapters that take ids, open a transaction and call engine functions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.messages import notify
from engine.platform.context import current
from engine.platform.dispatch import PendingJob
from engine.workflow import timers

if TYPE_CHECKING:
    from engine.platform.rqueue import RQDispatcher

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


def send_account_mail(kind: str, user_id: int, email: str | None = None) -> bool:
    """E-mail a link or a warning about an account (signed at sending time, never stored)."""
    from engine.messages import account_mail

    circuit = current()
    with circuit.db.transaction() as session:
        return account_mail.send(session, circuit, kind, user_id, email)


def sweep(dispatcher: RQDispatcher) -> int:
    """Re-enqueue due timers and unsent e-mails whose job Redis no longer has."""
    circuit = current()
    with circuit.db.transaction() as session:
        pending = [
            PendingJob("fire_timer", (t.task_id,), None, f"timer-{t.task_id}")
            for t in timers.due_timers(session)
        ]
        # Without SMTP mail goes to the outbox, so a lost job is re-sent either way.
        pending += [
            PendingJob("send_notification", (n,), None, f"notification-{n}")
            for n in notify.unsent(session)
        ]
    sent = 0
    for job in pending:
        assert job.job_id is not None
        if not dispatcher.is_live(job.job_id):
            dispatcher.send(job)
            sent += 1
    if sent:
        log.info("sweep re-enqueued %d job(s)", sent)
    return sent
