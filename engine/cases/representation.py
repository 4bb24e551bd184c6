"""Representation: a citizen acts for a company (by CUI) or another person (by CNP) only once
the registry has checked the proof (împuternicire, certificat constatator) and accepted it.

A claim is `pending` until a registry official accepts or refuses it (a refusal says why);
the citizen is told either way. Two citizens may each claim the same company, each with their
own proof, each checked on its own. A request made for a company, or for a taxpayer other
than the applicant (a procedure whose catalog entry names `represented` fields, e.g. the
fiscal certificate), is refused with `403 company_not_verified` until the claim is accepted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases import documents
from engine.models import Company, Notification, RepresentationStatus, User
from engine.people import personal
from engine.people import rules as account_rules
from engine.people.cnp import cnp_problem, compact_cui
from engine.platform.dispatch import defer
from engine.platform.errors import Conflict, Forbidden, Invalid, NotFound
from engine.platform.timeutil import local_today, utcnow
from engine.workflow.catalog import AttachmentSpec, Procedure

PROOF = AttachmentSpec(
    name="proof",
    title="dovada reprezentării (împuternicirea sau certificatul constatator)",
    required=True,
    types=("application/pdf", "image/jpeg", "image/png"),
    max_bytes=10 * 1024 * 1024,
)
NOT_VERIFIED = "company_not_verified"
STATUS_WORDS = {
    RepresentationStatus.PENDING: "în așteptare",
    RepresentationStatus.ACCEPTED: "acceptată",
    RepresentationStatus.REFUSED: "refuzată",
}


def _proof_errors(proof: documents.Upload | None) -> tuple[list[dict[str, str]], str]:
    if proof is None or not proof.content:
        message = (
            "Atașați dovada reprezentării: împuternicirea sau certificatul constatator "
            "(PDF sau imagine)."
        )
        return [{"field": "/proof", "message": message}], ""
    try:
        [mime] = documents.check_uploads((PROOF,), [proof])
    except Invalid as exc:
        return [{"field": "/proof", "message": e["message"]} for e in exc.errors], ""
    return [], mime


def claim(
    session: Session,
    documents_dir: Path,
    user: User,
    *,
    name: str,
    proof: documents.Upload | None,
    cui: str | None = None,
    cnp: str | None = None,
) -> Company:
    """Ask to act for a company (CUI) or a person (CNP), with the proof; the registry checks it."""
    errors: dict[str, str] = {}
    vault = personal.vault()
    if cnp is not None:
        cnp = cnp.strip()
        if problem := cnp_problem(cnp, local_today()):
            errors["cnp"] = problem
        elif user.cnp_hash and vault.lookup_hash(cnp) == user.cnp_hash:
            errors["cnp"] = "Acesta este CNP-ul dumneavoastră: pentru el nu trebuie împuternicire."
        if problem := account_rules.name_problem(name):
            errors["name"] = problem
    else:
        found = account_rules.company_problems(cui, name)
        errors.update({k.removeprefix("company_"): v for k, v in found.items()})
    problems = account_rules.as_invalid(errors)
    proof_problems, mime = _proof_errors(proof)
    if problems or proof_problems:
        raise Invalid(problems + proof_problems)
    assert proof is not None
    if cnp is not None:
        digest = vault.lookup_hash(cnp)
        row = session.scalar(
            select(Company).where(Company.user_id == user.id, Company.cnp_hash == digest)
        )
        if row is None:
            row = Company(user_id=user.id, kind="person", cnp_hash=digest)
            row.cnp_encrypted = vault.encrypt(cnp)
    else:
        code = compact_cui(str(cui))
        row = session.scalar(select(Company).where(Company.user_id == user.id, Company.cui == code))
        if row is None:
            row = Company(user_id=user.id, kind="company", cui=code)
    if row.status == RepresentationStatus.ACCEPTED and row.id is not None:
        return row  # already accepted: a new proof changes nothing
    row.name = name.strip()
    row.status = RepresentationStatus.PENDING
    row.proof_sha256 = documents.store_bytes(documents_dir, proof.content)
    row.proof_name = documents.safe_filename(proof.filename, mime)
    row.proof_mime = mime
    row.reason = row.decided_at = row.decided_by_id = None
    row.created_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(session, "representation_claimed", actor_id=user.id, claim=row.id, kind=row.kind)
    return row


def mine(session: Session, user: User) -> list[Company]:
    """Return the companies and persons a citizen has asked to act for, with their status."""
    return list(
        session.scalars(select(Company).where(Company.user_id == user.id).order_by(Company.name))
    )


def may_check(user: User, registry_department: str) -> bool:
    """Tell whether this person checks proofs of representation (the registry, admins)."""
    return user.is_admin or registry_department in user.departments


def _require_checker(user: User, registry_department: str) -> None:
    if not may_check(user, registry_department):
        raise Forbidden("Numai registratura verifică dovezile de reprezentare.")


def pending(session: Session, user: User, registry_department: str) -> list[Company]:
    """Return the claims waiting for the registry's check, oldest first."""
    _require_checker(user, registry_department)
    return list(
        session.scalars(
            select(Company)
            .where(Company.status == RepresentationStatus.PENDING)
            .order_by(Company.id)
        )
    )


