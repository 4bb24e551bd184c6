"""Staff on the admin pages: officials and administrators listed, added (with a link to choose
their password), renamed, given departments and roles, deactivated and reactivated.

Leaving a department that a procedure needs with nobody in it is allowed once the
administrator confirms a warning that says what follows: an account must be closable at once
(someone leaves, a password leaks), and an empty department is a state the circuit already
handles (its procedures are not offered, routing to it is refused, the overview lists it
first). Every change is audited with who made it."""

from __future__ import annotations

import math
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from engine import audit
from engine.models import Department, Membership, TaskRecord, TaskState, User
from engine.people import account_mail, accounts, organisation, rules
from engine.platform import bounds
from engine.platform.errors import BadRequest, Conflict, Invalid, NotFound
from engine.platform.wording import count

if TYPE_CHECKING:
    from engine.circuit import Circuit

PER_PAGE = 25
TAKEN = "Există deja un cont cu această adresă de e-mail."
STATUSES = ("active", "inactive", "all")
RELEASED = "Contul funcționarului a fost dezactivat; sarcina s-a întors în lista compartimentului."


def fold(text: str) -> str:
    """Return text without diacritics, in lower case, for searching („Șerban” ~ „serban”)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True)
class StaffPage:
    """One page of the staff list."""

    people: list[User]
    total: int
    page: int
    pages: int


def list_staff(
    session: Session,
    *,
    query: str = "",
    department: str = "",
    status: str = "active",
    page: int = 1,
) -> StaffPage:
    """Return officials and administrators by name, found by words of their name or e-mail
    (without regard to case or diacritics), in a department, active or not, a page at a time."""
    staff = select(User.id, User.name, User.email).where(
        or_(User.is_admin.is_(True), User.id.in_(select(Membership.user_id)))
    )
    if department:
        members = select(Membership.user_id).where(Membership.department_code == department)
        staff = staff.where(User.id.in_(members))
    if status != "all":
        staff = staff.where(User.active.is_(status != "inactive"))
    words = fold(query).split()[:10]
    found = [
        uid
        for uid, name, email in session.execute(staff.order_by(User.name, User.id))
        if all(w in fold(name) or w in email.lower() for w in words)
    ]
    pages = max(1, math.ceil(len(found) / PER_PAGE))
    number = min(max(page, 1), pages)
    ids = found[(number - 1) * PER_PAGE : number * PER_PAGE]
    rows = session.scalars(
        select(User).where(User.id.in_(ids)).options(selectinload(User.memberships))
    )
    by_id = {u.id: u for u in rows}
    return StaffPage([by_id[i] for i in ids], len(found), number, pages)


def person(session: Session, user_id: Any) -> User:
    """Return an official or administrator by id, or NotFound (citizens are not staff)."""
    found = bounds.stored_id(user_id)
    user = session.get(User, found) if found is not None else None
    if user is None or not (user.is_admin or user.memberships):
        raise NotFound("Persoana nu există.")
    return user


def _codes(raw: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(c).strip() for c in raw if str(c).strip()))[:100]


def _department_problem(
    session: Session, departments: Sequence[str], is_admin: bool, new: Sequence[str] | None = None
) -> str | None:
    """Say what is wrong with the departments chosen for someone (of them, the `new` ones are
    checked to exist and be open; all of them by default), if anything."""
    if not departments and not is_admin:
        return "Alegeți cel puțin un compartiment sau bifați „Administrator”."
    for code in departments if new is None else new:
        dept = session.get(Department, code)
        if dept is None:
            return f"Compartimentul „{code}” nu există."
        if not dept.active:
            return f"Compartimentul „{dept.name}” este dezactivat."
    return None


def add_official(
    session: Session,
    actor: User,
    *,
    name: str,
    email: str,
    departments: Iterable[Any] = (),
    heads: Iterable[Any] = (),
    is_admin: bool = False,
) -> User:
    """Add an official (or an administrator) and e-mail them a link to choose their password.

    No password is shown or sent: the account's is random until the link is used."""
    organisation.require_admin(actor)
    depts, head_of = _codes(departments), _codes(heads)
    depts = list(dict.fromkeys([*depts, *head_of]))
    errors: dict[str, str] = {}
    if problem := rules.name_problem(name or ""):
        errors["name"] = problem
    normalized, problem = rules.check_email(email or "")
    if problem:
        errors["email"] = problem
    elif session.scalar(select(User.id).where(User.email == normalized)) is not None:
        errors["email"] = TAKEN
    if problem := _department_problem(session, depts, is_admin):
        errors["departments"] = problem
    if errors:
        raise Invalid(rules.as_invalid(errors))
    try:
        user = accounts.create_user(
            session,
            normalized,
            " ".join(name.split()),
            secrets.token_urlsafe(32),  # known to no one; replaced through the e-mailed link
            departments=depts,
            heads=head_of,
            is_admin=is_admin,
            actor_id=actor.id,
        )
    except IntegrityError:  # another administrator added the same address a moment ago
        raise Invalid(rules.as_invalid({"email": TAKEN})) from None
    except BadRequest as exc:  # a department closed a moment ago
        raise Invalid(
            rules.as_invalid(exc.extra.get("errors") or {"departments": exc.message})
        ) from None
    account_mail.ask(session, account_mail.WELCOME, user.id)
    return user


