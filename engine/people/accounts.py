"""People: accounts, Argon2 passwords, departments, API tokens that expire."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine import audit
from engine.models import Department, Membership, TaskRecord, TaskState, User
from engine.people import personal, rules, sessions
from engine.platform.errors import BadRequest
from engine.platform.timeutil import local_today, utcnow

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("circuit-dummy-password")
MIN_PASSWORD = rules.PASSWORD_MIN
MAX_PASSWORD = 128  # checked before hashing: a megabyte-long password costs seconds of Argon2
PASSWORD_TOO_LONG = f"Parola poate avea cel mult {MAX_PASSWORD} de caractere."


def hash_password(password: str) -> str:
    """Hash a password with Argon2id, refusing one over MAX_PASSWORD characters unhashed."""
    if len(password) > MAX_PASSWORD:
        raise BadRequest(PASSWORD_TOO_LONG, code="password_too_long")
    return _hasher.hash(password)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    email: str,
    name: str,
    password: str,
    *,
    departments: Sequence[str] = (),
    heads: Sequence[str] = (),
    is_admin: bool = False,
    cnp: str | None = None,
    birth_date: date | str | None = None,
    id_document: str | None = None,
    verified: bool = True,
    actor_id: int | None = None,
) -> User:
    """Create an account an administrator vouches for (verified); with departments an official.

    `actor_id` is the administrator who adds it on the admin pages (None: the command line)."""
    checked = rules.check_account(
        name=name,
        email=email,
        password=password,
        cnp=cnp,
        birth_date=birth_date,
        id_document=id_document,
        today=local_today(),
        identity_required=False,
    )
    if not checked.errors:
        if session.scalar(select(User.id).where(User.email == checked.email)) is not None:
            checked.errors["email"] = "Există deja un cont cu această adresă de e-mail."
        if checked.identity.cnp and cnp_taken(session, checked.identity.cnp):
            checked.errors["cnp"] = "Există deja un cont cu acest CNP."
    if checked.errors:
        raise BadRequest(" ".join(checked.errors.values()), errors=checked.errors)
    user = new_user(session, checked, password, verified=verified, is_admin=is_admin)
    for code in dict.fromkeys([*departments, *heads]):
        dept = session.get(Department, code)
        if dept is None:
            raise BadRequest(f"Compartimentul „{code}” nu există.")
        if not dept.active:
            raise BadRequest(f"Compartimentul „{dept.name}” ({code}) este dezactivat.")
        user.memberships.append(Membership(department_code=code, is_head=code in heads))
    session.flush()
    audit.record(
        session,
        "user_created",
        actor_id=actor_id,
        user=user.id,
        name=user.name,
        departments=list(departments),
        heads=list(heads),
        admin=is_admin,
    )
    return user


def cnp_taken(session: Session, cnp: str) -> bool:
    """Tell whether an account already has this CNP (found by its keyed hash)."""
    digest = personal.vault().lookup_hash(cnp)
    return session.scalar(select(User.id).where(User.cnp_hash == digest)) is not None


def new_user(
    session: Session,
    checked: rules.Checked,
    password: str,
    *,
    verified: bool,
    is_admin: bool = False,
) -> User:
    """Add a user from checked values, the CNP and document encrypted."""
    ident = checked.identity
    vault = personal.vault() if ident.cnp or ident.id_document else None
    user = User(
        email=checked.email,
        name=checked.name,
        password_hash=hash_password(password),
        is_admin=is_admin,
        birth_date=ident.birth_date,
        created_at=utcnow(),
        email_verified_at=utcnow() if verified else None,
    )
    if vault is not None and ident.cnp:
        user.cnp_encrypted = vault.encrypt(ident.cnp)
        user.cnp_hash = vault.lookup_hash(ident.cnp)
    if vault is not None and ident.id_document:
        user.id_document_encrypted = vault.encrypt(ident.id_document)
    session.add(user)
    session.flush()
    return user


def public_id(user_id: int) -> str:
    """Return the opaque id the API shows for an account (ids are not counted from outside)."""
    return "u" + personal.vault().lookup_hash(f"user:{user_id}")[:20]


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with these credentials; take as long when the e-mail is unknown."""
    if len(password) > MAX_PASSWORD or len(email) > 254:
        return None  # no such password can have been set: refused before any hashing
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def user_by_id(session: Session, user_id: int) -> User | None:
    """Return an active user with their departments (one query)."""
    user = session.get(User, user_id, options=[joinedload(User.memberships)])
    return user if user is not None and user.active else None


def active_admins(session: Session) -> int:
    """Return how many active administrators there are, locking their rows (PostgreSQL) so
    that two administrators closing each other's accounts at once cannot leave none."""
    query = select(User.id).where(User.is_admin.is_(True), User.active.is_(True))
    return len(session.scalars(query.with_for_update()).all())


def release_claims(session: Session, user: User, actor_id: int, reason: str) -> int:
    """Give every open task this user claimed back to its department's inbox; return how many."""
    rows = session.scalars(
        select(TaskRecord).where(
            TaskRecord.claimed_by_id == user.id, TaskRecord.state == TaskState.READY
        )
    ).all()
    for row in rows:
        row.claimed_by_id, row.claimed_at = None, None
        audit.task_event(session, "task_released", row, actor_id=actor_id, reason=reason)
    return len(rows)


def set_active(session: Session, user: User, active: bool) -> None:
    """Mark an account active or not; a deactivated one signs in nowhere (see sessions)."""
    user.active = active
    if not active:
        sessions.end_all(session, user.id)
