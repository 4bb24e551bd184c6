"""A person's own account: change name, e-mail (confirmed again) and password."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import Company, RepresentationStatus, User
from engine.people import account_mail, accounts, rules
from engine.platform.errors import Invalid


def change_name(session: Session, user: User, name: str) -> User:
    """Change the name shown on requests from now on."""
    problem = rules.name_problem(name)
    if problem:
        raise Invalid([{"field": "/name", "message": problem}])
    user.name = name.strip()
    audit.record(session, "profile_name_changed", actor_id=user.id)
    return user


def change_email(session: Session, user: User, email: str) -> str:
    """Send a confirmation link to a new address; it replaces the old one once confirmed."""
    normalized, problem = rules.check_email(email)
    if problem is None and normalized == user.email:
        problem = "Aceasta este deja adresa contului."
    if problem:
        raise Invalid([{"field": "/email", "message": problem}])
    # Whether the new address has an account is not told here: the link just will not work.
    account_mail.ask(session, account_mail.VERIFY, user.id, normalized)
    account_mail.ask(session, account_mail.EMAIL_CHANGED, user.id, normalized)
    audit.record(session, "profile_email_change_asked", actor_id=user.id)
    return normalized


def change_password(session: Session, user: User, current: str, new: str) -> User:
    """Change the password after checking the current one."""
    errors: dict[str, str] = {}
    if accounts.authenticate(session, user.email, current) is None:
        errors["current_password"] = "Parola actuală nu este corectă."
    if problem := rules.password_problem(new):
        errors["new_password"] = problem
    if errors:
        raise Invalid(rules.as_invalid(errors))
    user.password_hash = accounts.hash_password(new)
    audit.record(session, "password_changed", actor_id=user.id)
    return user


def companies(session: Session, user: User, *, accepted_only: bool = False) -> list[Company]:
    """Return the companies a person asked to act for (only those accepted, if asked)."""
    query = select(Company).where(Company.user_id == user.id, Company.kind == "company")
    if accepted_only:
        query = query.where(Company.status == RepresentationStatus.ACCEPTED)
    return list(session.scalars(query.order_by(Company.name)))
