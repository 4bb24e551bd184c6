"""Read-side queries for inboxes, lists and detail pages; they never load a workflow."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import exists, func, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session, defer, joinedload

from engine.circuit import registry_department
from engine.models import (
    AuditEvent,
    Department,
    Document,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    User,
)
from engine.people import mydata
from engine.platform.errors import NotFound
from engine.workflow.spifftasks import APPLICANT_LANE


@dataclass(frozen=True)
class InboxRow:
    """A READY task with what an official needs to decide what to do first."""

    task: TaskRecord
    request: Request


class InboxOrder(str, Enum):
    OLDEST_REQUEST = "request"  # first come, first served: nobody is favoured
    NEAREST_DEADLINE = "due"


class InboxClaim(str, Enum):
    ANY = "any"
    FREE = "free"  # nobody has claimed it
    MINE = "mine"  # claimed by the official asking


def _inbox_filter(
    departments: list[str], claim: InboxClaim, user_id: int | None, head_of: Iterable[str]
) -> Any:
    cond = (TaskRecord.state == TaskState.READY) & TaskRecord.department.in_(departments)
    # A step reserved for heads (role=head) is listed only to those who head its department:
    # others could not take it (operations.task_for_official).
    heads = [d for d in head_of if d in departments]
    reserved = TaskRecord.role.is_distinct_from("head")
    cond &= (reserved | TaskRecord.department.in_(heads)) if heads else reserved
    if claim == InboxClaim.FREE:
        cond &= TaskRecord.claimed_by_id.is_(None)
    elif claim == InboxClaim.MINE:
        cond &= TaskRecord.claimed_by_id == user_id
    return cond


def department_inbox(
    session: Session,
    departments: list[str],
    *,
    limit: int = 50,
    offset: int = 0,
    order: InboxOrder = InboxOrder.OLDEST_REQUEST,
    claim: InboxClaim = InboxClaim.ANY,
    user_id: int | None = None,
    head_of: Iterable[str] = (),
) -> list[InboxRow]:
    """Return READY tasks of these departments, the oldest request (or nearest deadline) first;
    steps reserved for heads only of the departments in `head_of`."""
    if not departments:
        return []
    sort: tuple[InstrumentedAttribute[Any], ...] = (TaskRecord.request_created_at, TaskRecord.id)
    if order == InboxOrder.NEAREST_DEADLINE:
        sort = (TaskRecord.due_date, *sort)
    # The page's task ids first, from the tasks alone; only those rows are then read whole
    # with their requests: a later page skips its `offset` rows in the index, not in a join.
    page = (
        select(TaskRecord.id)
        .where(_inbox_filter(departments, claim, user_id, head_of))
        .order_by(*sort)
        .limit(limit)
        .offset(offset)
    )
    if len(set(departments)) > 1:
        # Each department's first rows come in index order; their merge is small. One query
        # over all of them would sort every READY task of every department first.
        firsts = [
            select(TaskRecord.id, *sort[:-1])  # the id, then the other columns of the order
            .where(_inbox_filter([code], claim, user_id, head_of))
            .order_by(*sort)
            .limit(offset + limit)
            .subquery()
            for code in sorted(set(departments))
        ]
        merged = union_all(*(select(first) for first in firsts)).subquery()
        merged_sort = [merged.c[column.key] for column in sort]
        page = select(merged.c.id).order_by(*merged_sort).limit(limit).offset(offset)
    rows = session.execute(
        select(TaskRecord, Request)
        .join(Request, Request.id == TaskRecord.request_id)
        .where(TaskRecord.id.in_(page))
        .order_by(*sort)
        .options(
            joinedload(TaskRecord.claimed_by),
            defer(Request.data),  # the inbox never shows the form data
            defer(Request.answer),
        )
    ).all()
    return [InboxRow(task, request) for task, request in rows]


INBOX_COUNT_CAP = 10_000


def inbox_count(
    session: Session,
    departments: list[str],
    *,
    claim: InboxClaim = InboxClaim.ANY,
    user_id: int | None = None,
    head_of: Iterable[str] = (),
    cap: int = INBOX_COUNT_CAP,
) -> int:
    """Count READY tasks of these departments (with the same filter as the inbox), up to
    `cap` + 1: counting tens of thousands exactly on every view of the inbox took 25-40 ms at
    a county's size, and "more than 10,000" tells an office as much."""
    if not departments:
        return 0
    matching = select(TaskRecord.id).where(_inbox_filter(departments, claim, user_id, head_of))
    counted = select(func.count()).select_from(matching.limit(cap + 1).subquery())
    return session.scalar(counted) or 0


