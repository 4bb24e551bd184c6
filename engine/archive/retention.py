"""Retention: documents past the term the nomenclator gives their file code, listed for the
selection commission; none leaves the archive without its recorded decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.archive import nomenclator
from engine.archive.search import sees_all
from engine.circuit import Circuit
from engine.models import ArchiveDecision, ArchiveDocument, User
from engine.platform.errors import Forbidden, Invalid
from engine.platform.timeutil import local_today, utcnow

LIMIT = 1000
OUTCOMES = {"keep": "se păstrează", "eliminate": "se elimină"}


@dataclass(frozen=True)
class Due:
    doc: ArchiveDocument
    code: nomenclator.FileCode
    expired_on: date  # the first day after the term


def _require_commission(user: User) -> None:
    if not sees_all(user):
        raise Forbidden("Lista documentelor cu termen de păstrare împlinit este a arhivei.")


def past_retention(
    session: Session, circuit: Circuit, user: User, today: date | None = None
) -> list[Due]:
    """Return the documents whose term is over (counted from 1 January of the year after
    the document's), oldest first, that no decision has kept."""
    _require_commission(user)
    today = today or local_today()
    codes = nomenclator.load(circuit.settings.processes_dir, circuit.catalog)
    limited = {c.code: c for c in codes.values() if c.years is not None}
    kept = {
        i
        for ids in session.scalars(
            select(ArchiveDecision.document_ids).where(ArchiveDecision.outcome == "keep")
        )
        for i in ids
    }
    due = []
    rows = session.scalars(
        select(ArchiveDocument)
        .where(
            ArchiveDocument.file_code.in_(limited),
            ArchiveDocument.disposed_at.is_(None),
            ArchiveDocument.doc_date.is_not(None),
        )
        .order_by(ArchiveDocument.doc_date, ArchiveDocument.id)
    )
    for doc in rows:
        assert doc.file_code is not None and doc.doc_date is not None
        code = limited[doc.file_code]
        assert code.years is not None
        expires = date(doc.doc_date.year + 1 + code.years, 1, 1)
        if expires <= today and doc.id not in kept:
            due.append(Due(doc, code, expires))
            if len(due) >= LIMIT:
                break
    return due


def decide(
    session: Session,
    user: User,
    document_ids: list[int],
    outcome: str,
    number: str,
    reason: str,
    decided_on: date | None = None,
) -> ArchiveDecision:
    """Record the commission's decision; documents it eliminates leave the search (their
    rows and files stay, marked, until disposed of by hand under the minutes)."""
    _require_commission(user)
    errors = []
    if outcome not in OUTCOMES:
        errors.append({"field": "/outcome", "message": "Alegeți: se păstrează sau se elimină."})
    if not number.strip():
        errors.append({"field": "/number", "message": "Scrieți numărul procesului-verbal."})
    if not reason.strip():
        errors.append({"field": "/reason", "message": "Scrieți motivul deciziei."})
    if not document_ids:
        errors.append({"field": "/documents", "message": "Alegeți cel puțin un document."})
    if errors:
        raise Invalid(errors)
    decision = ArchiveDecision(
        number=number.strip()[:64],
        decided_on=decided_on or local_today(),
        outcome=outcome,
        reason=reason.strip()[:500],
        document_ids=sorted(set(document_ids)),
        decided_by_id=user.id,
    )
    session.add(decision)
    session.flush()
    if outcome == "eliminate":
        for doc in session.scalars(
            select(ArchiveDocument).where(ArchiveDocument.id.in_(document_ids))
        ):
            doc.disposed_at = utcnow()
    audit.record(
        session,
        "archive_decision",
        actor_id=user.id,
        decision=decision.id,
        outcome=outcome,
        number=decision.number,
        documents=decision.document_ids,
    )
    return decision
