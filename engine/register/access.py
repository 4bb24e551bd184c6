"""Who may read the register and who may register in it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.models import User
from engine.platform.errors import Forbidden
from engine.register import chain

REGISTRY_DEPARTMENT = "registratura"  # the default registry department; sees every entry
READERS = {REGISTRY_DEPARTMENT, "secretar"}  # the register's readers besides administrators


def may_register(user: User) -> bool:
    return user.is_admin or REGISTRY_DEPARTMENT in user.departments


def may_read_register(user: User) -> bool:
    return user.is_admin or bool(READERS & set(user.departments))


def require_reader(user: User) -> None:
    """Refuse whoever may not read the register (it names people and their petitions)."""
    if not may_read_register(user):
        raise Forbidden("Registrul poate fi consultat numai de registratură și de auditori.")


def verify(session: Session, user: User) -> chain.ChainCheck:
    """Walk the register's hash chain for a reader of the register."""
    require_reader(user)
    return chain.verify_chain(session)
