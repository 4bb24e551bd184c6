"""Documents the city hall issues: rendered from the procedure's template (HTML and CSS, kept
as data beside the catalog, in CIRCUIT_ACTS_DIR) to PDF/A with WeasyPrint, signed with the
institution's key (PAdES), stored with the request, and found again by a short verification
code that anyone can check."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases import documents
from engine.circuit import Circuit
from engine.models import (
    AuditEvent,
    Department,
    Document,
    IssuedDocument,
    RegistryEntry,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    User,
)
from engine.platform import signing
from engine.platform.config import SHIPPED_ROOT, Settings
from engine.platform.errors import NotFound
from engine.platform.fonts import font_paths
from engine.platform.timeutil import BUCHAREST, as_aware, utcnow
from engine.workflow import spifftasks

log = logging.getLogger(__name__)

# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand stays one code.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
VALIDITY_DAYS = {"atestare_fiscala": 30}  # acts valid for a time from their issue
DEFAULT_TEMPLATE = "default.html"


def new_code() -> str:
    """Return a random verification code (10 symbols, 50 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """Read a code as a person may type it (lower case, hyphens, O for 0); None if it cannot
    be one."""
    code = re.sub(r"[\s-]", "", raw or "").upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def mask_name(name: str) -> str:
    """Keep each word's first letter: „Ion Popescu” → „I** P******”."""
    return " ".join(w[0] + "*" * (len(w) - 1) if w else w for w in (name or "").split())


def _local_date(moment: datetime) -> str:
    return f"{as_aware(moment).astimezone(BUCHAREST):%d.%m.%Y}"


def _sentence(text: str) -> str:
    """End a piece of text with one full stop (or its own !, ?, …), never two."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\.{2,}$", ".", text)
    text = re.sub(r"\.\.(?=\s|$)", ".", text)
    if text and text[-1] not in ".!?…:;":
        text += "."
    return text


def paragraphs(value: Any) -> Markup:
    """Turn a text an official wrote into escaped paragraphs, each ending in one full stop."""
    text = "" if value is None else str(value)
    parts = [p for p in (line.strip() for line in text.splitlines()) if p]
    return Markup("\n").join(Markup("<p>{}</p>").format(_sentence(p)) for p in parts)


@dataclass(frozen=True)
class Person:
    role: str
    name: str


def approvals(session: Session, request_id: int) -> list[Person]:
    """Return everyone who approved or signed in the workflow, in order, each once per step
    (the latest time): the steps with a `signature` property with the role they name, and
    the steps a department's head completed (approvals, signatures) with the step's name."""
    departments = {
        code: name for code, name in session.execute(select(Department.code, Department.name))
    }
    signed = session.execute(
        select(AuditEvent, User.name)
        .join(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.request_id == request_id, AuditEvent.action == "answer_signed")
        .order_by(AuditEvent.id)
    ).all()
    by_step: dict[str, tuple[datetime, Person]] = {}
    signed_tasks: set[str] = set()
    for event, name in signed:
        role = str(event.detail.get("role") or "")
        department = departments.get(str(event.detail.get("department")), "")
        role = role.replace("{compartiment}", department)
        step = str(event.detail.get("step"))
        by_step.pop(step, None)
        by_step[step] = (event.at, Person(role, name))
        signed_tasks.add(str(event.detail.get("task")))
    heads = session.execute(
        select(TaskRecord, User.name)
        .join(User, User.id == TaskRecord.completed_by_id)
        .where(
            TaskRecord.request_id == request_id,
            TaskRecord.state == TaskState.COMPLETED,
            TaskRecord.role == "head",
        )
        .order_by(TaskRecord.completed_at)
    ).all()
    for task, name in heads:
        if task.id in signed_tasks or task.bpmn_id in by_step:
            continue
        department = departments.get(task.department, task.department)
        role = f"Șeful compartimentului {department}"
        by_step[task.bpmn_id] = (task.completed_at or task.created_at, Person(role, name))
    ordered = sorted(by_step.values(), key=lambda pair: as_aware(pair[0]))
    return [person for _, person in ordered]


def _fetcher(allowed: set[str]) -> Any:
    """A WeasyPrint URL fetcher that reads the fonts and data: URIs (the QR code), nothing
    else: a template or a citizen's text naming a file or an address gets nothing."""
    from weasyprint.urls import URLFetcher

    class Restricted(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:") or url in allowed:
                return super().fetch(url, headers)
            raise ValueError(f"not fetched: {url[:80]}")

    return Restricted(allowed_protocols=("data", "file"), allow_redirects=False)


def _environment(acts_dir: Path) -> SandboxedEnvironment:
    folders = [acts_dir]
    shipped = SHIPPED_ROOT / "acts"
    if shipped.resolve() != acts_dir.resolve():
        folders.append(shipped)  # a city hall's folder may hold only the templates it changes
    # Templates are the designers' data, like the diagrams: sandboxed, no Python reachable.
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paragraphs"] = paragraphs
    env.filters["sentence"] = _sentence
    return env


def template_name(env: jinja2.Environment, procedure: str, status: RequestStatus) -> str:
    """The procedure's own template for the act it issues; the default answer for the rest
    and for every refusal (a refusal is not the act)."""
    if status == RequestStatus.COMPLETED:
        name = f"{procedure}.html"
        try:
            env.get_template(name)
            return name
        except jinja2.TemplateNotFound:
            pass
    return DEFAULT_TEMPLATE


def _qr(url: str) -> str:
    import segno

    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=0))