def rename(session: Session, actor: User, user_id: Any, name: str) -> User:
    """Give a person a new name (as it appears on tasks, answers and the register)."""
    organisation.require_admin(actor)
    user = person(session, user_id)
    if problem := rules.name_problem(name or ""):
        raise Invalid([{"field": "/name", "message": problem}])
    name = " ".join(name.split())
    if name != user.name:
        audit.record(
            session, "user_renamed", actor_id=actor.id, user=user.id, old=user.name, new=name
        )
        user.name = name
    return user


@dataclass(frozen=True)
class Emptied:
    """A department someone's change would leave with nobody (or with no head, when tasks
    reserved for heads wait there), and what waits on it."""

    code: str
    name: str
    open_tasks: int
    procedures: list[str]
    head_tasks: int = 0  # only for a department left without a head

    def sentence(self) -> str:
        """Say, in Romanian, what follows for citizens and for the work already there."""
        if self.head_tasks:
            waiting = count(
                self.head_tasks, "sarcină rezervată șefilor", "sarcini rezervate șefilor"
            )
            return (
                f"Compartimentul „{self.name}” rămâne fără șef: {waiting} "
                f"{'va' if self.head_tasks == 1 else 'vor'} aștepta până când numiți alt șef."
            )
        parts = [f"Compartimentul „{self.name}” rămâne fără personal"]
        if self.open_tasks:
            waiting = count(self.open_tasks, "sarcină deschisă", "sarcini deschise")
            verb = "va" if self.open_tasks == 1 else "vor"
            parts.append(f"{waiting} {verb} aștepta acolo până când adăugați pe cineva")
        if self.procedures:
            listed = ", ".join(f"„{p}”" for p in self.procedures)
            parts.append(
                f"procedurile {listed} nu mai pot fi depuse: catalogul le arată ca "
                "temporar indisponibile"
            )
        return "; ".join(parts) + "."


def _others(session: Session, user: User, code: str, *, heads: bool = False) -> int:
    """Count the other active people of a department (its other heads with `heads`)."""
    query = (
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.department_code == code,
            Membership.user_id != user.id,
            User.active.is_(True),
        )
    )
    if heads:
        query = query.where(Membership.is_head.is_(True))
    return int(session.scalar(query) or 0)


def _head_tasks(session: Session, code: str) -> int:
    query = select(func.count()).select_from(TaskRecord)
    return int(
        session.scalar(
            query.where(
                TaskRecord.department == code,
                TaskRecord.state == TaskState.READY,
                TaskRecord.role == "head",
            )
        )
        or 0
    )


def emptied(
    session: Session,
    circuit: Circuit,
    user: User,
    keeps: Iterable[str],
    keeps_heads: Iterable[str] = (),
) -> list[Emptied]:
    """Return the departments that would have nobody if this user kept only `keeps` (heading
    `keeps_heads`), among those a procedure needs or with open tasks; and those that would
    have no head while tasks reserved for heads wait there."""
    if not user.active:
        return []
    kept, kept_heads = set(keeps), set(keeps_heads)
    tasks, needs = organisation.open_tasks(session), organisation.needed_by(session, circuit)
    names = organisation.department_names(session)
    out = []
    for code in sorted(set(user.departments) - kept):
        if not _others(session, user, code) and (tasks.get(code) or needs.get(code)):
            out.append(
                Emptied(code, names.get(code, code), tasks.get(code, 0), needs.get(code, []))
            )
    emptied_codes = {e.code for e in out}
    for code in sorted(set(user.head_of) - kept_heads - emptied_codes):
        waiting = _head_tasks(session, code) if code in tasks else 0
        if waiting and not _others(session, user, code, heads=True):
            out.append(Emptied(code, names.get(code, code), tasks[code], [], waiting))
    return out


