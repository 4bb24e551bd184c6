"""Making an account, confirming its e-mail, and resetting a forgotten password."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import Company, User
from engine.people import account_mail, accounts, links, personal, rules
from engine.platform.errors import BadRequest, Invalid
from engine.platform.timeutil import local_today, utcnow


@dataclass
class SignUp:
    """What a person gives to make an account."""

    name: str
    email: str
    password: str
    cnp: str | None = None
    birth_date: str | date | None = None
    id_document: str | None = None
    company_cui: str | None = None
    company_name: str | None = None


@dataclass(frozen=True)
class SignedUp:
    """The answer to a sign-up: the same whether the account is new or not (no enumeration)."""

    public_id: str
    email: str
    user: User | None  # None when the e-mail or the CNP already had an account


def sign_up(session: Session, form: SignUp) -> SignedUp:
    """Make an unverified account and send the confirmation link; refuse bad input at once."""
    checked = rules.check_account(
        name=form.name,
        email=form.email,
        password=form.password,
        cnp=form.cnp,
        birth_date=form.birth_date,
        id_document=form.id_document,
        today=local_today(),
        identity_required=True,
    )
    wants_company = bool((form.company_cui or "").strip() or (form.company_name or "").strip())
    if wants_company:
        checked.errors.update(rules.company_problems(form.company_cui, form.company_name))
    if checked.errors:
        raise Invalid(rules.as_invalid(checked.errors))
    existing = session.scalar(select(User).where(User.email == checked.email))
    if existing is not None:
        accounts.hash_password(form.password)  # as long as a real sign-up
        account_mail.ask(session, account_mail.ALREADY_REGISTERED, existing.id)
        return SignedUp(decoy_id(), checked.email, None)
    if checked.identity.cnp and accounts.cnp_taken(session, checked.identity.cnp):
        accounts.hash_password(form.password)
        owner = session.scalar(
            select(User.id).where(
                User.cnp_hash == personal.vault().lookup_hash(checked.identity.cnp)
            )
        )
        if owner is not None:
            account_mail.ask(session, account_mail.CNP_IN_USE, owner)
        return SignedUp(decoy_id(), checked.email, None)
    user = accounts.new_user(session, checked, form.password, verified=False)
    if wants_company:
        add_company(session, user, str(form.company_cui), str(form.company_name))
    audit.record(session, "user_signed_up", actor_id=user.id, user=user.id)
    account_mail.ask(session, account_mail.VERIFY, user.id)
    return SignedUp(accounts.public_id(user.id), user.email, user)


def decoy_id() -> str:
    return "u" + secrets.token_hex(10)


def add_company(session: Session, user: User, cui: str, name: str) -> Company:
    """Note, at sign-up, a company the person acts for: pending, with no proof yet; it serves
    only once they send a proof from their account and the registry accepts it."""
    from engine.people.cnp import compact_cui

    errors = rules.company_problems(cui, name)
    if errors:
        raise Invalid(rules.as_invalid(errors))
    code = compact_cui(cui)
    found = session.scalar(select(Company).where(Company.user_id == user.id, Company.cui == code))
    if found is not None:
        return found
    company = Company(user_id=user.id, cui=code, name=name.strip(), created_at=utcnow())
    session.add(company)
    session.flush()
    audit.record(session, "company_added", actor_id=user.id, cui=code)
    return company


def resend_verification(session: Session, user: User) -> bool:
    """Send the confirmation link again, unless the address is confirmed already."""
    if user.verified:
        return False
    account_mail.ask(session, account_mail.VERIFY, user.id)
    return True


def verify_email(session: Session, secret: str, token: str) -> User:
    """Confirm an address with a link from the e-mail (a new address replaces the old one)."""
    user, claim = links.use(session, secret, links.VERIFY, token)
    if claim.email != user.email:
        taken = session.scalar(select(User.id).where(User.email == claim.email))
        if taken is not None:
            raise BadRequest(links.INVALID, code="invalid_token")
        audit.record(session, "email_changed", actor_id=user.id)
        user.email = claim.email
    user.email_verified_at = utcnow()
    audit.record(session, "email_verified", actor_id=user.id)
    return user


def request_password_reset(session: Session, email: str) -> None:
    """Send a reset link if an account has this address; answer the same either way."""
    normalized, problem = rules.check_email(email)
    if problem:
        return
    user = session.scalar(select(User).where(User.email == normalized, User.active.is_(True)))
    if user is not None:
        account_mail.ask(session, account_mail.RESET, user.id)


def reset_password(
    session: Session, secret: str, token: str, password: str, purpose: str = links.RESET
) -> User:
    """Set a new password with a reset (or a new official's welcome) link, usable once."""
    links.read(secret, purpose, token)  # a bad link is told before the password
    problem = rules.password_problem(password)
    if problem:
        raise Invalid([{"field": "/password", "message": problem}])
    user, claim = links.use(session, secret, purpose, token)
    if claim.email != user.email:
        raise BadRequest(links.INVALID, code="invalid_token")
    user.password_hash = accounts.hash_password(password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link proved the address
    audit.record(session, "password_reset", actor_id=user.id)
    return user