@dataclass(frozen=True)
class Rendered:
    title: str
    html: str


def render(
    settings: Settings,
    request: Request,
    procedure_title: str,
    data: dict[str, Any],
    people: list[Person],
    annexes: list[dict[str, Any]],
    code: str,
    outgoing: str | None,
    issued_at: datetime,
    development_key: bool,
) -> Rendered:
    """Fill the procedure's template (the default one if it has none)."""
    env = _environment(settings.acts_dir)
    template = env.get_template(template_name(env, request.procedure, request.status))
    fonts = font_paths()
    faces = "\n".join(
        f"@font-face {{ font-family: CircuitSans; font-weight: {'bold' if style else 'normal'}; "
        f"src: url('{path.as_uri()}'); }}"
        for style, path in fonts.items()
    )
    verify_url = f"{settings.base_url.rstrip('/')}/verificare/{code}"
    validity = VALIDITY_DAYS.get(request.procedure)
    local_issue = as_aware(issued_at).astimezone(BUCHAREST)
    hall = settings.city_hall
    context = {
        "font_faces": Markup(faces),
        "city_hall": {
            "name": settings.city_hall_name,
            "address": hall.address,
            "phone": hall.phone,
            "email": hall.email,
            "cif": hall.cif,
        },
        "outgoing": outgoing,
        "issued_on": f"{local_issue:%d.%m.%Y}",
        "valid_until": f"{local_issue.date() + timedelta(days=validity - 1):%d.%m.%Y}"
        if validity
        else None,
        "request": {
            "registration": request.registration_display,
            "petitioner": request.company.name if request.company else request.petitioner_name,
            "summary": request.summary,
            "procedure": procedure_title,
            "submitted_on": _local_date(request.created_at),
        },
        "status": request.status.value,
        "data": data,
        "answer": request.answer or "",
        "approvals": people[:-1] if len(people) > 1 else [],
        "signatory": people[-1] if people else None,
        "annexes": annexes,
        "code": code,
        "verify_url": verify_url,
        "qr": _qr(verify_url),
        "development_key": development_key,
    }
    module = template.make_module(context)
    title = str(
        getattr(module, "title", "") or f"Răspuns la cererea nr. {request.registration_display}"
    )
    return Rendered(title, str(module))


def to_pdf(html: str) -> bytes:
    """Print the HTML as PDF/A-3b with the fonts embedded."""
    import weasyprint

    allowed = {path.as_uri() for path in font_paths().values()}
    document = weasyprint.HTML(string=html, url_fetcher=_fetcher(allowed))
    return bytes(document.write_pdf(pdf_variant="pdf/a-3b"))