def claim_for_checker(
    session: Session, user: User, claim_id: int, registry_department: str
) -> Company:
    """Return a claim for the registry (or its own holder), 404 when it does not exist."""
    row = session.get(Company, claim_id)
    if row is None or (row.user_id != user.id and not may_check(user, registry_department)):
        raise NotFound("Cererea de reprezentare nu există.")
    return row


def proof_file(documents_dir: Path, row: Company) -> Path:
    """Return where the claim's proof is stored; NotFound when it has none (added before)."""
    if not row.proof_sha256:
        raise NotFound("Această cerere de reprezentare nu are o dovadă atașată.")
    return documents.blob_path(documents_dir, row.proof_sha256)


def represented(row: Company) -> str:
    """Say whom the claim is for: the company and its CUI, or the person and their CNP."""
    if row.kind == "person":
        cnp = personal.vault().decrypt(row.cnp_encrypted) or ""
        return f"{row.name} (CNP {cnp})"
    return f"{row.name} (CUI {row.cui})"


def decide(
    session: Session,
    official: User,
    claim_id: int,
    decision: Any,
    reason: Any,
    registry_department: str,
) -> Company:
    """Accept or refuse a pending claim (a refusal needs its reason) and tell the citizen."""
    _require_checker(official, registry_department)
    row = session.get(Company, claim_id, with_for_update=True)
    if row is None:
        raise NotFound("Cererea de reprezentare nu există.")
    reason = reason.strip() if isinstance(reason, str) else ""
    errors = []
    if decision not in ("accepted", "refused"):
        errors.append({"field": "/decision", "message": "Alegeți „accepted” sau „refused”."})
    elif decision == "refused" and not reason:
        errors.append(
            {"field": "/reason", "message": "Scrieți motivul refuzului: solicitantul îl va vedea."}
        )
    elif decision == "accepted" and not row.proof_sha256:
        errors.append(
            {
                "field": "/decision",
                "message": "Fără dovadă atașată, reprezentarea nu poate fi acceptată.",
            }
        )
    if len(reason) > 500:
        errors.append({"field": "/reason", "message": "Motivul are cel mult 500 de caractere."})
    if errors:
        raise Invalid(errors)
    if row.status != RepresentationStatus.PENDING:
        raise Conflict("Cererea de reprezentare a fost deja verificată.", code="already_decided")
    row.status = RepresentationStatus(decision)
    row.reason = reason or None
    row.decided_by_id, row.decided_at = official.id, utcnow()
    audit.record(
        session, f"representation_{decision}", actor_id=official.id, claim=row.id, kind=row.kind
    )
    whom = f"firma {row.name} (CUI {row.cui})" if row.kind == "company" else row.name
    if row.status == RepresentationStatus.ACCEPTED:
        text = f"Registratura a acceptat dovada: puteți depune cereri în numele: {whom}."
    else:
        text = f"Registratura a refuzat dovada de reprezentare pentru {whom}. Motivul: {reason}"
    note = Notification(
        user_id=row.user_id, kind="representation", message=text[:1000], created_at=utcnow()
    )
    session.add(note)
    session.flush()
    defer(session, "send_notification", note.id, job_id=f"notification-{note.id}")
    return row


def _not_verified(what: str) -> Forbidden:
    return Forbidden(
        f"Nu puteți depune cereri pentru {what} până când registratura nu acceptă dovada de "
        "reprezentare (împuternicirea sau certificatul constatator). Trimiteți-o din „Contul "
        "meu” și așteptați verificarea.",
        code=NOT_VERIFIED,
    )


def company_for(session: Session, user: User, cui: str | None) -> Company | None:
    """Return the accepted company with this CUI the person acts for (None for themselves)."""
    if not cui:
        return None
    code = compact_cui(str(cui))
    found = session.scalar(select(Company).where(Company.user_id == user.id, Company.cui == code))
    if found is None:
        raise Invalid(
            [
                {
                    "field": "/company",
                    "message": "Nu ați adăugat această firmă în contul dumneavoastră.",
                }
            ]
        )
    if found.status != RepresentationStatus.ACCEPTED:
        raise _not_verified(f"firma {found.name}")
    return found


def check_parties(session: Session, user: User, proc: Procedure, data: Any) -> None:
    """Refuse a request about another taxpayer (the catalog's `represented` fields) unless
    the applicant's representation of that person or company was accepted."""
    if not proc.represented or not isinstance(data, dict):
        return
    cnp = data.get(proc.represented.get("cnp_field", ""))
    if isinstance(cnp, str) and cnp.strip():
        digest = personal.vault().lookup_hash(cnp.strip())
        if digest != user.cnp_hash and not _accepted(session, user, Company.cnp_hash == digest):
            raise _not_verified("o altă persoană (CNP-ul din cerere nu este al dumneavoastră)")
    cui = data.get(proc.represented.get("cui_field", ""))
    if isinstance(cui, str) and cui.strip():
        try:
            code = compact_cui(cui)
        except Exception:  # the form's own pattern tells what is wrong
            return
        if not _accepted(session, user, Company.cui == code):
            raise _not_verified(f"firma cu CUI {code}")


def _accepted(session: Session, user: User, which: Any) -> bool:
    return (
        session.scalar(
            select(Company.id).where(
                Company.user_id == user.id, which, Company.status == RepresentationStatus.ACCEPTED
            )
        )
        is not None
    )
