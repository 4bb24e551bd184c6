"""Notifications: a row for the web pages, and an e-mail sent after commit by a job."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from engine.messages import mailer
from engine.models import (
    Instance,
    Membership,
    Notification,
    ProcedureRecord,
    ProcessVersion,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    User,
)
from engine.platform.config import Settings
from engine.platform.dispatch import defer_for_row
from engine.platform.timeutil import utcnow
from engine.workflow.spifftasks import APPLICANT_LANE
from engine.workflow.taskindex import DiagramMessage

log = logging.getLogger(__name__)

STATUS_MESSAGES = {
    RequestStatus.REGISTERED: (
        "Cererea dumneavoastră „{summary}” a fost înregistrată cu nr. {number}. "
        "Termenul legal de răspuns este {due}."
    ),
    RequestStatus.IN_PROGRESS: "Cererea nr. {number} este în lucru la compartimentul de "
    "specialitate.",
    RequestStatus.WAITING_FOR_CITIZEN: "Pentru cererea nr. {number} vi se cer completări. "
    "Intrați în cont pentru a răspunde.",
    RequestStatus.COMPLETED: "Cererea nr. {number} a fost soluționată. Răspunsul este în contul "
    "dumneavoastră.",
    RequestStatus.REJECTED: "Cererea nr. {number} a fost clasată.",
    RequestStatus.WITHDRAWN: "Cererea nr. {number} a fost retrasă. Nu se mai lucrează la ea.",
}
MESSAGE_MAX = 1000  # the column's size
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Put values into a designer's `{name}` placeholders; unknown names stay visible.

    Only plain names are replaced: no attribute access, no indexing, no format specs,
    so a diagram's text can never reach into objects (never `str.format` on it)."""

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0) if value is None else str(value)

    return _PLACEHOLDER.sub(one, template)


def message_values(
    request: Request, data: Mapping[str, Any], procedure_title: str | None
) -> dict[str, Any]:
    """Return what a message may name: the task's data and the request's own facts."""
    values = {k: v for k, v in data.items() if isinstance(k, str)}
    values.update(
        numar=request.registration_display,
        procedura=procedure_title or request.procedure,
        termen=f"{request.due_date:%d.%m.%Y}",
    )
    return values


def _pending_or_stored(
    session: Session,
    request_id: int,
    kind: str,
    user_id: int | None,
    department: str | None,
    message: str,
) -> bool:
    """Tell whether this very message already went (or is going) to this recipient."""
    key = (request_id, kind, user_id, department, message)
    if any(
        isinstance(n, Notification)
        and (n.request_id, n.kind, n.user_id, n.department, n.message) == key
        for n in session.new
    ):
        return True
    found = session.scalar(
        select(Notification.id).where(
            Notification.request_id == request_id,
            Notification.kind == kind,
            Notification.user_id.is_(None) if user_id is None else Notification.user_id == user_id,
            Notification.department.is_(None)
            if department is None
            else Notification.department == department,
            Notification.message == message,
        )
    )
    return found is not None


def post(
    session: Session,
    request: Request,
    kind: str,
    message: str,
    *,
    user_id: int | None = None,
    department: str | None = None,
    once: bool = False,
) -> Notification | None:
    """Add a notification row for a person or a department and e-mail it after commit.

    With `once`, the same message to the same recipient about the same request is not
    repeated (a reminder reached again when a step is redone)."""
    message = message[:MESSAGE_MAX]
    if user_id is None and department is None:  # an applicant without an account: by post
        return None
    if once and _pending_or_stored(session, request.id, kind, user_id, department, message):
        return None
    note = Notification(
        user_id=user_id,
        department=department,
        request_id=request.id,
        kind=kind,
        message=message,
        created_at=utcnow(),
    )
    session.add(note)
    defer_for_row(session, "send_notification", note, "notification")
    return note