def _touched_by(departments: list[str]) -> Any:
    return exists().where(
        TaskRecord.request_id == Request.id, TaskRecord.department.in_(departments)
    )


COUNT_CAP = 1000
# The registry follows every registration; the secretary general and the mayor supervise.
SUPERVISORS = {"secretar", "primar"}


def sees_all(user: User) -> bool:
    """Tell whether an official sees every request: the registry (the setting), supervisors."""
    departments = set(user.departments)
    return registry_department() in departments or bool(SUPERVISORS & departments)


def visible_requests(
    session: Session, user: User, *, page: int = 1, per_page: int = 20
) -> tuple[list[Request], int]:
    """Return a page of the requests this user may see, newest first, and how many there
    are, counted up to COUNT_CAP + 1 (a registry official may see tens of thousands)."""
    query = select(Request.id)
    if user.is_admin or sees_all(user):
        pass
    elif user.is_official:
        query = query.where(_touched_by(user.departments) | (Request.applicant_id == user.id))
    else:
        query = query.where(Request.applicant_id == user.id)
    total = (
        session.scalar(select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery())) or 0
    )
    ids = session.scalars(
        query.order_by(Request.created_at.desc(), Request.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    by_id = {
        r.id: r
        for r in session.scalars(
            select(Request).where(Request.id.in_(ids)).options(defer(Request.data))
        )
    }
    return [by_id[i] for i in ids], total


def request_for(session: Session, user: User, request_id: int) -> Request:
    """Return the request if this user may see it; otherwise NotFound, as for a missing id."""
    # An official's look is logged for the applicant to see (engine.people.mydata).
    request = _visible_request(session, user, request_id)
    mydata.record_access(session, user, request, mydata.OPENED, f"cererea {request.summary}")
    return request


def _visible_request(session: Session, user: User, request_id: int) -> Request:
    request = session.get(Request, request_id, options=[joinedload(Request.registry_entry)])
    if request is None:
        raise NotFound("Cererea nu există.")
    if request.applicant_id == user.id or user.is_admin:
        return request
    if sees_all(user):
        return request
    if user.is_official and session.scalar(
        select(TaskRecord.id)
        .where(TaskRecord.request_id == request.id, TaskRecord.department.in_(user.departments))
        .limit(1)
    ):
        return request
    raise NotFound("Cererea nu există.")


def steps(session: Session, request_id: int) -> list[TaskRecord]:
    """Return every user task of a request in the order it appeared."""
    return list(
        session.scalars(
            select(TaskRecord)
            .where(TaskRecord.request_id == request_id)
            .options(joinedload(TaskRecord.completed_by), joinedload(TaskRecord.claimed_by))
            .order_by(TaskRecord.created_at, TaskRecord.id)
        )
    )


def waiting_task(session: Session, request: Request) -> TaskRecord | None:
    """Return the task that waits for the applicant, if any."""
    if request.status != RequestStatus.WAITING_FOR_CITIZEN:
        return None
    return session.scalar(
        select(TaskRecord).where(
            TaskRecord.request_id == request.id,
            TaskRecord.state == TaskState.READY,
            TaskRecord.department == APPLICANT_LANE,
        )
    )


def request_documents(session: Session, request_id: int) -> list[Document]:
    return list(
        session.scalars(
            select(Document).where(Document.request_id == request_id).order_by(Document.id)
        )
    )


def document_for(session: Session, user: User, document_id: int) -> Document:
    """Return a document if the user may see its request."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("Documentul nu există.")
    request = _visible_request(session, user, doc.request_id)
    mydata.record_access(
        session, user, request, mydata.DOWNLOADED, f"documentul {doc.name}", document_id=doc.id
    )
    return doc


def departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def department_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in departments(session)}


def step_submissions(session: Session, request_id: int) -> dict[str, dict[str, Any]]:
    """Return what each completed task of a request was completed with, by task id."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.request_id == request_id, AuditEvent.action == "task_completed")
        .order_by(AuditEvent.id)
    )
    return {str(e.detail.get("task")): dict(e.detail.get("data") or {}) for e in events}
