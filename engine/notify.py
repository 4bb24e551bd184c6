"""Notifications: a row for the web pages, and an e-mail sent after commit by a job."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Circuit
from engine.dispatch import defer
from engine.models import Membership, Notification, Request, RequestStatus, User
from engine.timeutil import utcnow

log = logging.getLogger(__name__)

STATUS_MESSAGES = {
    RequestStatus.REGISTERED: (
        "Cererea dumneavoastră „{summary}” a fost înregistrată cu nr. {number}. "
        "Termenul legal de răspuns este {due}."
    ),
    RequestStatus.WAITING_FOR_CITIZEN: "Pentru cererea nr. {number} vi se cer completări. "
    "Intrați în cont pentru a răspunde.",
    RequestStatus.COMPLETED: "Cererea nr. {number} a fost soluționată. Răspunsul este în contul "
    "dumneavoastră.",
    RequestStatus.REJECTED: "Cererea nr. {number} a fost clasată.",
}


def request_status(session: Session, request: Request) -> Notification | None:
    """Tell the applicant about the request's new status (when it is worth telling)."""
    template = STATUS_MESSAGES.get(request.status)
    if template is None or request.applicant_id is None:  # no account: answered by post/e-mail
        return None
    note = Notification(
        user_id=request.applicant_id,
        request_id=request.id,
        kind=request.status.value,
        message=template.format(
            summary=request.summary,
            number=request.registration_display,
            due=f"{request.due_date:%d.%m.%Y}",
        ),
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    defer(session, "send_notification", note.id, job_id=f"notification-{note.id}")
    return note


def unsent(session: Session, limit: int = 200) -> list[int]:
    """Return ids of notifications of the last day still to e-mail (after a minute's grace)."""
    now = utcnow()
    return list(
        session.scalars(
            select(Notification.id)
            .where(
                Notification.emailed_at.is_(None),
                Notification.created_at < now - timedelta(minutes=1),
                Notification.created_at > now - timedelta(days=1),
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def recipients(session: Session, note: Notification) -> list[str]:
    """Return the e-mail addresses a notification goes to."""
    if note.user_id is not None:
        user = session.get(User, note.user_id)
        return [user.email] if user and user.active else []
    if note.department:
        return list(
            session.scalars(
                select(User.email)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.department_code == note.department, User.active.is_(True))
            )
        )
    return []


def send(session: Session, circuit: Circuit, notification_id: int) -> bool:
    """Send a notification by e-mail if SMTP is configured and it was not sent yet."""
    note = session.get(Notification, notification_id)
    settings = circuit.settings
    if note is None or note.emailed_at is not None or not settings.smtp_host:
        return False
    to = recipients(session, note)
    if not to:
        note.emailed_at = utcnow()  # nobody to write to: done, so the sweep stops retrying
        return False
    msg = EmailMessage()
    msg["Subject"] = "Primăria — notificare Circuit"
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(to)
    link = f"{settings.base_url.rstrip('/')}/cereri/{note.request_id}" if note.request_id else ""
    msg.set_content(f"{note.message}\n\n{link}\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_user and settings.smtp_password:
            smtp.starttls()
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)
    note.emailed_at = utcnow()
    return True