def heads_of(session: Session, department: str) -> list[int]:
    """Return the ids of the active heads of a department."""
    return list(
        session.scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.department_code == department,
                Membership.is_head.is_(True),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def to_recipients(
    session: Session,
    request: Request,
    kind: str,
    message: str,
    recipients: str,
    department: str | None,
) -> list[Notification]:
    """Send a message to a comma-separated list: `department`, `head`, `applicant`, codes."""
    sent: list[Notification | None] = []
    for raw in recipients.split(","):
        who = raw.strip()
        if not who:
            continue
        if who == "applicant":
            sent.append(
                post(session, request, kind, message, user_id=request.applicant_id, once=True)
            )
        elif who == "head":
            for head in heads_of(session, department) if department else []:
                sent.append(post(session, request, kind, message, user_id=head, once=True))
        elif who == "department":
            if department:
                sent.append(post(session, request, kind, message, department=department, once=True))
        else:
            sent.append(post(session, request, kind, message, department=who, once=True))
    return [n for n in sent if n is not None]


def diagram_messages(
    session: Session,
    request: Request,
    said: Iterable[DiagramMessage],
    procedure_title: str | None,
) -> None:
    """Post the messages a step of the diagram asked for (its texts filled in now).

    A timer's message reaches each recipient once per text; `notifyApplicant` every time."""
    with session.no_autoflush:  # like the index's own writes, they go out in one flush
        for message in said:
            values = message_values(request, message.data, procedure_title)
            text = fill(message.template, values)
            if message.recipients is None:
                post(session, request, message.kind, text, user_id=request.applicant_id)
            else:
                to_recipients(
                    session, request, message.kind, text, message.recipients, message.department
                )


def request_status(session: Session, request: Request) -> Notification | None:
    """Tell the applicant about the request's new status (when it is worth telling)."""
    template = STATUS_MESSAGES.get(request.status)
    if template is None or request.applicant_id is None:  # no account: answered by post/e-mail
        return None
    message = template.format(  # our own templates; the summary is only a value
        summary=request.summary,
        number=request.registration_display,
        due=f"{request.due_date:%d.%m.%Y}",
    )
    if request.status == RequestStatus.WAITING_FOR_CITIZEN:
        answer_by = session.scalar(
            select(TaskRecord.answer_by).where(
                TaskRecord.request_id == request.id,
                TaskRecord.department == APPLICANT_LANE,
                TaskRecord.state == TaskState.READY,
                TaskRecord.answer_by.is_not(None),
            )
        )
        if answer_by is not None:
            message += f" Vă rugăm să răspundeți până la {answer_by:%d.%m.%Y}."
    return post(session, request, request.status.value, message, user_id=request.applicant_id)


def own(session: Session, user: User, limit: int = 200) -> list[Notification]:
    """Return the person's own notifications, newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def with_departments(session: Session, user: User, limit: int = 20) -> list[Notification]:
    """Return recent notifications for the person and for their departments, newest first."""
    cond = Notification.user_id == user.id
    if user.departments:
        cond = cond | Notification.department.in_(user.departments)
    return list(
        session.scalars(
            select(Notification).where(cond).order_by(Notification.id.desc()).limit(limit)
        )
    )


def unread_count(session: Session, user: User) -> int:
    """Count the person's notifications not seen yet."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(session: Session, user: User) -> int:
    """Mark every notification of the person as seen now."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)  # an UPDATE's result


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


def _procedure_title(session: Session, request: Request) -> str | None:
    """Return the procedure's title as the request's own version has it (a later version,
    or one made current again, may be titled otherwise); for a request with no instance,
    the current version's, else the newest deployed one's."""
    entry = session.scalar(
        select(ProcessVersion.catalog_entry)
        .join(Instance, Instance.process_version_id == ProcessVersion.id)
        .where(Instance.request_id == request.id)
        .order_by(Instance.id)
        .limit(1)
    )
    if not entry:
        entry = session.scalar(
            select(ProcessVersion.catalog_entry)
            .outerjoin(ProcedureRecord, ProcedureRecord.current_version_id == ProcessVersion.id)
            .where(ProcessVersion.procedure == request.procedure)
            .order_by(ProcedureRecord.id.is_(None), ProcessVersion.id.desc())
            .limit(1)
        )
    return str(entry["title"]) if entry and entry.get("title") else None


# What happened, for an e-mail's subject, by notification kind.
SUBJECTS = {
    "registered": "a fost înregistrată",
    "in_progress": "este în lucru",
    "waiting_for_citizen": "vi se cer completări",
    "completed": "a fost soluționată",
    "rejected": "a fost clasată",
    "withdrawn": "a fost retrasă",
    "forwarded": "a fost transmisă autorității competente",
    "reminder": "termen de urmărit",
    "dispatch": "răspuns de expediat",
    "deadline_extended": "termenul de răspuns a fost prelungit",
    "deadline_soon": "termen apropiat",
    "deadline_due": "termenul legal a sosit",
    "deadline_digest": "cereri cu termenul depășit",
}


def subject(note: Notification, request: Request | None, title: str | None) -> str:
    """Name the request and what happened:
    "Cererea nr. 12/05.12.2026 (Petiție): a fost soluționată"."""
    what = SUBJECTS.get(note.kind, "mesaj nou")
    if request is None:
        return f"Circuit: {what}"
    return f"Cererea nr. {request.registration_display} ({title or request.procedure}): {what}"


def body(settings: Any, note: Notification, name: str | None, link: str) -> str:
    """Greet the person, say the message, link the request, sign with the city hall's name."""
    greeting = f"Bună ziua, {name}," if name else "Bună ziua,"
    parts = [greeting, "", note.message]
    if link:
        parts += ["", f"Detalii: {link}"]
    parts += ["", "Cu stimă,", settings.city_hall_name, ""]
    return "\n".join(parts)


def send(session: Session, settings: Settings, notification_id: int) -> bool:
    """E-mail a notification (or write it to the outbox without SMTP) if not sent yet."""
    note = session.get(Notification, notification_id)
    if note is None or note.emailed_at is not None:
        return False
    to = recipients(session, note)
    if not to:
        note.emailed_at = utcnow()  # nobody to write to: done, so the sweep stops retrying
        return False
    link = f"{settings.base_url.rstrip('/')}/cereri/{note.request_id}" if note.request_id else ""
    request = session.get(Request, note.request_id) if note.request_id else None
    user = session.get(User, note.user_id) if note.user_id is not None else None
    title = _procedure_title(session, request) if request is not None else None
    msg = mailer.compose(
        settings,
        to,
        subject(note, request, title),
        body(settings, note, user.name if user else None, link),
    )
    mailer.deliver(settings, msg)
    note.emailed_at = utcnow()
    return True
