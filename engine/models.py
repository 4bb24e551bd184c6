"""Typed tables: people, procedures, requests, the register, tasks, timers, audit."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.platform.db import Base
from engine.platform.timeutil import utcnow


class RequestStatus(str, enum.Enum):
    REGISTERED = "registered"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CITIZEN = "waiting_for_citizen"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @classmethod
    def closed(cls) -> tuple[RequestStatus, ...]:
        """Return the statuses of a request no one works on any more."""
        return (cls.COMPLETED, cls.REJECTED, cls.WITHDRAWN)

    @classmethod
    def open(cls) -> tuple[RequestStatus, ...]:
        """Return the statuses of a request still being worked on."""
        return tuple(status for status in cls if status not in cls.closed())

    @property
    def is_closed(self) -> bool:
        return self in RequestStatus.closed()


class TaskState(str, enum.Enum):
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class RepresentationStatus(str, enum.Enum):
    """Where a claim to act for a company or a person stands: the registry checks its proof."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class TimerStatus(str, enum.Enum):
    WAITING = "waiting"
    FIRED = "fired"
    CANCELLED = "cancelled"


def _enum(cls: type[enum.Enum]) -> Any:
    from sqlalchemy import Enum as SAEnum

    return SAEnum(
        cls,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # A department closed by an administrator: kept for history, offered to no one.
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # The CNP and identity document are encrypted (people.personal); cnp_hash finds duplicates.
    cnp_encrypted: Mapped[str | None] = mapped_column(Text)
    cnp_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    id_document_encrypted: Mapped[str | None] = mapped_column(Text)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def departments(self) -> list[str]:
        return sorted(m.department_code for m in self.memberships)

    @property
    def head_of(self) -> list[str]:
        return sorted(m.department_code for m in self.memberships if m.is_head)

    @property
    def is_official(self) -> bool:
        return bool(self.memberships)

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None


class Membership(Base):
    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), primary_key=True)
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="memberships")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A digest of the password hash the token was issued under: a new password ends it.
    stamp: Mapped[str] = mapped_column(String(32), default="", server_default="")


class WebSession(Base):
    """A signed-in browser, known on the server so that logging out ends it for good."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stamp: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ProcessVersion(Base):
    """One deployed version of a procedure: its process, diagram, forms and catalog entry,
    identified by the hash of all of them."""

    __tablename__ = "process_versions"
    __table_args__ = (
        UniqueConstraint(
            "procedure", "process_id", "content_hash", name="uq_process_versions_identity"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure: Mapped[str] = mapped_column(String(100), index=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    source: Mapped[bytes] = mapped_column(LargeBinary)
    # The files of the processes its call activities name, by file name.
    called_sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    catalog_entry: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # schemas by file name
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProcedureRecord(Base):
    """A procedure of the catalog and its current version (none once withdrawn)."""

    __tablename__ = "procedures"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    current_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_versions.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegistryCounter(Base):
    """The last number given in a year; its row lock makes numbering gap-free."""

    __tablename__ = "registry_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RegistryEntry(Base):
    """A line of the register (Instrucțiuni 217/1996 art. 9), chained by hash."""

    __tablename__ = "registry_entries"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_registry_year_number"),
        # The register's total for a period; the answers to a page's lines (migration 0020).
        Index("ix_registry_entries_registered_on", "registered_on"),
        Index("ix_registry_entries_linked", "linked_year", "linked_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    registered_on: Mapped[date] = mapped_column(Date)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    direction: Mapped[str] = mapped_column(String(8))  # "in" or "out"
    issuer: Mapped[str] = mapped_column(String(300))
    recipient: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(String(500))
    department: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: no cycle
    linked_number: Mapped[int | None] = mapped_column(Integer)
    linked_year: Mapped[int | None] = mapped_column(Integer)
    file_code: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    # The registry's own columns (engine/register/chain.py): how it came, the issuer's reference.
    channel: Mapped[str | None] = mapped_column(String(16))
    issuer_number: Mapped[str | None] = mapped_column(String(64))
    issuer_date: Mapped[date | None] = mapped_column(Date)
    pages: Mapped[int | None] = mapped_column(Integer)
    annexes: Mapped[int | None] = mapped_column(Integer)
    documents: Mapped[list[Any] | None] = mapped_column(JSON)  # [{name, mime, size, sha256}]
    search_text: Mapped[str | None] = mapped_column(Text)  # folded: no case, no diacritics
    # A retried registration (a double click, a client's retry) finds its first number.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    @property
    def display(self) -> str:
        return f"{self.number}/{self.registered_on:%d.%m.%Y}"


class Request(Base):
    """A citizen's request: one registered document and the workflow that handles it."""

    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key", name="uq_requests_idempotency"),
        Index("ix_requests_applicant_created", "applicant_id", "created_at"),
        Index("ix_requests_created", "created_at", "id"),
        # The register's page finds the requests of its lines and of its answers (0020).
        Index("ix_requests_registry_entry", "registry_entry_id"),
        Index("ix_requests_answer_entry", "answer_entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure: Mapped[str] = mapped_column(String(100), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), index=True)
    registry_entry_id: Mapped[int] = mapped_column(ForeignKey("registry_entries.id"))
    registration_number: Mapped[int] = mapped_column(Integer)
    registration_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    answer: Mapped[str | None] = mapped_column(Text)
    answer_entry_id: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A request the registry registered for someone without an account (applicant_id None):
    # the answer goes by post or e-mail to this contact.
    issuer_name: Mapped[str | None] = mapped_column(String(300))
    issuer_contact: Mapped[str | None] = mapped_column(String(300))
    reply_by: Mapped[str | None] = mapped_column(String(16))  # "post" or "email"
    # Conexare (OG 27/2002 art. 10 (1)): an identical petition of the same person,
    # answered with this one.
    joined_to_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)

    applicant: Mapped[User | None] = relationship(foreign_keys=[applicant_id])
    registry_entry: Mapped[RegistryEntry] = relationship(foreign_keys=[registry_entry_id])
    answer_entry: Mapped[RegistryEntry | None] = relationship(foreign_keys=[answer_entry_id])
    company: Mapped[Company | None] = relationship(foreign_keys=[company_id])

    @property
    def registration_display(self) -> str:
        return f"{self.registration_number}/{self.registration_date:%d.%m.%Y}"

    @property
    def petitioner_name(self) -> str:
        return self.applicant.name if self.applicant else (self.issuer_name or "")