def _confirm(effects: list[Emptied], acknowledged: bool) -> None:
    if effects and not acknowledged:
        message = " ".join(e.sentence() for e in effects)
        raise Conflict(
            f"{message} Confirmați dacă doriți totuși schimbarea.",
            code="leaves_unstaffed",
            warnings=[e.sentence() for e in effects],
        )


def _keep_an_admin(session: Session, actor: User, user: User, message: str) -> None:
    if user.id == actor.id:
        raise Conflict(message, code="own_account")
    if user.active and accounts.active_admins(session) <= 1:
        raise Conflict(
            "Este singurul administrator activ: numiți mai întâi un alt administrator.",
            code="last_admin",
        )


def set_roles(
    session: Session,
    circuit: Circuit,
    actor: User,
    user_id: Any,
    *,
    departments: Iterable[Any],
    heads: Iterable[Any] = (),
    is_admin: bool,
    acknowledged: bool = False,
) -> User:
    """Set a person's departments, which of them they head, and whether they administer."""
    organisation.require_admin(actor)
    user = person(session, user_id)
    depts, head_of = _codes(departments), _codes(heads)
    depts = list(dict.fromkeys([*depts, *head_of]))
    current = {m.department_code: m for m in user.memberships}
    # A department closed since keeps a person already in it; no one new is put there.
    new = [c for c in depts if c not in current]
    if problem := _department_problem(session, depts, is_admin, new):
        raise Invalid([{"field": "/departments", "message": problem}])
    if user.is_admin and not is_admin:
        _keep_an_admin(
            session, actor, user, "Nu vă puteți retrage singur dreptul de administrator."
        )
    _confirm(emptied(session, circuit, user, depts, head_of), acknowledged)
    before = {"departments": user.departments, "heads": user.head_of, "admin": user.is_admin}
    for code, membership in current.items():
        if code not in depts:
            user.memberships.remove(membership)
        else:
            membership.is_head = code in head_of
    for code in new:
        user.memberships.append(Membership(department_code=code, is_head=code in head_of))
    user.is_admin = is_admin
    session.flush()
    after = {"departments": user.departments, "heads": user.head_of, "admin": user.is_admin}
    if after != before:
        audit.record(
            session, "user_roles_changed", actor_id=actor.id, user=user.id, name=user.name,
            old=before, new=after,
        )  # fmt: skip
    return user


@dataclass(frozen=True)
class Deactivation:
    """What deactivating a person does, shown before it is done: why it is refused, if it is;
    the tasks that go back to their departments; the departments left with nobody."""

    refused: str | None
    claimed: int
    emptied: list[Emptied]


def deactivation_preview(
    session: Session, circuit: Circuit, actor: User, user_id: Any
) -> Deactivation:
    """Say what deactivating this person would do, or why it cannot be done."""
    organisation.require_admin(actor)
    user = person(session, user_id)
    refused = None
    try:
        if user.is_admin or user.id == actor.id:
            _keep_an_admin(session, actor, user, "Nu vă puteți dezactiva propriul cont.")
    except Conflict as exc:
        refused = exc.message
    claimed = session.scalar(
        select(func.count())
        .select_from(TaskRecord)
        .where(TaskRecord.claimed_by_id == user.id, TaskRecord.state == TaskState.READY)
    )
    return Deactivation(refused, int(claimed or 0), emptied(session, circuit, user, ()))


def deactivate(
    session: Session, circuit: Circuit, actor: User, user_id: Any, *, acknowledged: bool = False
) -> User:
    """Close an account: it cannot sign in, its sessions and API tokens end, its claimed
    tasks go back to their departments' inboxes (it keeps its departments, to come back)."""
    organisation.require_admin(actor)
    user = person(session, user_id)
    if not user.active:
        return user
    if user.is_admin or user.id == actor.id:
        _keep_an_admin(session, actor, user, "Nu vă puteți dezactiva propriul cont.")
    _confirm(emptied(session, circuit, user, ()), acknowledged)
    released = accounts.release_claims(session, user, actor.id, RELEASED)
    accounts.set_active(session, user, False)
    audit.record(
        session, "user_deactivated", actor_id=actor.id, user=user.id, name=user.name,
        released=released,
    )  # fmt: skip
    return user


def reactivate(session: Session, actor: User, user_id: Any) -> User:
    """Open a closed account again, in the departments it had (its old password works)."""
    organisation.require_admin(actor)
    user = person(session, user_id)
    if not user.active:
        accounts.set_active(session, user, True)
        audit.record(session, "user_reactivated", actor_id=actor.id, user=user.id, name=user.name)
    return user