def institution(settings: Settings) -> signing.Institution:
    return signing.institution(settings.signing, settings.data_dir, settings.city_hall_name)


def process_data(workflow: Any) -> dict[str, Any]:
    """The process's variables as it ended: the last completed step's data, with the
    workflow's own data over it (what the end events left)."""
    latest = None
    for task in spifftasks.all_tasks(workflow, state=SpiffState.COMPLETED):
        if latest is None or task.last_state_change > latest.last_state_change:
            latest = task
    data = dict(latest.data) if latest is not None else {}
    data.update(workflow.data or {})
    return data


def annexes(session: Session, request_id: int) -> list[dict[str, Any]]:
    """The files officials attached to the answer of a request, in the order they came, each
    with the number it was registered under (engine.cases.annexes)."""
    docs = list(
        session.scalars(
            select(Document)
            .where(Document.request_id == request_id, Document.kind == "annex")
            .order_by(Document.id)
        )
    )
    if not docs:
        return []
    entries = session.scalars(
        select(RegistryEntry)
        .where(RegistryEntry.request_id == request_id, RegistryEntry.direction == "out")
        .order_by(RegistryEntry.id)
    )
    numbers: dict[str, str] = {}
    for entry in entries:
        for listed in entry.documents or []:
            numbers.setdefault(str(listed.get("sha256")), entry.display)
    return [
        {
            "id": d.id,
            "name": d.name,
            "registration": numbers.get(d.sha256),
            "sha256": d.sha256,
            "size": d.size,
        }
        for d in docs
    ]


def _slug(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60] or "document"


def issue(
    session: Session, circuit: Circuit, request: Request, data: dict[str, Any] | None = None
) -> IssuedDocument | None:
    """Issue the document a closed request owes its applicant (an answer, an act): render,
    sign, store, and record it under a new verification code. Nothing for a request with no
    answer registered, or one that already has its document."""
    if request.answer_entry_id is None or request.status not in (
        RequestStatus.COMPLETED,
        RequestStatus.REJECTED,
    ):
        return None
    if session.scalar(select(IssuedDocument.id).where(IssuedDocument.request_id == request.id)):
        return None
    settings = circuit.settings
    proc = circuit.catalog.get(request.procedure)
    merged = {**(request.data or {}), **(data or {})}
    entry = request.answer_entry
    outgoing = entry.display if entry is not None else None  # "7/28.11.2026"
    now = utcnow()
    attached = annexes(session, request.id)
    code = new_code()
    while session.scalar(select(IssuedDocument.id).where(IssuedDocument.verification_code == code)):
        code = new_code()
    people = approvals(session, request.id)
    try:
        who = institution(settings)
        rendered = render(
            settings,
            request,
            proc.title if proc else request.procedure,
            merged,
            people,
            attached,
            code,
            outgoing,
            now,
            who.development,
        )
        pdf = to_pdf(rendered.html)
        signed = signing.sign_pdf(
            pdf, who, reason=f"{rendered.title}, nr. {outgoing}", location=settings.city_hall_name
        )
    except Exception as exc:  # a broken template, no Pango, an unreachable TSA, a bad key
        # The answer stays registered and readable (answer.pdf prints it unsigned); closing
        # the request must not wait for the printer. The failure is logged and audited.
        log.exception("request %s: the issued document could not be made", request.id)
        audit.record(
            session,
            "document_not_issued",
            request_id=request.id,
            reason=f"{type(exc).__name__}: {exc}"[:500],
        )
        return None
    digest = documents.store_bytes(settings.documents_dir, signed)
    # Named as Circuit always named its answers, by the request's number: „raspuns-7-2026.pdf”.
    stem = "raspuns" if rendered.title.startswith("Răspuns") else _slug(rendered.title)
    doc = Document(
        request_id=request.id,
        kind="issued",
        field="issued",
        name=f"{stem}-{request.registration_number}-{request.registration_date:%Y}.pdf",
        mime="application/pdf",
        size=len(signed),
        sha256=digest,
        uploaded_by_id=None,
        slot_title=rendered.title[:200],
        created_at=now,
    )
    session.add(doc)
    session.flush()
    signatory = people[-1] if people else None
    issued = IssuedDocument(
        document_id=doc.id,
        request_id=request.id,
        verification_code=code,
        title=rendered.title[:300],
        registry_entry_id=request.answer_entry_id,
        registration=outgoing,
        issued_to=(request.company.name if request.company else request.petitioner_name)[:300],
        signatory=f"{signatory.role}: {signatory.name}"[:300] if signatory else None,
        signer=who.common_name[:300],
        signed_at=now,
        timestamped=bool(who.tsa_url),
        development_key=who.development,
        sha256=digest,
        annexes=attached or None,
    )
    session.add(issued)
    session.flush()
    audit.record(
        session,
        "document_issued",
        request_id=request.id,
        document_id=doc.id,
        code=code,
        sha256=digest,
        title=issued.title,
    )
    return issued