class Dispatch(Base):
    """How an answer reached someone without an account (expediere): the channel, the day,
    the postal reference; one per outgoing register entry, written once."""

    __tablename__ = "dispatches"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("registry_entries.id"), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # post, email, in_person
    sent_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(64))  # the post's tracking number
    email: Mapped[str | None] = mapped_column(String(254))  # where an e-mail went
    dispatched_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Instance(Base):
    """The serialized SpiffWorkflow instance of a request (spec kept apart, by version)."""

    __tablename__ = "instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TaskRecord(Base):
    """A user task as the inboxes see it, kept in step with the instance."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_inbox", "state", "department", "request_created_at", "id"),
        # Inboxes of several departments read READY tasks in request order from here.
        Index(
            "ix_tasks_ready_order",
            "request_created_at",
            "id",
            postgresql_where=text("state = 'ready'"),
            sqlite_where=text("state = 'ready'"),
        ),
        Index(
            "ix_tasks_ready_due",
            "due_date",
            "request_created_at",
            "id",
            postgresql_where=text("state = 'ready'"),
            sqlite_where=text("state = 'ready'"),
        ),
        # An inbox's count reads this index alone: department, head's step, claim (0020).
        Index(
            "ix_tasks_ready_count",
            "department",
            "role",
            "claimed_by_id",
            postgresql_where=text("state = 'ready'"),
            sqlite_where=text("state = 'ready'"),
        ),
        Index("ix_tasks_request", "request_id", "created_at"),
        Index("ix_tasks_department_request", "department", "request_id"),
        Index("ix_tasks_instance_state", "instance_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task UUID
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    department: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    form: Mapped[str | None] = mapped_column(String(200))
    instructions: Mapped[str | None] = mapped_column(Text)
    state: Mapped[TaskState] = mapped_column(_enum(TaskState))
    due_date: Mapped[date] = mapped_column(Date)
    # A citizen task's own term (its `dueDateVariable`): the day the applicant must answer by.
    answer_by: Mapped[date | None] = mapped_column(Date)
    request_created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    request: Mapped[Request] = relationship(foreign_keys=[request_id])


class Timer(Base):
    """A timer event waiting in an instance; the worker fires it when due."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("task_id", name="uq_timers_task"),
        Index("ix_timers_instance", "instance_id"),
        Index("ix_timers_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    department: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[TimerStatus] = mapped_column(_enum(TimerStatus))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(Base):
    """A message for a person or for a whole department."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Document(Base):
    """A stored file (attachment, reply, issued document), content-addressed by SHA-256."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # attachment, reply, answer
    field: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # `field` is the slot's name; its title is kept as it read when the file came in, so a
    # later version of the procedure does not rename what the citizen sent.
    slot_title: Mapped[str | None] = mapped_column(String(200))


class PendingUpload(Base):
    """A good file of a refused form, held for its uploader until the form is accepted.

    Its bytes are stored by SHA-256 like a document's; it belongs to nothing else until then
    and expires after a while. The id is random: a form names the files it holds by it."""

    __tablename__ = "pending_uploads"
    __table_args__ = (Index("ix_pending_uploads_user", "user_id", "expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(120))  # the form: "start:<procedure>", ...
    slot: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One transition, append-only: who did what to which request, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Absence(Base):
    """An official away (leave, sick leave) for a range of days: nothing is assigned to them."""

    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_user", "user_id", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BridgeDay(Base):
    """A non-working day the Government adds (zi liberă punte), kept as data."""

    __tablename__ = "bridge_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Company(Base):
    """A party a person acts for — a company (by CUI) or another person (by CNP) — with the
    proof of representation (împuternicire, certificat constatator) the registry checks."""

    __tablename__ = "companies"
    __table_args__ = (
        UniqueConstraint("user_id", "cui", name="uq_companies_user_cui"),
        UniqueConstraint("user_id", "cnp_hash", name="uq_companies_user_cnp"),
        Index("ix_companies_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="company")  # company, person
    cui: Mapped[str | None] = mapped_column(String(12))  # a company's
    # A person's CNP, encrypted as the accounts' (engine.personal); cnp_hash finds it.
    cnp_encrypted: Mapped[str | None] = mapped_column(Text)
    cnp_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[RepresentationStatus] = mapped_column(
        _enum(RepresentationStatus), default=RepresentationStatus.PENDING
    )
    proof_sha256: Mapped[str | None] = mapped_column(String(64))  # the stored file
    proof_name: Mapped[str | None] = mapped_column(String(255))
    proof_mime: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))  # why it was refused
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class UsedLink(Base):
    """A single-use link (e-mail confirmation, password reset) that has been used."""

    __tablename__ = "used_links"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccessLogEntry(Base):
    """An official opened or changed a person's data (GDPR art. 15: who saw what, when)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_subject", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    official_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    action: Mapped[str] = mapped_column(String(32))  # opened, downloaded, changed
    what: Mapped[str] = mapped_column(String(300))

    official: Mapped[User] = relationship(foreign_keys=[official_id])


# The dashboards and the predicted answer date (engine.cases.stats) find requests answered in a
# period by when they were closed.
Index("ix_requests_closed_at", Request.closed_at)


class FailedJob(Base):
    """A background job that failed: retried with growing pauses, then parked for an
    administrator (`parked_at`), never dropped. Deleted when the job finally succeeds."""

    __tablename__ = "failed_jobs"
    __table_args__ = (
        UniqueConstraint("job_key", name="uq_failed_jobs_job_key"),
        Index("ix_failed_jobs_parked_next", "parked_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_key: Mapped[str] = mapped_column(String(100))  # the RQ job id: timer-…, notification-…
    name: Mapped[str] = mapped_column(String(64))  # the job function in engine.jobs
    args: Mapped[list[Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text)  # the last error, as the worker's log has it
    first_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    parked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ArchiveDocument(Base):
    """A document of the digital archive: a scan imported from paper, or a file Circuit
    registered or stored, with its metadata and its text (extracted or read by OCR)."""

    __tablename__ = "archive_documents"
    __table_args__ = (
        Index("ix_archive_documents_year_type", "year", "doc_type"),
        Index("ix_archive_documents_file_code", "file_code", "doc_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    doc_date: Mapped[date | None] = mapped_column(Date)
    year: Mapped[int | None] = mapped_column(Integer)
    registration: Mapped[str | None] = mapped_column(String(64))
    issuer: Mapped[str | None] = mapped_column(String(300))
    doc_type: Mapped[str | None] = mapped_column(String(100))
    file_code: Mapped[str | None] = mapped_column(String(64))  # the nomenclator's code
    # The person the document is about: a name, or a CNP kept encrypted (people.personal).
    person_name: Mapped[str | None] = mapped_column(String(200))
    person_cnp_encrypted: Mapped[str | None] = mapped_column(Text)
    person_cnp_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    stored_path: Mapped[str] = mapped_column(String(300))  # relative to the data directory
    original_name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    ocr_status: Mapped[str] = mapped_column(String(16))  # none, pending, done, failed
    source: Mapped[str] = mapped_column(String(16))  # import, registered, issued
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    registry_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_entries.id"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    department: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ArchiveDecision(Base):
    """The selection commission's decision on documents past their retention (Legea
    16/1996): kept, or eliminated; recorded before anything is deleted."""

    __tablename__ = "archive_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))  # the commission's minutes (proces-verbal)
    decided_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))  # keep, eliminate
    reason: Mapped[str] = mapped_column(String(500))
    document_ids: Mapped[list[Any]] = mapped_column(JSON)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Kept by migration 0018 beside these tables, for the archive's full-text search: on
# PostgreSQL a generated tsvector column and its GIN index, on SQLite the FTS5 tables; and
# by 0019 the listing's indexes (their DESC NULLS LAST and lower() differ by dialect).
Base.metadata.info.setdefault("beside_models", set()).update(
    {"search_vector", "ix_archive_documents_search", "archive_fts", "ix_archive_documents_listing"}
)


class IssuedDocument(Base):
    """A document the city hall issued (an answer, a certificate), signed with the
    institution's key: how it is found by its verification code and what its signature said."""

    __tablename__ = "issued_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    verification_code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    registry_entry_id: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.id"))
    registration: Mapped[str | None] = mapped_column(String(32))  # "<number>/<dd.mm.yyyy>"
    issued_to: Mapped[str] = mapped_column(String(300))
    signatory: Mapped[str | None] = mapped_column(String(300))  # "role: name" of the last signer
    signer: Mapped[str] = mapped_column(String(300))  # the certificate's subject
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    timestamped: Mapped[bool] = mapped_column(Boolean, default=False)
    development_key: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The files officials attached to the answer, as listed on the document.
    annexes: Mapped[list[Any] | None] = mapped_column(JSON)

    document: Mapped[Document] = relationship(foreign_keys=[document_id])
