"""Expediere: the answers that go by post or e-mail to someone without an account wait for the
registry to send them; sending one records the day, the channel and the postal reference
beside the outgoing register entry (which itself is written once and never changed)."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from engine import audit
from engine.cases import receipts
from engine.circuit import Circuit, registry_department
from engine.messages import mailer, notify
from engine.models import Dispatch, RegistryEntry, Request, User
from engine.platform.errors import CircuitError, Conflict, Forbidden, Invalid, NotFound
from engine.platform.timeutil import local_today
from engine.register import access, book

CHANNELS = book.DISPATCH_CHANNELS
CHANNEL_TITLES = {"post": "Poștă", "email": "E-mail", "in_person": "Ridicat personal"}
REFERENCE_MAX = 64
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MailFailed(CircuitError):
    """The mail server refused or could not be reached: nothing was recorded."""

    code = "mail_failed"
    status = 502


@dataclass
class Awaiting:
    """An answer the registry has to send: the request it answers and its outgoing entry."""

    request: Request
    entry: RegistryEntry

    @property
    def channel_asked(self) -> str:
        return CHANNELS.get(self.request.reply_by or "", "")


describe = book.describe_dispatch
needs_dispatch = book.awaits_dispatch


def _require_registry(user: User) -> None:
    if not access.may_register(user):
        raise Forbidden("Numai registratura expediază răspunsurile.")


def _waiting() -> Any:
    return (
        Request.applicant_id.is_(None),
        Request.reply_by.is_not(None),
        Request.answer_entry_id.is_not(None),
        Request.joined_to_id.is_(None),
        ~exists().where(Dispatch.entry_id == Request.answer_entry_id),
    )


def count_awaiting(session: Session) -> int:
    """Count the answers waiting to be sent."""
    return session.scalar(select(func.count()).select_from(Request).where(*_waiting())) or 0


def awaiting(session: Session, user: User) -> list[Awaiting]:
    """Return the answers the registry has to send, the oldest answer first."""
    _require_registry(user)
    rows = session.execute(
        select(Request, RegistryEntry)
        .join(RegistryEntry, RegistryEntry.id == Request.answer_entry_id)
        .where(*_waiting())
        .order_by(RegistryEntry.year, RegistryEntry.number)
    ).all()
    return [Awaiting(r, e) for r, e in rows]


def recent(session: Session, user: User, limit: int = 20) -> list[tuple[Dispatch, Awaiting]]:
    """Return the answers sent last, newest first."""
    _require_registry(user)
    rows = session.execute(
        select(Dispatch, Request, RegistryEntry)
        .join(Request, Request.id == Dispatch.request_id)
        .join(RegistryEntry, RegistryEntry.id == Dispatch.entry_id)
        .order_by(Dispatch.id.desc())
        .limit(limit)
    ).all()
    return [(d, Awaiting(r, e)) for d, r, e in rows]


def by_entries(session: Session, entry_ids: list[int]) -> dict[int, Dispatch]:
    """Return the dispatch of each of these outgoing entries that was sent."""
    if not entry_ids:
        return {}
    found = session.scalars(select(Dispatch).where(Dispatch.entry_id.in_(entry_ids)))
    return {d.entry_id: d for d in found}


def _answered(session: Session, request_id: int) -> Request:
    request = session.get(
        Request,
        request_id,
        options=[joinedload(Request.answer_entry), joinedload(Request.applicant)],
    )
    if request is None or not needs_dispatch(request):
        raise NotFound("Cererea nu are un răspuns de expediat de registratură.")
    return request


def answer_pdf(
    session: Session, circuit: Circuit, user: User, request_id: int, issuer: str
) -> tuple[bytes, str]:
    """Return the answer the registry prints or e-mails, and its file name."""
    _require_registry(user)
    _answered(session, request_id)
    return receipts.answer_pdf(session, circuit, user, request_id, issuer)


@dataclass(frozen=True)
class _Form:
    channel: str
    sent_on: date
    reference: str | None
    email: str | None


def _read(raw: Mapping[str, Any], request: Request, entry: RegistryEntry, today: date) -> _Form:
    """Check what the registry says of a dispatch; raise Invalid with every problem at once."""
    errors: list[dict[str, str]] = []

    def refuse(field: str, message: str) -> None:
        errors.append({"field": f"/{field}", "message": message})

    channel = str(raw.get("channel") or "").strip()
    if channel not in CHANNELS:
        refuse("channel", "Alegeți cum a plecat răspunsul: poștă, e-mail sau ridicat personal.")
    text = str(raw.get("sent_on") or "").strip()
    sent_on = today
    if text:
        try:
            sent_on = date.fromisoformat(text)
        except ValueError:
            refuse("sent_on", "Scrieți data expedierii ca AAAA-LL-ZZ.")
    if sent_on > today:
        refuse("sent_on", "Data expedierii nu poate fi în viitor.")
    elif sent_on < entry.registered_on:
        refuse(
            "sent_on",
            f"Răspunsul a fost înregistrat la {entry.registered_on:%d.%m.%Y}: "
            "nu poate fi expediat înainte de această dată.",
        )
    elif channel == "email" and sent_on != today:
        refuse("sent_on", "Un e-mail pleacă acum: data expedierii este ziua de azi.")
    reference = " ".join(str(raw.get("reference") or "").split()) or None
    if channel == "post" and reference is None:
        refuse(
            "reference",
            "Scrieți numărul trimiterii poștale (de exemplu RR123456789RO): "
            "fără el expedierea prin poștă nu poate fi dovedită.",
        )
    if reference and len(reference) > REFERENCE_MAX:
        refuse("reference", f"Referința are cel mult {REFERENCE_MAX} de caractere.")
    email = None
    if channel == "email":
        contact = (request.issuer_contact or "").strip()
        if request.reply_by != "email" or not _EMAIL.match(contact):
            refuse(
                "channel",
                "Petentul nu a dat o adresă de e-mail: răspunsul se trimite prin poștă "
                "sau se ridică personal.",
            )
        else:
            email = contact
    if errors:
        raise Invalid(errors, "Răspunsul nu a fost expediat: corectați datele.")
    return _Form(channel, sent_on, reference, email)


def dispatch_answer(
    session: Session,
    circuit: Circuit,
    user: User,
    request_id: int,
    raw: Mapping[str, Any],
    issuer: str,
    *,
    today: date | None = None,
) -> Dispatch:
    """Record that the registry sent an answer (by e-mail: send it now, with the PDF).

    Refused, with nothing changed: a second dispatch, post without its reference, a day in
    the future or before the answer, e-mail to someone who gave no address."""
    _require_registry(user)
    request = _answered(session, request_id)
    entry = request.answer_entry
    assert entry is not None
    done = by_entries(session, [entry.id]).get(entry.id)
    if done is not None:
        raise Conflict(
            f"Răspunsul nr. {entry.display} a fost deja expediat {describe(done)}.",
            code="already_dispatched",
        )
    form = _read(raw, request, entry, today or local_today())
    row = Dispatch(
        entry_id=entry.id,
        request_id=request.id,
        channel=form.channel,
        sent_on=form.sent_on,
        reference=form.reference,
        email=form.email,
        dispatched_by_id=user.id,
    )
    try:
        with session.begin_nested():  # two clerks at once: the second is told, not failed
            session.add(row)
    except IntegrityError:
        raise Conflict(
            f"Răspunsul nr. {entry.display} a fost deja expediat.", code="already_dispatched"
        ) from None
    audit.record(
        session,
        "answer_dispatched",
        actor_id=user.id,
        request_id=request.id,
        number=entry.display,
        channel=form.channel,
        sent_on=form.sent_on.isoformat(),
        reference=form.reference,
        email=form.email,
    )
    if form.email:  # last: once the e-mail has left, only the commit remains
        _email_answer(session, circuit, user, request, form.email, issuer)
    session.flush()
    return row


def _email_answer(
    session: Session, circuit: Circuit, user: User, request: Request, to: str, issuer: str
) -> None:
    content, name = receipts.answer_pdf(session, circuit, user, request.id, issuer)
    settings = circuit.settings
    body = "\n".join(
        [
            f"Bună ziua, {request.petitioner_name},",
            "",
            f"Vă transmitem alăturat răspunsul la cererea nr. {request.registration_display}"
            f" („{request.summary}”).",
            "",
            "Cu stimă,",
            settings.city_hall_name,
            "",
        ]
    )
    subject = f"Răspuns la cererea nr. {request.registration_display}"
    msg = mailer.compose(settings, [to], subject, body)
    msg.add_attachment(content, maintype="application", subtype="pdf", filename=name)
    try:
        mailer.deliver(settings, msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailFailed(
            f"E-mailul către {to} nu a putut fi trimis ({exc.__class__.__name__}); "
            "răspunsul rămâne de expediat. Încercați din nou sau alegeți poșta."
        ) from None


def tell_registry(session: Session, request: Request, entry: RegistryEntry) -> None:
    """Put an answer that must be sent on the registry's desk (a department notification)."""
    if not needs_dispatch(request):
        return
    how = CHANNELS.get(request.reply_by or "", "")
    notify.post(
        session,
        request,
        "dispatch",
        f"Expediere: răspunsul nr. {entry.display} la cererea nr. "
        f"{request.registration_display} se trimite {how} petentului fără cont "
        f"{request.petitioner_name}.",
        department=registry_department(),
        once=True,
    )