def issued_for(session: Session, request_id: int) -> IssuedDocument | None:
    """The latest document issued for a request, if any."""
    return session.scalar(
        select(IssuedDocument)
        .where(IssuedDocument.request_id == request_id)
        .order_by(IssuedDocument.id.desc())
        .limit(1)
    )


def codes_by_document(session: Session, document_ids: list[int]) -> dict[int, str]:
    """The verification code of each issued document among these."""
    if not document_ids:
        return {}
    rows = session.execute(
        select(IssuedDocument.document_id, IssuedDocument.verification_code).where(
            IssuedDocument.document_id.in_(document_ids)
        )
    )
    return {doc_id: code for doc_id, code in rows}


def stored_pdf(settings: Settings, issued: IssuedDocument) -> bytes:
    path = documents.blob_path(settings.documents_dir, issued.sha256)
    return path.read_bytes() if path.is_file() else b""


def find(session: Session, raw_code: str) -> IssuedDocument:
    """Return the issued document with this code (NotFound if none)."""
    code = normalise_code(raw_code)
    issued = (
        session.scalar(select(IssuedDocument).where(IssuedDocument.verification_code == code))
        if code
        else None
    )
    if issued is None:
        raise NotFound(
            "Nu există niciun document emis cu acest cod de verificare.", code="not_found"
        )
    return issued


def _iso(moment: datetime | None) -> str | None:
    return as_aware(moment).astimezone(BUCHAREST).isoformat() if moment else None


def verification(session: Session, circuit: Circuit, raw_code: str) -> dict[str, Any]:
    """What anyone may learn of an issued document from its code: its title, number, date,
    the person it was issued to (masked), who signed it, its hash, and whether the stored
    file's signature checks against the institution's root."""
    issued = find(session, raw_code)
    check = signing.check_pdf(
        stored_pdf(circuit.settings, issued), institution(circuit.settings).trust_roots
    )
    return {
        "code": issued.verification_code,
        "title": issued.title,
        "registration": issued.registration,
        "issued_at": _iso(issued.signed_at),
        "issued_to": mask_name(issued.issued_to),
        "signed_by": issued.signatory or issued.signer,
        "sha256": issued.sha256,
        "development_key": issued.development_key,
        "signature": {
            "valid": check.valid,
            "signer": check.signer,
            "signed_at": _iso(check.signed_at),
        },
    }


def compare(session: Session, circuit: Circuit, raw_code: str, content: bytes) -> dict[str, bool]:
    """Say whether a file is byte for byte the document issued under this code, and whether
    the file's own signature checks against the institution's root."""
    issued = find(session, raw_code)
    identical = hashlib.sha256(content).hexdigest() == issued.sha256
    check = signing.check_pdf(content, institution(circuit.settings).trust_roots)
    return {"identical": identical, "signature_valid": check.valid}
